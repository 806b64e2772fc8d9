from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wangge.cases.workorders import do_import_workorders, read_workorders
from wangge.core.commands import acting_user
from wangge.core.importing import ImportRejected, error_report_xlsx
from wangge.core.services import OperationError

SHOWN_ERRORS = 200


class _DryRun(Exception):
    def __init__(self, result):
        self.result = result


class Command(BaseCommand):
    help = ("Import 12345 hotline work orders from an .xlsx with Chinese headers (workorder_template writes one); "
            "all or nothing; a 工单编号 already received is skipped. 导入12345工单。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", dest="username", required=True,
                            help="the operator receiving the orders (their area, the audit log)")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing (预览)")
        parser.add_argument("--report", metavar="ERRORS.xlsx", help="write the errors (行号, 列, 原因) to this file")

    def handle(self, file, username, dry_run, report, **options):
        actor = acting_user(username)
        try:
            data = Path(file).read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file / 文件不存在")
        rows, errors = read_workorders(data)
        try:
            with transaction.atomic():
                result = do_import_workorders(actor, rows, errors)
                if dry_run:
                    raise _DryRun(result)  # roll everything back, numbers included
        except _DryRun as done:
            result = done.result
        except OperationError as exc:
            raise CommandError(exc.message)
        except ImportRejected as rejected:
            self._fail(file, rejected.errors, report)
        for line, external_id, number in result.already:
            self.stdout.write(f"line {line}: {external_id} already received as {number} / 已受理，未重复导入")
        prefix = "dry run, nothing written / 预览，未写入: would have " if dry_run else ""
        self.stdout.write(prefix + result.summary())

    def _fail(self, file, errors, report):
        for error in errors[:SHOWN_ERRORS]:
            self.stderr.write(f"{file}: {error}")
        if len(errors) > SHOWN_ERRORS:
            self.stderr.write(f"… {len(errors) - SHOWN_ERRORS} more / 另有 {len(errors) - SHOWN_ERRORS} 处错误")
        if report:
            Path(report).write_bytes(error_report_xlsx(errors))
            self.stderr.write(f"error report written to {report} / 错误报告已写入")
        raise CommandError(f"{len(errors)} error(s); nothing was written / 共 {len(errors)} 处错误，未写入任何数据")
