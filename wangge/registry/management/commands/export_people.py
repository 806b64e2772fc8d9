from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import acting_user
from wangge.core.services import OperationError
from wangge.registry.exporting import FORMATS, export_people


class Command(BaseCommand):
    help = ("Export people (实有人口) as CSV or .xlsx; ID numbers and phones masked unless --unmasked with --reason "
            "(administrators only; audited). 导出实有人口。")

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: CSV to standard output)")
        parser.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from the file name, else csv)")
        parser.add_argument("--as", dest="username", help="the user to act as (their area, the audit log)")
        parser.add_argument("--unmasked", action="store_true", help="full ID numbers and phones (needs --reason)")
        parser.add_argument("--reason", default="", help="why the unmasked data is needed (written to the audit log)")

    def handle(self, output, format, username, unmasked, reason, **options):
        fmt = format or (Path(output).suffix.lower().lstrip(".") if output else "csv")
        if fmt not in FORMATS:
            raise CommandError(f"unknown format {fmt!r}; use --format csv or xlsx / 格式应为 csv 或 xlsx")
        if fmt == "xlsx" and not output:
            raise CommandError("an .xlsx export needs -o FILE / 导出 xlsx 须指定 -o 文件")
        actor = acting_user(username)
        try:
            export = export_people(actor, fmt, unmasked=unmasked, reason=reason)
        except OperationError as exc:
            raise CommandError(exc.message)
        if output:
            with open(output, "wb") as out:
                for chunk in export.chunks:
                    out.write(chunk)
        else:
            for chunk in export.chunks:
                self.stdout.write(chunk.decode("utf-8").lstrip("\ufeff"), ending="")
        masked = "unmasked / 未脱敏" if unmasked else "masked / 已脱敏"
        self.stderr.write(f"exported {export.count} people ({masked})" + (f" to {output}" if output else ""))
