from pathlib import Path

from django.core.management.base import BaseCommand

from wangge.cases.workorders import template_xlsx


class Command(BaseCommand):
    help = "Write the empty 12345 work-order template (.xlsx, one synthetic example row). 生成12345工单导入模板。"

    def add_arguments(self, parser):
        parser.add_argument("out", help="where to write the .xlsx")

    def handle(self, out, **options):
        Path(out).write_bytes(template_xlsx())
        self.stdout.write(f"template written to {out} / 模板已写入 (delete the example row before importing)")
