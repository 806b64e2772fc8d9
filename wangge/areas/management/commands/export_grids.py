import json
import sys

from django.core.management.base import BaseCommand

from wangge.areas.models import Region
from wangge.areas.services import grids_feature_collection
from wangge.core.commands import acting_user


class Command(BaseCommand):
    help = "Export grids as a GeoJSON FeatureCollection (to stdout or -o FILE). 导出网格边界。"

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write (default: stdout)")
        parser.add_argument("--as", dest="username", help="export only what this user may see")
        parser.add_argument("--under", help="only grids under this region code")

    def handle(self, output, username, under, **options):
        grids = Region.objects.all()
        if username:
            grids = grids.visible_to(acting_user(username))
        if under:
            grids = grids.filter(path__contains=f"/{under}/")
        data = json.dumps(grids_feature_collection(grids), ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(data)
        else:
            sys.stdout.write(data + "\n")
