import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import acting_user
from wangge.core.importing import ImportRejected, error_report_xlsx
from wangge.core.services import OperationError
from wangge.registry.importing import auto_jobs, iter_people_file, preview_import
from wangge.registry.services import do_import_people

SHOWN_ERRORS = 200


class Command(BaseCommand):
    help = ("Import people (实有人口) from an .xlsx or .csv with Chinese headers; all or nothing, upsert by ID number. "
            "导入实有人口。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="the user to act as (their area, the audit log)")
        parser.add_argument("--dry-run", action="store_true", help="check and count only; write nothing (预览)")
        parser.add_argument("--report", metavar="ERRORS.xlsx", help="write the errors (行号, 列, 原因) to this file")
        parser.add_argument("--jobs", type=int, help="processes checking rows (default: one per CPU for big files)")

    def handle(self, file, username, dry_run, report, jobs, **options):
        actor = acting_user(username)
        try:
            with open(file, "rb") as stream:
                jobs = jobs or auto_jobs(os.fstat(stream.fileno()).st_size)
                rows = iter_people_file(stream, file, jobs=jobs)
                if dry_run:
                    result = preview_import(actor, rows)
                    if result.errors:
                        raise ImportRejected(result.errors)
                else:
                    result = do_import_people(actor, rows)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file / 文件不存在")
        except OperationError as exc:
            raise CommandError(exc.message)
        except ImportRejected as rejected:
            self._fail(file, rejected.errors, report)
        counts = result.counts()
        prefix = "dry run, nothing written / 预览，未写入: would " if dry_run else ""
        self.stdout.write(prefix + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))

    def _fail(self, file, errors, report):
        for error in errors[:SHOWN_ERRORS]:
            self.stderr.write(f"{file}: {error}")
        if len(errors) > SHOWN_ERRORS:
            self.stderr.write(f"… {len(errors) - SHOWN_ERRORS} more / 另有 {len(errors) - SHOWN_ERRORS} 处错误"
                              + ("" if report else " (--report ERRORS.xlsx lists them all)"))
        if report:
            Path(report).write_bytes(error_report_xlsx(errors))
            self.stderr.write(f"error report written to {report} / 错误报告已写入")
        raise CommandError(f"{len(errors)} error(s); nothing was written / 共 {len(errors)} 处错误，未写入任何数据")
