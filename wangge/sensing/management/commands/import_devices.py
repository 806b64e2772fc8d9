from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import acting_user
from wangge.core.importing import ImportRejected, error_report_xlsx
from wangge.core.services import OperationError
from wangge.sensing.importing import read_devices_file, run_import
from wangge.sensing.services_devices import do_import_devices

SHOWN_ERRORS = 200


class Command(BaseCommand):
    help = ("Import devices (code,kind,name,lng,lat[,building,place,class,storage_days,…]) from an .xlsx or .csv; "
            "all or nothing, updated by code. 导入设备。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True,
                            help="the user to act as: their area holds the devices (and the audit log names them)")
        parser.add_argument("--dry-run", action="store_true", help="check and count only; write nothing (预览)")
        parser.add_argument("--report", metavar="ERRORS.xlsx", help="write the errors (行号, 列, 原因) to this file")

    def handle(self, file, username, dry_run, report, **options):
        actor = acting_user(username)
        try:
            data = Path(file).read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file / 文件不存在")
        rows, errors = read_devices_file(data, file)
        try:
            if dry_run:
                result = run_import(actor, rows, errors, write=False)
                if result.errors:
                    raise ImportRejected(result.errors)
            else:
                result = do_import_devices(actor, rows, errors)
        except OperationError as exc:
            raise CommandError(exc.message)
        except ImportRejected as rejected:
            self._fail(file, rejected.errors, report)
        prefix = "dry run, nothing written / 预览，未写入: would " if dry_run else ""
        self.stdout.write(prefix + ", ".join(f"{k} {v}" for k, v in result.counts().items()))

    def _fail(self, file, errors, report):
        for error in errors[:SHOWN_ERRORS]:
            self.stderr.write(f"{file}: {error}")
        if len(errors) > SHOWN_ERRORS:
            self.stderr.write(f"… {len(errors) - SHOWN_ERRORS} more / 另有 {len(errors) - SHOWN_ERRORS} 处错误")
        if report:
            Path(report).write_bytes(error_report_xlsx(errors))
            self.stderr.write(f"error report written to {report} / 错误报告已写入")
        raise CommandError(f"{len(errors)} error(s); nothing was written / 共 {len(errors)} 处错误，未写入任何数据")
