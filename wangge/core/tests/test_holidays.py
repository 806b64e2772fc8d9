"""Statutory holidays computed for years chinese-calendar does not know, loading an arrangement, the reminder."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from wangge.core import holidays
from wangge.core.holidays import (
    do_import_holidays,
    missing_arrangement_year,
    official_calendar_knows,
    statutory_holidays,
)
from wangge.core.importing import ImportRejected
from wangge.core.models import AuditEntry, CalendarOverride
from wangge.core.roles import Role
from wangge.core.workdays import add_working_days, is_workday

SHANGHAI = ZoneInfo("Asia/Shanghai")
FESTIVAL_DAYS = {"元旦": 1, "春节": 4, "清明节": 1, "劳动节": 2, "端午节": 1, "中秋节": 1, "国庆节": 3}


def official_holidays(year: int) -> set[date]:
    return {day for day in chinese_calendar.constants.holidays if day.year == year}


# --- computing the statutory holidays ---------------------------------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026])
def test_computed_holidays_are_official_holidays_in_years_the_package_knows(year):
    # The 2025 revision is in force from 2025: every day the law fixes is off in the State Council's
    # arrangement too (which adds 调休 days and bridges around them).
    assert official_calendar_knows(year)
    computed = set(statutory_holidays(year))
    assert computed <= official_holidays(year), sorted(computed - official_holidays(year))
    assert len(computed) == 13


def test_the_festivals_of_2025_fall_on_their_known_days():
    days = statutory_holidays(2025)
    assert [d for d, name in days.items() if name == "春节"] == [date(2025, 1, d) for d in (28, 29, 30, 31)]
    assert days[date(2025, 4, 4)] == "清明节"
    assert days[date(2025, 5, 31)] == "端午节"
    assert days[date(2025, 10, 6)] == "中秋节"


@pytest.mark.parametrize("year, new_year", [(2027, date(2027, 2, 6)), (2028, date(2028, 1, 26)),
                                            (2029, date(2029, 2, 13)), (2030, date(2030, 2, 3)),
                                            (2031, date(2031, 1, 23)), (2050, date(2050, 1, 23))])
def test_spring_festival_starts_on_new_years_eve(year, new_year):
    spring = sorted(d for d, name in statutory_holidays(year).items() if name == "春节")
    assert spring == [new_year + timedelta(days=n) for n in range(-1, 3)]


@pytest.mark.parametrize("year", range(2027, 2051))
def test_every_year_to_2050_has_each_festival_in_that_year(year):
    days = statutory_holidays(year)
    assert all(day.year == year for day in days)
    names = {name for name in days.values()}
    # 中秋 can fall on 1–3 October (as in 2028 and 2036), where 国庆's name wins the shared day.
    assert names >= set(FESTIVAL_DAYS) - {"中秋节"}
    assert 12 <= len(days) <= 13
    qingming = [d for d, name in days.items() if name == "清明节"]
    assert len(qingming) == 1 and qingming[0].month == 4 and qingming[0].day in (4, 5, 6)
    for name in ("元旦", "春节", "劳动节", "国庆节"):
        assert sum(1 for n in days.values() if n == name) == FESTIVAL_DAYS[name]


def test_the_2027_festivals():
    days = statutory_holidays(2027)
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节"
    assert days[date(2027, 9, 15)] == "中秋节"


@pytest.mark.django_db
def test_a_deadline_in_2027_skips_spring_festival_before_the_arrangement_is_loaded():
    assert not official_calendar_knows(2027)
    # Thursday 4 February 2027, 10:00: Friday 5 is 除夕, the weekend, Monday 8 is 初三 -> Tuesday 9.
    assert add_working_days(datetime(2027, 2, 4, 10, tzinfo=SHANGHAI), 1) == datetime(2027, 2, 9, 18,
                                                                                         tzinfo=SHANGHAI)
    assert not is_workday(date(2027, 10, 1)) and is_workday(date(2027, 10, 4))
    # A loaded arrangement wins: a 调休 Sunday becomes a working day, 补假 Monday a day off.
    CalendarOverride.objects.create(date=date(2027, 2, 7), is_workday=True, note="春节调休上班")
    CalendarOverride.objects.create(date=date(2027, 2, 9), is_workday=False, note="春节补假")
    assert add_working_days(datetime(2027, 2, 4, 10, tzinfo=SHANGHAI), 1) == datetime(2027, 2, 7, 18,
                                                                                         tzinfo=SHANGHAI)


# --- loading an arrangement -------------------------------------------------------------------------------

ARRANGEMENT_2027 = """date,workday,name
2027-02-05,0,春节
2027-02-06,0,春节
2027-02-07,1,春节调休上班
2027-02-09,否,春节
2027-10-04,休,国庆节
"""


@pytest.mark.django_db
def test_import_loads_every_row_and_writes_an_audit_row(world):
    admin = world.users[Role.ADMINISTRATOR]
    result = do_import_holidays(admin, ARRANGEMENT_2027)
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert dict(CalendarOverride.objects.values_list("date", "is_workday")) == {
        date(2027, 2, 5): False, date(2027, 2, 6): False, date(2027, 2, 7): True, date(2027, 2, 9): False,
        date(2027, 10, 4): False}
    assert CalendarOverride.objects.get(date=date(2027, 2, 7)).note == "春节调休上班"
    assert is_workday(date(2027, 2, 7)) and not is_workday(date(2027, 10, 4))
    entry = AuditEntry.objects.get(operation="core.import_holidays")
    assert entry.actor == admin
    assert entry.details == {"years": [2027], "created": 5, "updated": 0, "unchanged": 0}
    # Loading a corrected file again updates what changed and leaves the rest.
    result = do_import_holidays(admin, ARRANGEMENT_2027.replace("2027-10-04,休,国庆节", "2027-10-04,1,上班"))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 4)
    assert is_workday(date(2027, 10, 4))


@pytest.mark.django_db
def test_import_with_any_bad_row_writes_nothing_and_names_each_error():
    CalendarOverride.objects.create(date=date(2027, 2, 5), is_workday=True, note="before")
    text = ("date,workday,name\n"
            "2027-02-05,0,春节\n"
            "2027-02-30,0,春节\n"
            "2027-02-07,maybe,调休\n"
            "2027-02-05,0,again\n"
            "2027-02-08,0\n"
            f"2027-02-10,0,{'长' * 201}\n")
    with pytest.raises(ImportRejected) as rejected:
        do_import_holidays(None, text)
    where = [(error.line, error.field) for error in rejected.value.errors]
    assert where == [(3, "date"), (4, "workday"), (5, "date"), (6, ""), (7, "name")]
    assert "2027-02-30" in rejected.value.errors[0].reason
    assert "第 2 行" in rejected.value.errors[2].reason  # the first line that gave the date
    assert list(CalendarOverride.objects.values_list("date", "is_workday", "note")) == [
        (date(2027, 2, 5), True, "before")]
    assert not AuditEntry.objects.filter(operation="core.import_holidays").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("text, reason", [("", "文件为空"), ("day,off\n2027-01-01,0\n", "表头应为 date,workday,name"),
                                          ("date,workday,name\n", "没有数据行")])
def test_import_refuses_a_file_without_rows(text, reason):
    with pytest.raises(ImportRejected) as rejected:
        do_import_holidays(None, text)
    assert [error.line for error in rejected.value.errors] == [1]
    assert reason in rejected.value.errors[0].reason


@pytest.mark.django_db
def test_import_holidays_command(world, tmp_path, capsys):
    good = tmp_path / "2027.csv"
    good.write_text(ARRANGEMENT_2027, encoding="utf-8")
    call_command("import_holidays", str(good), "--as", "admin")
    assert "created 5, updated 0, unchanged 0" in capsys.readouterr().out
    assert CalendarOverride.objects.filter(date__year=2027).count() == 5
    assert AuditEntry.objects.get(operation="core.import_holidays").actor_name == "admin"

    bad = tmp_path / "bad.csv"
    bad.write_text("date,workday,name\n2028-01-01,0,元旦\n2028-13-01,0,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_holidays", str(bad))
    assert "line 3, date:" in capsys.readouterr().err
    assert not CalendarOverride.objects.filter(date__year=2028).exists()


# --- the reminder -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_missing_arrangement_year_from_november():
    assert missing_arrangement_year(date(2026, 10, 31)) is None
    assert missing_arrangement_year(date(2026, 11, 1)) == 2027
    assert missing_arrangement_year(date(2025, 12, 20)) is None  # chinese-calendar knows 2026
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert missing_arrangement_year(date(2026, 11, 1)) is None


@pytest.fixture
def november_2026(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 11, 16))


@pytest.mark.django_db
def test_administrators_see_the_notice_until_the_arrangement_is_loaded(world, client, november_2026):
    client.force_login(world.users[Role.ADMINISTRATOR])
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="calendar-notice"' in page.content.decode()
    assert "2027 年放假安排尚未导入" in page.content.decode()
    do_import_holidays(world.users[Role.ADMINISTRATOR], ARRANGEMENT_2027)
    assert 'id="calendar-notice"' not in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DISTRICT_OPERATOR, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER])
def test_other_roles_do_not_see_the_notice(world, client, november_2026, role):
    client.force_login(world.users[role])
    page = client.get("/", follow=True)
    assert page.status_code == 200
    assert 'id="calendar-notice"' not in page.content.decode()


@pytest.mark.django_db
def test_no_notice_before_november(world, client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 10, 31))
    client.force_login(world.users[Role.ADMINISTRATOR])
    assert 'id="calendar-notice"' not in client.get("/").content.decode()


def test_the_cache_holds_a_year_at_a_time():
    assert holidays.statutory_holidays(2040) is holidays.statutory_holidays(2040)
