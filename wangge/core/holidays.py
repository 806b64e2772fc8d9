"""Statutory holidays for the years `chinese-calendar` has no data for, and loading a year's arrangement.

The State Council publishes each year's arrangement (放假安排, with its 调休 make-up working days) late in the
year before, and `chinese-calendar` knows a year only after a new release. Until then deadlines would run
through 春节 and 国庆. So for an unknown year the holidays the law itself fixes are computed here —
《全国年节及纪念日放假办法》 as revised in 2025, article 2:

* 元旦 1 day (January 1); 春节 4 days (除夕, the last day of the lunar year, and lunar 1/1–1/3);
* 清明节 1 day (the day of the 清明 solar term, April 4, 5 or 6); 劳动节 2 days (May 1–2);
* 端午节 1 day (lunar 5/5); 中秋节 1 day (lunar 8/15); 国庆节 3 days (October 1–3).

The lunar dates and the solar term come from `lunar_python` (astronomical computation, no data tables, good far
beyond 2100). What the law leaves to each year's arrangement — 补假 for a holiday on a weekend and the 调休 swaps
— comes from the arrangement, loaded with `python -m wangge import_holidays FILE.csv` (`do_import_holidays`) into
the CalendarOverride table, which wins over everything else.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _
from lunar_python import Lunar, Solar

from wangge.core import audit
from wangge.core.importing import ImportRejected, RowError
from wangge.core.models import CalendarOverride

#: The month from which administrators are reminded to load next year's arrangement (it is usually published
#: in November).
NOTICE_FROM_MONTH = 11


def official_calendar_knows(year: int) -> bool:
    """Whether `chinese-calendar` has the State Council's arrangement for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, str]:
    """The days off that the law fixes in `year`, each with its festival's name (no 补假, no 调休)."""
    spring_festival = _from_lunar(year, 1, 1)
    holidays = {date(year, 1, 1): "元旦"}
    holidays.update({spring_festival + timedelta(days=n): "春节" for n in range(-1, 3)})
    holidays[_qingming(year)] = "清明节"
    holidays.update({date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节"})
    holidays[_from_lunar(year, 5, 5)] = "端午节"
    holidays[_from_lunar(year, 8, 15)] = "中秋节"
    holidays.update({date(year, 10, day): "国庆节" for day in (1, 2, 3)})
    return holidays


def _from_lunar(year: int, month: int, day: int) -> date:
    """The Gregorian date of lunar month/day in the lunar year that starts in Gregorian `year`."""
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    for day in (4, 5, 6):
        if Solar.fromYmd(year, 4, day).getLunar().getJieQi() == "清明":
            return date(year, 4, day)
    raise ValueError(f"no 清明 solar term found in April {year}")  # cannot happen between 1900 and 2300


def arrangement_loaded(year: int) -> bool:
    """Whether the working calendar of `year` is known: `chinese-calendar` has it or overrides were loaded."""
    return official_calendar_knows(year) or CalendarOverride.objects.filter(date__year=year).exists()


def missing_arrangement_year(today: date) -> int | None:
    """Next year, when it is November or later and next year's arrangement is not loaded; otherwise None."""
    if today.month < NOTICE_FROM_MONTH or arrangement_loaded(today.year + 1):
        return None
    return today.year + 1


# --- loading a State Council arrangement ------------------------------------------------------------------

HOLIDAY_COLUMNS = ("date", "workday", "name")
WORKDAY_WORDS = {"1": True, "true": True, "yes": True, "y": True, "是": True, "班": True, "上班": True,
                 "工作日": True, "0": False, "false": False, "no": False, "n": False, "否": False, "休": False,
                 "休息": False, "休息日": False, "放假": False, "节假日": False}
MAX_NOTE_LENGTH = CalendarOverride._meta.get_field("note").max_length


@dataclass
class HolidayImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ArrangementRow:
    line: int
    day: date
    is_workday: bool
    name: str


def read_arrangement_csv(text: str) -> tuple[list[ArrangementRow], list[RowError]]:
    """Rows `date,workday,name` (a header line first): 2027-02-05,0,春节 / 2027-02-07,1,春节调休上班."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = tuple(cell.strip().lower() for cell in next(reader))
    except StopIteration:
        return [], [RowError(1, _("The file is empty."))]
    except csv.Error as exc:
        return [], [RowError(1, _("Malformed CSV: %(error)s") % {"error": exc})]
    if header != HOLIDAY_COLUMNS:
        return [], [RowError(1, _("The header must be %(columns)s.") % {"columns": ",".join(HOLIDAY_COLUMNS)})]
    rows, errors, first_line = [], [], {}
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                row, row_errors = _check_arrangement_row(reader.line_num, [cell.strip() for cell in cells])
                errors += row_errors
                if row and row.day in first_line:
                    errors.append(RowError(row.line, _("Date %(date)s already given on line %(line)s.")
                                           % {"date": row.day, "line": first_line[row.day]}, "date"))
                elif row:
                    first_line[row.day] = row.line
                    rows.append(row)
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, _("Malformed CSV: %(error)s") % {"error": exc}))
    if not rows and not errors:
        errors.append(RowError(1, _("The file has no rows.")))
    return rows, errors


def _check_arrangement_row(line: int, cells: list[str]) -> tuple[ArrangementRow | None, list[RowError]]:
    if len(cells) != len(HOLIDAY_COLUMNS):
        return None, [RowError(line, _("Expected %(expected)s columns, found %(found)s.")
                               % {"expected": len(HOLIDAY_COLUMNS), "found": len(cells)})]
    text_date, text_workday, name = cells
    errors = []
    try:
        day = date.fromisoformat(text_date)
    except ValueError:
        day = None
        errors.append(RowError(line, _("Not a date in the form YYYY-MM-DD: %(value)s") % {"value": text_date},
                               "date"))
    is_workday = WORKDAY_WORDS.get(text_workday.lower())
    if is_workday is None:
        errors.append(RowError(line, _("Write 1 for a working day or 0 for a day off, not %(value)s")
                               % {"value": text_workday}, "workday"))
    if len(name) > MAX_NOTE_LENGTH:
        errors.append(RowError(line, _("At most %(n)s characters.") % {"n": MAX_NOTE_LENGTH}, "name"))
    if errors:
        return None, errors
    return ArrangementRow(line, day, is_workday, name), []


def do_import_holidays(actor, text: str) -> HolidayImportResult:
    """Load an arrangement into the override table: all rows or, when any row is wrong, none (ImportRejected
    with every error). A date already overridden takes the file's status and name."""
    rows, errors = read_arrangement_csv(text)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda error: error.line))
    result = HolidayImportResult()
    with transaction.atomic():
        existing = {o.date: o for o in CalendarOverride.objects.filter(date__in=[row.day for row in rows])}
        for row in rows:
            override = existing.get(row.day)
            if override is None:
                CalendarOverride.objects.create(date=row.day, is_workday=row.is_workday, note=row.name)
                result.created += 1
            elif (override.is_workday, override.note) != (row.is_workday, row.name):
                override.is_workday, override.note = row.is_workday, row.name
                override.save(update_fields=["is_workday", "note"])
                result.updated += 1
            else:
                result.unchanged += 1
        # One save per row (an arrangement is a few dozen days): post_save drops the cached overrides.
        audit.record(actor, "core.import_holidays", None, years=sorted({row.day.year for row in rows}),
                     created=result.created, updated=result.updated, unchanged=result.unchanged)
    return result
