"""Working days: the official calendar (holidays and 调休), the override table, and deadlines counted in them."""
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest

from wangge.core import workdays
from wangge.core.models import CalendarOverride
from wangge.core.workdays import (
    add_working_days,
    add_working_hours,
    is_workday,
    working_days_between,
    working_hours_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_overrides():
    # Test transactions roll back without post_delete, so drop the process copy around every test.
    workdays.forget_overrides()
    yield
    workdays.forget_overrides()


# --- which days are working days -------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("day, working", [
    (date(2024, 9, 27), True),    # Friday before National Day
    (date(2024, 9, 28), False),   # Saturday
    (date(2024, 9, 29), True),    # Sunday, 调休 make-up working day
    (date(2024, 9, 30), True),    # Monday
    (date(2024, 10, 1), False),   # National Day
    (date(2024, 10, 4), False),
    (date(2024, 10, 7), False),   # last day off (a Monday)
    (date(2024, 10, 8), True),
    (date(2024, 10, 12), True),   # Saturday, 调休 make-up working day
    (date(2024, 10, 13), False),  # Sunday
    (date(2025, 1, 26), True),    # Sunday, make-up day before Spring Festival
    (date(2025, 1, 28), False),   # 除夕
    (date(2025, 1, 29), False),   # 春节
    (date(2025, 2, 4), False),    # last day off
    (date(2025, 2, 5), True),
    (date(2025, 2, 8), True),     # Saturday, make-up working day
    (date(2025, 2, 9), False),    # Sunday
    (date(2025, 3, 15), False),   # an ordinary weekend
    (date(2025, 3, 16), False),
    (date(2025, 3, 17), True),
])
def test_official_calendar(day, working):
    assert is_workday(day) is working


@pytest.mark.django_db
def test_a_datetime_is_judged_by_its_local_date():
    # 2024-09-30 20:00 UTC is already 10-01 04:00 in Shanghai: National Day.
    assert is_workday(datetime(2024, 9, 30, 20, 0, tzinfo=dt_timezone.utc)) is False
    assert is_workday(datetime(2024, 9, 30, 15, 0, tzinfo=dt_timezone.utc)) is True


@pytest.mark.django_db
def test_overrides_win_over_the_official_calendar():
    monday, saturday = date(2025, 3, 17), date(2025, 3, 22)
    assert is_workday(monday) and not is_workday(saturday)
    CalendarOverride.objects.create(date=monday, is_workday=False, note="区政府通知停工")
    CalendarOverride.objects.create(date=saturday, is_workday=True, note="集中整治日")
    assert not is_workday(monday)
    assert is_workday(saturday)


@pytest.mark.django_db
def test_saving_and_deleting_an_override_clears_the_cache():
    monday = date(2025, 3, 17)
    assert is_workday(monday)  # loads (empty) overrides into the process cache
    override = CalendarOverride.objects.create(date=monday, is_workday=False)
    assert not is_workday(monday)
    override.is_workday = True
    override.save()
    assert is_workday(monday)
    CalendarOverride.objects.filter(pk=override.pk).update(is_workday=False)  # no signal: cache kept
    assert is_workday(monday)
    override.delete()
    assert is_workday(monday)
    assert not CalendarOverride.objects.exists()


@pytest.mark.django_db
def test_other_processes_reload_after_max_age(monkeypatch):
    monday = date(2025, 3, 17)
    assert is_workday(monday)
    CalendarOverride.objects.bulk_create([CalendarOverride(date=monday, is_workday=False)])  # no signal
    assert is_workday(monday)
    monkeypatch.setattr(workdays, "OVERRIDES_MAX_AGE", 0)
    assert not is_workday(monday)


@pytest.mark.django_db
def test_unknown_year_falls_back_to_statutory_holidays_monday_to_friday_plus_overrides():
    import chinese_calendar

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 6, 1))
    # 2099-06-01 is a Monday, in a week without a festival.
    week = [date(2099, 6, 1) + timedelta(days=n) for n in range(7)]
    assert [is_workday(d) for d in week] == [True] * 5 + [False] * 2
    # 国庆 is computed: Thursday 1 and Friday 2 October are off, so the next working day is Monday 5.
    assert not is_workday(date(2099, 10, 1)) and not is_workday(date(2099, 10, 2))
    assert add_working_days(at(2099, 9, 30, 10), 1) == at(2099, 10, 5, 18)
    CalendarOverride.objects.create(date=date(2099, 10, 8), is_workday=False, note="补假")  # a Thursday
    CalendarOverride.objects.create(date=date(2099, 10, 10), is_workday=True, note="调休")  # a Saturday
    assert not is_workday(date(2099, 10, 8))
    assert is_workday(date(2099, 10, 10))
    assert add_working_days(at(2099, 10, 7, 10), 1) == at(2099, 10, 9, 18)
    assert add_working_days(at(2099, 10, 9, 10), 1) == at(2099, 10, 10, 18)


