from django.core.management.base import BaseCommand

from wangge.areas.importing import ImportRejected
from wangge.areas.services import do_import_grids
from wangge.core.commands import acting_user, fail_with_row_errors, read_text_file


class Command(BaseCommand):
    help = "Import grid boundaries from a GeoJSON FeatureCollection (code,name,parent_code,households); all or nothing. 导入网格边界。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="the user to record as acting (audit log)")

    def handle(self, file, username, **options):
        actor = acting_user(username)
        try:
            result = do_import_grids(actor, read_text_file(file))
        except ImportRejected as rejected:
            fail_with_row_errors(self, file, rejected.errors)
        self.stdout.write(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}")
