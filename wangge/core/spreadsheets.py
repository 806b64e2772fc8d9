"""A table as a spreadsheet: the one writer of plain .xlsx exports (rankings, payroll sheets, the one map's figures).

The statistics pages' export (`core/measures/export.py`) and the import templates (`core/importing.py`) have their
own layouts; every other table goes through `table_xlsx`.
"""
from io import BytesIO


def table_xlsx(title: str, heading: list, rows, caption: str = "") -> bytes:
    """One sheet named `title` (Excel allows 31 characters): the caption line if any, the heading, the rows."""
    from openpyxl import Workbook  # a large import, needed only here

    book = Workbook()
    sheet = book.active
    sheet.title = str(title)[:31]
    if caption:
        sheet.append([str(caption)])
    sheet.append([str(cell) for cell in heading])
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
