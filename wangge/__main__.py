"""`python -m wangge <command>`: every project command goes through here."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0].replace("__main__.py", "wangge"), *sys.argv[1:]])


if __name__ == "__main__":
    main()
