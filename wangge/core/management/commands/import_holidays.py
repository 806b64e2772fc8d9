from wangge.core.commands import ImportFileCommand
from wangge.core.holidays import do_import_holidays


class Command(ImportFileCommand):
    help = ("Load a State Council holiday arrangement from CSV (date,workday,name; workday 1 or 0) into the "
            "working calendar; all or nothing. 导入国务院放假安排（工作日历调整）。")

    def operation(self, actor, text):
        return do_import_holidays(actor, text)
