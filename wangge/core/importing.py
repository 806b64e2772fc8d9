"""What every import shares: the columns, the template workbook, reading the header row, row errors,
the all-or-nothing refusal and the error report.

Readers return the rows they understood and a list of `RowError`s; operations
write only when that list is empty, and otherwise raise `ImportRejected` with
all of them, so one upload shows every mistake at once.
"""
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

REPORT_HEADERS = ("行号", "列", "原因")


@dataclass(frozen=True)
class Column:
    """One column of an import file: its Chinese header, the key rows use, and what the template says."""

    header: str
    key: str
    required: bool
    help: str
    example: str = ""
    text: bool = False  # Excel keeps it as text: leading zeros, all 18 digits of an ID number
    choices: tuple = ()  # offered as a drop-down list in the template
    aliases: tuple = ()  # other titles the header may have (e.g. the English keys of the file format)


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


def read_header(line: int, header: Iterable, columns: Sequence[Column]) -> tuple[dict, list[RowError]]:
    """{key: position} of the known columns in a header row (a trailing * on a title is ignored), and
    the errors: a column given twice, a required column missing. Unknown columns are ignored."""
    key_of = {title: c.key for c in columns for title in (c.header, *c.aliases)}
    positions, problems = {}, []
    for i, cell in enumerate(header):
        title = str(cell if cell is not None else "").strip().strip("*＊").strip()
        key = key_of.get(title)
        if key is None:
            continue
        if key in positions:
            problems.append(RowError(line, _("Duplicate column"), title))
        else:
            positions[key] = i
    for column in columns:
        if column.required and column.key not in positions:
            problems.append(RowError(line, _("Required column missing"), column.header))
    return positions, problems


# --- reading records ------------------------------------------------------------------------------


class FileProblem(Exception):
    """The file itself is unreadable at `line` (not UTF-8, malformed CSV, not a workbook): the reading stops."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def csv_records(stream, first: int = 1) -> Iterator[tuple[int, list]]:
    """(line number, cells) of each record of `stream` (binary lines, the first numbered `first`)."""
    reader = csv.reader(utf8_lines(stream, first))
    before = first - 1
    try:
        for cells in reader:
            yield before + reader.line_num, cells
    except csv.Error as exc:
        raise FileProblem(before + reader.line_num, _("Malformed CSV: %(error)s") % {"error": exc})


def utf8_lines(stream, first: int = 1) -> Iterator[str]:
    """Decode line by line, so a bad byte is reported on its own line."""
    for number, raw in enumerate(stream, start=first):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileProblem(number, _("The CSV is not UTF-8: in Excel, save it as "
                                        "\"CSV UTF-8 (comma delimited)\", or upload the .xlsx"))
        yield text.lstrip("\ufeff") if number == 1 else text


def xlsx_records(stream, sheet_title: str = "") -> Iterator[tuple[int, tuple]]:
    """(row number, cells) of the sheet `sheet_title` (else the first) of a workbook."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise FileProblem(1, _("Not an .xlsx workbook (save an old .xls as .xlsx)"))
    try:
        sheet = book[sheet_title] if sheet_title in book.sheetnames else book.worksheets[0]
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    finally:
        book.close()


def cell_text(value) -> str:
    """A cell as text: a workbook's whole numbers without ".0", its dates as ISO dates."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


# --- templates and reports -------------------------------------------------------------------------


def template_xlsx(sheet_title: str, columns: Sequence[Column], notes: Sequence[str], *, example_row: bool = False,
                  reference: tuple[Sequence[str], Iterable[Sequence]] | None = None) -> bytes:
    """The template workbook of an import: a sheet `sheet_title` with the headers (required ones in
    red), text-formatted columns where Excel would mangle numbers, drop-down lists, and with
    `example_row` one synthetic example; then a sheet 说明 with a line per column (header, required,
    how to fill it, example), the general `notes`, and a `reference` table (its headings, its rows),
    e.g. the codes a column accepts."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append([c.header for c in columns])
    if example_row:
        sheet.append([c.example for c in columns])
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        sheet[f"{letter}1"].font = Font(bold=True, color="C00000" if column.required else "000000")
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 6)
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            if example_row:
                sheet[f"{letter}2"].number_format = "@"
        if column.choices:
            check = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            check.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "A2"
    _notes_sheet(book.create_sheet("说明"), columns, notes, reference)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _notes_sheet(notes_sheet, columns, notes, reference):
    from openpyxl.styles import Font

    notes_sheet.append(["列名", "必填", "填写说明", "示例"])
    for column in columns:
        notes_sheet.append([column.header, "是" if column.required else "", column.help, column.example])
    notes_sheet.append([])
    for line in notes:
        notes_sheet.append([line])
    if reference is not None:
        headings, rows = reference
        notes_sheet.append([])
        notes_sheet.append(list(headings))
        for row in rows:
            notes_sheet.append(list(row))
    for letter, width in zip("ABCD", (14, 6, 90, 24)):
        notes_sheet.column_dimensions[letter].width = width
    for cell in notes_sheet[1]:
        cell.font = Font(bold=True)


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
