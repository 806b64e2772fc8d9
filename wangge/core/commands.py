"""Shared pieces of the `python -m wangge` commands."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.models import User


def read_text_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file / 文件不存在")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text ({exc.reason}) / 文件须为 UTF-8 编码")


def acting_user(username: str | None) -> User | None:
    """The user a command acts as (for the audit log); None means the system."""
    if not username:
        return None
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise CommandError(f"no such active user: {username} / 用户不存在")


def fail_with_row_errors(command, path: str, errors) -> None:
    for error in errors:
        command.stderr.write(f"{path}: {error}")
    raise CommandError(f"{len(errors)} error(s); nothing was written / 共 {len(errors)} 处错误，未写入任何数据")


class ImportFileCommand(BaseCommand):
    """`python -m wangge import_… FILE [--as USER]`: one all-or-nothing operation over a text file."""

    def operation(self, actor, text: str):
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="the user to record as acting (audit log)")

    def handle(self, file, username, **options):
        from wangge.core.importing import ImportRejected

        actor = acting_user(username)
        try:
            result = self.operation(actor, read_text_file(file))
        except ImportRejected as rejected:
            fail_with_row_errors(self, file, rejected.errors)
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