# --- deadlines in working days ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_day_of_receipt_does_not_count():
    # Tuesday 10:00, 1 working day: the end of Wednesday.
    assert add_working_days(at(2025, 3, 18, 10), 1) == at(2025, 3, 19, 18)
    assert add_working_days(at(2025, 3, 18, 10), 3) == at(2025, 3, 21, 18)
    # After hours is the same.
    assert add_working_days(at(2025, 3, 18, 20), 1) == at(2025, 3, 19, 18)


@pytest.mark.django_db
def test_before_the_working_day_begins_that_day_counts():
    assert add_working_days(at(2025, 3, 18, 8, 30), 1) == at(2025, 3, 18, 18)
    assert add_working_days(at(2025, 3, 18, 9), 1) == at(2025, 3, 18, 18)
    assert add_working_days(at(2025, 3, 18, 9, 1), 1) == at(2025, 3, 19, 18)


@pytest.mark.django_db
def test_over_a_weekend():
    # Friday 15:00 + 1 → Monday; Saturday → counting starts Monday.
    assert add_working_days(at(2025, 3, 14, 15), 1) == at(2025, 3, 17, 18)
    assert add_working_days(at(2025, 3, 15, 11), 1) == at(2025, 3, 17, 18)
    assert add_working_days(at(2025, 3, 16, 23), 2) == at(2025, 3, 18, 18)


@pytest.mark.django_db
def test_over_national_day_2024():
    # Received Monday 2024-09-30: day 1 is 10-08, day 2 10-09 …, 10-12 (Saturday) is day 5.
    assert add_working_days(at(2024, 9, 30, 10), 1) == at(2024, 10, 8, 18)
    assert add_working_days(at(2024, 9, 30, 10), 5) == at(2024, 10, 12, 18)
    assert add_working_days(at(2024, 9, 30, 10), 6) == at(2024, 10, 14, 18)
    # Received Saturday 09-28: the make-up Sunday 09-29 is day 1, Monday 09-30 day 2.
    assert add_working_days(at(2024, 9, 28, 10), 1) == at(2024, 9, 29, 18)
    assert add_working_days(at(2024, 9, 28, 10), 2) == at(2024, 9, 30, 18)
    # Received on a holiday.
    assert add_working_days(at(2024, 10, 3, 10), 1) == at(2024, 10, 8, 18)


@pytest.mark.django_db
def test_over_spring_festival_2025():
    # Friday 2025-01-24: Sunday 01-26 and Monday 01-27 work, then off until 02-04.
    assert add_working_days(at(2025, 1, 24, 16), 2) == at(2025, 1, 27, 18)
    assert add_working_days(at(2025, 1, 24, 16), 3) == at(2025, 2, 5, 18)
    assert add_working_days(at(2025, 1, 27, 10), 5) == at(2025, 2, 10, 18)  # 02-05, 06, 07, 08 (Sat), 10


@pytest.mark.django_db
def test_an_override_moves_a_deadline():
    CalendarOverride.objects.create(date=date(2025, 3, 17), is_workday=False)  # Monday off
    CalendarOverride.objects.create(date=date(2025, 3, 15), is_workday=True)  # Saturday on
    assert add_working_days(at(2025, 3, 14, 15), 1) == at(2025, 3, 15, 18)
    assert add_working_days(at(2025, 3, 14, 15), 2) == at(2025, 3, 18, 18)


@pytest.mark.django_db
def test_utc_and_naive_inputs_come_back_in_local_time():
    utc_start = datetime(2025, 3, 18, 2, 0, tzinfo=dt_timezone.utc)  # 10:00 in Shanghai
    deadline = add_working_days(utc_start, 1)
    assert deadline == at(2025, 3, 19, 18)
    assert deadline.utcoffset() == timedelta(hours=8)
    assert add_working_days(datetime(2025, 3, 18, 10), 1) == at(2025, 3, 19, 18)  # naive = local


@pytest.mark.django_db
def test_zero_days_and_negative_days():
    start = at(2025, 3, 15, 11)
    assert add_working_days(start, 0) == start
    with pytest.raises(ValueError):
        add_working_days(start, -1)


# --- deadlines in working hours --------------------------------------------------------------------------

@pytest.mark.django_db
def test_hours_within_a_morning():
    assert add_working_hours(at(2025, 3, 18, 9), 2) == at(2025, 3, 18, 11)
    assert add_working_hours(at(2025, 3, 18, 9, 30), 0.5) == at(2025, 3, 18, 10)


