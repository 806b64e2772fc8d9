from wangge.areas.services import do_import_divisions
from wangge.core.commands import ImportFileCommand


class Command(ImportFileCommand):
    help = "Import 统计用区划代码 from a CSV (code,name,level,parent_code); all or nothing. 导入区划代码。"

    def operation(self, actor, text):
        return do_import_divisions(actor, text)
