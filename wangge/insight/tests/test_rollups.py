"""The rollups: every level's rows equal the raw counts, whole months and edge days read together, and the
worker's round follows a state change."""
import random
from datetime import date, datetime, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from wangge.cases import testing
from wangge.cases.models import Case, Category, State
from wangge.core.roles import Role
from wangge.insight import rollups
from wangge.insight.models import Rollup, Source, Span

pytestmark = pytest.mark.django_db


def local(day: date, hour=10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def make_cases(world, specs):
    """Cases straight into the table (as a bulk load would): (grid, category, reported day, state, on_time)."""
    rows = []
    for i, (grid, category, day, state, on_time, hour) in enumerate(specs):
        rows.append(Case(number=f"R{i:06d}", tracking_code=f"RC{i:08d}", channel="grid_worker", category=category,
                         title="测试事件", grid=grid, owner_region=grid, reported_at=local(day, hour), state=state,
                         on_time=on_time))
    Case.objects.bulk_create(rows)


def raw_counts(parent, first, last):
    """The same figures by a plain GROUP BY over the cases: child region, major category, state."""
    start, end = rollups.local_start(first), rollups.local_start(last + timedelta(days=1))
    out = {}
    for child in parent.children.all():
        grouped = (Case.objects.filter(grid__path__startswith=child.path, reported_at__gte=start, reported_at__lt=end)
                   .values_list("category__major__code", "state").annotate(n=Count("id")))
        for kind, state, n in grouped:
            out[(child.pk, kind, state)] = n
    return out


@pytest.fixture
def random_cases(world):
    rng = random.Random(7)
    categories = list(Category.objects.filter(active=True)[:6])
    states = [State.REPORTED, State.DISPATCHED, State.CLOSED]
    specs = []
    for _ in range(400):
        state = rng.choice(states)
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(120))
        # hour 23 local: the day is the local one, not UTC's (15:00 UTC the same day)
        specs.append((rng.choice(world.grids), rng.choice(categories), day, state,
                      state == State.CLOSED and rng.random() < 0.7, rng.choice([0, 10, 23])))
    make_cases(world, specs)
    rollups.rebuild()


@pytest.mark.parametrize("first,last", [
    (date(2025, 1, 1), date(2025, 4, 30)),   # whole months only
    (date(2025, 1, 15), date(2025, 3, 10)),  # edge days either side of a month
    (date(2025, 2, 3), date(2025, 2, 20)),   # days inside one month
    (date(2025, 3, 31), date(2025, 3, 31)),  # one day
])
def test_every_level_matches_the_raw_group_by(world, random_cases, first, last):
    for parent in (world.district, world.streets[0], world.communities[1]):
        rows = rollups.counts(Source.CASE, first, last, parent=parent)
        got = {(r["region"], r["kind"], r["state"]): r["n"] for r in rows if r["n"]}
        assert got == raw_counts(parent, first, last)
        assert got, "the window holds cases"


def test_a_regions_own_total_and_on_time(world, random_cases):
    first, last = date(2025, 1, 1), date(2025, 4, 30)
    rows = rollups.counts(Source.CASE, first, last, region=world.streets[1], by=("state",))
    start, end = rollups.local_start(first), rollups.local_start(last + timedelta(days=1))
    cases = Case.objects.filter(grid__path__startswith=world.streets[1].path, reported_at__gte=start,
                                reported_at__lt=end)
    assert sum(r["n"] for r in rows) == cases.count() > 0
    assert sum(r["on_time"] for r in rows) == cases.filter(state=State.CLOSED, on_time=True).count() > 0


def test_month_rows_are_the_sum_of_day_rows(world, random_cases):
    days = Rollup.objects.filter(source=Source.CASE, span=Span.DAY, day__month=2).values_list("n", flat=True)
    months = Rollup.objects.filter(source=Source.CASE, span=Span.MONTH, day=date(2025, 2, 1)).values_list("n",
                                                                                                           flat=True)
    assert sum(days) == sum(months) > 0


def test_the_worker_round_follows_a_state_change(world):
    rollups.rebuild()
    case = testing.report(world)
    today = timezone.localdate()
    rollups.poll()
    grid_rows = rollups.counts(Source.CASE, today, today, region=case.grid, by=("state",))
    assert {r["state"]: r["n"] for r in grid_rows} == {State.REPORTED: 1}
    testing.act(world.users[Role.DISTRICT_OPERATOR], case, "register")
    rollups.poll()
    grid_rows = rollups.counts(Source.CASE, today, today, region=case.grid, by=("state",))
    assert {r["state"]: r["n"] for r in grid_rows if r["n"]} == {State.REGISTERED: 1}
    district = rollups.counts(Source.CASE, today, today, region=world.district, by=("state",))
    assert {r["state"]: r["n"] for r in district if r["n"]} == {State.REGISTERED: 1}


def test_a_changed_region_tree_rebuilds_the_ancestors(world):
    rollups.rebuild()
    case = testing.report(world)
    rollups.poll()
    assert not rollups.sync_ancestors()  # nothing changed since
    world.grids[0].save()  # touched: updated_at moves
    assert rollups.sync_ancestors()
    today = timezone.localdate()
    assert rollups.counts(Source.CASE, today, today, region=world.district, by=())[0]["n"] == 1
    assert case.pk


def test_disputes_and_alerts_are_counted_too(world):
    from wangge.mediation.testing import build_mediation, register
    from wangge.sensing.alerts import raise_alert

    build_mediation(world)
    register(world)
    raise_alert("door_forced", "device:1", grid_id=world.grids[0].pk, title="测试告警")
    written = rollups.rebuild()
    assert written[Source.DISPUTE] > 0 and written[Source.ALERT] > 0
    today = timezone.localdate()
    alerts = rollups.counts(Source.ALERT, today, today, region=world.district, by=("kind", "state"))
    assert alerts == [{"kind": "door_forced", "state": "active", "n": 1, "on_time": 0}]


def test_the_all_kinds_rows_sum_every_kind(world, random_cases):
    first, last = date(2025, 1, 10), date(2025, 3, 20)
    for parent in (world.district, world.streets[0]):
        by_state = {(r["region"], r["state"]): r["n"]
                    for r in rollups.counts(Source.CASE, first, last, parent=parent, by=("region", "state"))}
        summed = {}
        for r in rollups.counts(Source.CASE, first, last, parent=parent):
            summed[(r["region"], r["state"])] = summed.get((r["region"], r["state"]), 0) + r["n"]
        assert by_state == summed and sum(by_state.values()) > 0
