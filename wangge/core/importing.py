"""What every import shares: row errors, the all-or-nothing refusal, the error report.

Readers return the rows they understood and a list of `RowError`s; operations
write only when that list is empty, and otherwise raise `ImportRejected` with
all of them, so one upload shows every mistake at once.
"""
import io
from dataclasses import dataclass

REPORT_HEADERS = ("行号", "列", "原因")


@dataclass
class RowError:
    line: int  # line in the file (CSV line, Excel row) or GeoJSON feature number (1-based)
    reason: str
    field: str = ""  # the column (in a people import: the Chinese header)
    unit: str = "line"  # "feature" for GeoJSON

    def __str__(self):
        where = f"{self.unit} {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def error_report_xlsx(errors: list[RowError]) -> bytes:
    """The errors as a workbook with the columns 行号, 列, 原因, for download."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("错误报告")
    sheet.append(list(REPORT_HEADERS))
    for error in errors:
        sheet.append([error.line, error.field, error.reason])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
