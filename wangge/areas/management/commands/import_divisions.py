from django.core.management.base import BaseCommand

from wangge.areas.importing import ImportRejected
from wangge.areas.services import do_import_divisions
from wangge.core.commands import acting_user, fail_with_row_errors, read_text_file


class Command(BaseCommand):
    help = "Import 统计用区划代码 from a CSV (code,name,level,parent_code); all or nothing. 导入区划代码。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="the user to record as acting (audit log)")

    def handle(self, file, username, **options):
        actor = acting_user(username)
        try:
            result = do_import_divisions(actor, read_text_file(file))
        except ImportRejected as rejected:
            fail_with_row_errors(self, file, rejected.errors)
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