@pytest.mark.django_db
def test_hours_cross_lunch():
    assert add_working_hours(at(2025, 3, 18, 11), 2) == at(2025, 3, 18, 14)
    # Ending exactly at noon stays at noon.
    assert add_working_hours(at(2025, 3, 18, 11), 1) == at(2025, 3, 18, 12)
    # Received during lunch: the clock starts at 13:00.
    assert add_working_hours(at(2025, 3, 18, 12, 20), 1) == at(2025, 3, 18, 14)


@pytest.mark.django_db
def test_hours_run_overnight():
    assert add_working_hours(at(2025, 3, 18, 17), 2) == at(2025, 3, 19, 10)
    assert add_working_hours(at(2025, 3, 18, 21), 2) == at(2025, 3, 19, 11)
    assert add_working_hours(at(2025, 3, 18, 7), 1) == at(2025, 3, 18, 10)
    assert add_working_hours(at(2025, 3, 18, 9), 8) == at(2025, 3, 18, 18)  # a full working day
    assert add_working_hours(at(2025, 3, 18, 9), 9) == at(2025, 3, 19, 10)
    assert add_working_hours(at(2025, 3, 18, 9), 24) == at(2025, 3, 20, 18)


@pytest.mark.django_db
def test_hours_skip_a_weekend_and_a_holiday():
    assert add_working_hours(at(2025, 3, 14, 16), 4) == at(2025, 3, 17, 11)  # Friday → Monday
    assert add_working_hours(at(2025, 3, 15, 10), 1) == at(2025, 3, 17, 10)  # received Saturday
    assert add_working_hours(at(2024, 9, 30, 17), 2) == at(2024, 10, 8, 10)  # National Day
    assert add_working_hours(at(2024, 9, 27, 17), 2) == at(2024, 9, 29, 10)  # make-up Sunday


@pytest.mark.django_db
def test_zero_and_negative_hours():
    start = at(2025, 3, 15, 11)
    assert add_working_hours(start, 0) == start
    with pytest.raises(ValueError):
        add_working_hours(start, -1)


# --- elapsed working time --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_working_hours_between():
    assert working_hours_between(at(2025, 3, 18, 11), at(2025, 3, 18, 14)) == 2
    assert working_hours_between(at(2025, 3, 14, 16), at(2025, 3, 17, 11)) == 4
    assert working_hours_between(at(2025, 3, 15, 10), at(2025, 3, 16, 10)) == 0
    assert working_hours_between(at(2025, 3, 18, 14), at(2025, 3, 18, 11)) == -2
    assert working_hours_between(at(2024, 9, 30, 17), at(2024, 10, 8, 10)) == 2


@pytest.mark.django_db
def test_working_days_between_datetimes_is_fractional():
    assert working_days_between(at(2025, 3, 17, 9), at(2025, 3, 18, 13)) == pytest.approx(11 / 8)
    assert working_days_between(at(2024, 9, 30, 9), at(2024, 10, 8, 18)) == 2
    assert working_days_between(at(2025, 1, 27, 9), at(2025, 2, 5, 9)) == 1


@pytest.mark.django_db
def test_working_days_between_dates_counts_days():
    assert working_days_between(date(2024, 9, 28), date(2024, 10, 14)) == 1 + 1 + 5  # 09-29, 09-30, 10-08…12
    assert working_days_between(date(2025, 3, 17), date(2025, 3, 24)) == 5
    assert working_days_between(date(2025, 3, 24), date(2025, 3, 17)) == -5
    with pytest.raises(TypeError):
        working_days_between(date(2025, 3, 17), at(2025, 3, 18, 9))


@pytest.mark.django_db
def test_a_deadline_is_consistent_with_elapsed_time():
    start = at(2024, 9, 29, 9)
    for days in range(1, 8):
        deadline = add_working_days(start, days)
        assert working_days_between(start, deadline) == days
    for hours in (0.5, 3, 7.25, 30):
        assert working_hours_between(start, add_working_hours(start, hours)) == pytest.approx(hours)


# --- administration --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_admin_edits_overrides_and_is_audited(client):
    from wangge.core.models import AuditEntry, User

    admin = User.objects.create_superuser("calendar-admin", password="pw-123456")
    client.force_login(admin)
    assert client.get("/admin/core/calendaroverride/").status_code == 200
    response = client.post("/admin/core/calendaroverride/add/",
                           {"date": "2025-03-17", "is_workday": "", "note": "停电检修"})
    assert response.status_code == 302, response.content[:2000]
    assert not is_workday(date(2025, 3, 17))
    assert AuditEntry.objects.filter(operation="admin.add", object_type="core.calendaroverride").exists()
    duplicate = client.post("/admin/core/calendaroverride/add/", {"date": "2025-03-17", "is_workday": "on"})
    assert duplicate.status_code == 200  # the form shows the unique-date error
    assert CalendarOverride.objects.count() == 1
