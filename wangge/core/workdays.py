"""Working-day calendar (工作日历): which days are working days, and deadlines counted in them.

Sources, in order of precedence:

1. `CalendarOverride` rows an administrator keeps in the admin (工作日历调整);
2. `chinese-calendar`: official public holidays and 调休 make-up working days, for the years it has data;
3. for a year the package does not know (it raises NotImplementedError), the statutory holidays computed by
   `wangge.core.holidays` (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆), and otherwise Monday–Friday.

Rules (all times local to settings.TIME_ZONE, Asia/Shanghai; naive datetimes are read as local time):

* Working hours are WORKING_PERIODS: 09:00–12:00 and 13:00–18:00, eight hours a day.
* `add_working_days(start, n)`: as in 行政/诉讼 time limits, the day the period starts does not count
  (期间开始的日，不计算在期间内). Counting starts on the first working day that begins (09:00) at or after
  `start`: a case received on a working day before 09:00 has that whole day as day 1; one received during
  or after working hours, or on a non-working day, starts on the next working day. The deadline is the end
  (18:00) of the n-th working day counted that way.
* `add_working_hours(start, h)`: h hours of working time from `start`; time outside the working periods
  (lunch, nights, non-working days) does not run. A deadline that lands on the end of a period stays
  there (12:00, not 13:00).
* `working_hours_between(a, b)` / `working_days_between(a, b)`: the working time elapsed from a to b, for
  measures such as mean time to accept or to close; a working day is WORKING_HOURS_PER_DAY hours.

The overrides are read once per process and kept; saving or deleting a CalendarOverride clears the copy
in that process, and other processes reload theirs after OVERRIDES_MAX_AGE seconds.
"""
import threading
from datetime import date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db.models.signals import post_delete, post_save

from wangge.core.holidays import statutory_holidays
from wangge.core.models import CalendarOverride

#: The working periods of a working day (上午 09:00–12:00, 下午 13:00–18:00), in local time.
WORKING_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 0), time(18, 0)))
WORKDAY_START = WORKING_PERIODS[0][0]
WORKDAY_END = WORKING_PERIODS[-1][1]
WORKING_HOURS_PER_DAY = sum(
    (datetime.combine(date.min, end) - datetime.combine(date.min, begin)).total_seconds()
    for begin, end in WORKING_PERIODS) / 3600

#: How long another process may keep overrides it has read before it reads them again.
OVERRIDES_MAX_AGE = 300.0

# A deadline more than this many days away is a bug in the caller, not a deadline.
_MAX_DAYS_SCANNED = 3660

_lock = threading.Lock()
_overrides: dict[date, bool] | None = None
_overrides_loaded_at = 0.0


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def forget_overrides(**kwargs) -> None:
    """Drop this process's copy of the overrides (connected to CalendarOverride's save and delete)."""
    global _overrides
    with _lock:
        _overrides = None


post_save.connect(forget_overrides, sender=CalendarOverride, dispatch_uid="wangge.workdays.saved")
post_delete.connect(forget_overrides, sender=CalendarOverride, dispatch_uid="wangge.workdays.deleted")


def _current_overrides() -> dict[date, bool]:
    global _overrides, _overrides_loaded_at
    overrides = _overrides
    if overrides is not None and monotonic() - _overrides_loaded_at < OVERRIDES_MAX_AGE:
        return overrides
    loaded = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    with _lock:
        _overrides, _overrides_loaded_at = loaded, monotonic()
    return loaded


def is_workday(day: date) -> bool:
    """Whether `day` is a working day: an override wins, then the official calendar, then the statutory holidays
    and Monday–Friday."""
    if isinstance(day, datetime):
        day = _local(day).date()
    override = _current_overrides().get(day)
    if override is not None:
        return override
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no data for
        return day.weekday() < 5 and day not in statutory_holidays(day.year)


def next_workday(day: date) -> date:
    """The first working day on or after `day`."""
    for _ in range(_MAX_DAYS_SCANNED):
        if is_workday(day):
            return day
        day += timedelta(days=1)
    raise ValueError(f"no working day within {_MAX_DAYS_SCANNED} days of {day}")


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start`: 18:00 on the n-th working day, counted from the first
    working day that begins at or after `start` (see the module's rules). 0 days gives `start` itself."""
    if days < 0:
        raise ValueError("days must not be negative")
    start = _local(start)
    if days == 0:
        return start
    day = start.date()
    if start > _at(day, WORKDAY_START):
        day += timedelta(days=1)
    day = next_workday(day)
    for _ in range(days - 1):
        day = next_workday(day + timedelta(days=1))
    return _at(day, WORKDAY_END)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after `start`, skipping lunch, nights and non-working days."""
    if hours < 0:
        raise ValueError("hours must not be negative")
    return add_hours_over(_workday_periods, _local(start), hours)


def working_hours_between(a: datetime, b: datetime) -> float:
    """Working hours from `a` to `b` (negative when `b` is before `a`)."""
    return hours_over(_workday_periods, _local(a), _local(b))


def working_days_between(a: date | datetime, b: date | datetime) -> float:
    """Working time from `a` to `b` in working days.

    For datetimes: working hours divided by WORKING_HOURS_PER_DAY, so a case received at 09:00 Monday and
    closed at 13:00 Tuesday took 11 / 8 = 1.375 working days. For two dates: the number of working days d with
    a <= d < b, as an integer (negative when b is before a).
    """
    if not isinstance(a, datetime) and not isinstance(b, datetime):
        if b < a:
            return -working_days_between(b, a)
        return sum(1 for n in range((b - a).days) if is_workday(a + timedelta(days=n)))
    if not (isinstance(a, datetime) and isinstance(b, datetime)):
        raise TypeError("pass two dates or two datetimes")
    return working_hours_between(a, b) / WORKING_HOURS_PER_DAY


def _local(moment: datetime) -> datetime:
    zone = local_zone()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=local_zone())


def _periods(day: date) -> list[tuple[datetime, datetime]]:
    return [(_at(day, begin), _at(day, end)) for begin, end in WORKING_PERIODS]


def _workday_periods(day: date) -> list[tuple[datetime, datetime]]:
    return _periods(day) if is_workday(day) else []


def add_hours_over(periods, moment: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after the local `moment`, where `periods(day)` gives a day's working
    periods (none on a day off). The one walk behind add_working_hours and the demo's cached clock."""
    remaining = timedelta(hours=hours)
    if not remaining:
        return moment
    day = moment.date()
    for _ in range(_MAX_DAYS_SCANNED):
        for begin, end in periods(day):
            begin = max(begin, moment)
            if begin >= end:
                continue
            if begin + remaining <= end:
                return begin + remaining
            remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError(f"{hours} working hours run past {_MAX_DAYS_SCANNED} days")


def hours_over(periods, a: datetime, b: datetime) -> float:
    """Working hours from local `a` to local `b` over `periods(day)` (negative when `b` is before `a`)."""
    if b < a:
        return -hours_over(periods, b, a)
    total = timedelta()
    day = a.date()
    while day <= b.date():
        for begin, end in periods(day):
            overlap = min(end, b) - max(begin, a)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 3600
