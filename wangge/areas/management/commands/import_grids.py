from wangge.areas.services import do_import_grids
from wangge.core.commands import ImportFileCommand


class Command(ImportFileCommand):
    help = ("Import grid boundaries from a GeoJSON FeatureCollection (code,name,parent_code,households);"
            " all or nothing. 导入网格边界。")

    def operation(self, actor, text):
        return do_import_grids(actor, text)
