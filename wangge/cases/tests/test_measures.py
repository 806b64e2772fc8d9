"""The measures over a small known ledger: every count, numerator, denominator and rate by hand.

The ledger (June 2025, read on 2025-07-10; street 1 holds grids 0 and 2, street 2 holds grid 4):

  A g0 CG  reported 06-01 10:00, dispatched 06-02 10:00, accepted +2h, closed 06-05 on time, satisfied
  B g0 CG  reported 06-03 10:00, dispatched 11:00, accepted +4h, extended, reworked, closed 06-20 late, basically
  C g2     self-resolved 06-04 09:00 (another category), rated unsatisfied
  D g2     rejected 06-05
  E g0     merged into A 06-06
  F g0     reported 06-25, not triaged, due 07-02
  G g2 CG  reported 06-10, dispatched, open, due 06-17 (overdue)
  H g0 CG  reported 06-12, dispatched 06-12 10:00, accepted +6h, due 06-26, closed 07-03 late
  I g4     reported 06-08 10:00, dispatched to a level, closed 06-09 10:00 on time
  J g0 CG  reported 05-20 10:00, closed 06-02 10:00 on time
  K g2     reported 06-15, registered (not dispatched), due 07-01
"""
from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from wangge.cases.measures import ParamError, case_stats, parse_query
from wangge.cases.models import Case, Category, State
from wangge.core.roles import Role

NOW = timezone.make_aware(datetime(2025, 7, 10, 12))
_numbers = count(1)


def at(month, day, hour=10):
    return timezone.make_aware(datetime(2025, month, day, hour))


def make_case(grid, category, reported_at, state, **fields):
    n = next(_numbers)
    fields.setdefault("handle_by", reported_at + timedelta(days=7))
    return Case.objects.create(number=f"T{n:06d}", tracking_code=f"TC{n:08d}", channel="grid_worker",
                               category=category, title=f"测试事件{n}", grid=grid, owner_region=grid,
                               reported_at=reported_at, state=state, **fields)


@pytest.fixture
def ledger(world):
    g0, g2, g4 = world.grids[0], world.grids[2], world.grids[4]
    cg = world.department
    main = Category.objects.get(major__code="01", code="001")
    other = Category.objects.exclude(major__code="01").order_by("major__code", "code").first()
    closed, s = State.CLOSED, State
    cases = {}
    cases["A"] = make_case(g0, main, at(6, 1), closed, registered_at=at(6, 1, 11), dispatched_at=at(6, 2),
                           accepted_at=at(6, 2, 12), handled_at=at(6, 4), closed_at=at(6, 5), handle_by=at(6, 10),
                           on_time=True, rating="satisfied", rated_at=at(6, 6), assignee_department=cg)
    cases["B"] = make_case(g0, main, at(6, 3), closed, registered_at=at(6, 3, 10), dispatched_at=at(6, 3, 11),
                           accepted_at=at(6, 3, 15), handled_at=at(6, 19), closed_at=at(6, 20), handle_by=at(6, 15),
                           on_time=False, rework_count=1, extension_count=1, rating="basically",
                           rated_at=at(6, 21), assignee_department=cg)
    cases["C"] = make_case(g2, other, at(6, 4, 9), closed, self_resolved=True, handled_at=at(6, 4, 9),
                           closed_at=at(6, 4, 9), handle_by=at(6, 11), on_time=True, rating="unsatisfied",
                           rated_at=at(6, 5))
    cases["D"] = make_case(g2, main, at(6, 5), s.REJECTED, closed_at=at(6, 5, 11), handle_by=at(6, 12))
    cases["E"] = make_case(g0, main, at(6, 6), s.MERGED, closed_at=at(6, 6, 11), merged_into=cases["A"],
                           handle_by=at(6, 13))
    cases["F"] = make_case(g0, main, at(6, 25), s.REPORTED, handle_by=at(7, 2))
    cases["G"] = make_case(g2, main, at(6, 10), s.DISPATCHED, registered_at=at(6, 10, 11),
                           dispatched_at=at(6, 10, 12), handle_by=at(6, 17), assignee_department=cg)
    cases["H"] = make_case(g0, main, at(6, 12, 9), closed, registered_at=at(6, 12, 9), dispatched_at=at(6, 12, 10),
                           accepted_at=at(6, 12, 16), handled_at=at(7, 2), closed_at=at(7, 3), handle_by=at(6, 26),
                           on_time=False, assignee_department=cg)
    cases["I"] = make_case(g4, main, at(6, 8), closed, registered_at=at(6, 8, 11), dispatched_at=at(6, 8, 12),
                           handled_at=at(6, 9, 9), closed_at=at(6, 9), handle_by=at(6, 15), on_time=True,
                           assignee_region=world.communities[2])
    cases["J"] = make_case(g0, main, at(5, 20), closed, registered_at=at(5, 20, 11), dispatched_at=at(5, 21),
                           accepted_at=at(5, 21, 11), handled_at=at(6, 1), closed_at=at(6, 2), handle_by=at(6, 3),
                           on_time=True, assignee_department=cg)
    cases["K"] = make_case(g2, main, at(6, 15), s.REGISTERED, registered_at=at(6, 15, 11), handle_by=at(7, 1))
    return cases


def june(**extra):
    return {"from": "2025-06-01", "to": "2025-06-30", **extra}


def stats(user, **params):
    return case_stats(user, parse_query(user, params, today=date(2025, 7, 10)), now=NOW)


def rate(row, name):
    m = row["measures"][name]
    return m["numerator"], m["denominator"], m["rate"]


def test_every_measure_of_the_whole_ledger(world, ledger):
    total = stats(world.users[Role.DISTRICT_OPERATOR], **june())["total"]
    assert total["counts"] == {
        "received": 10, "merged": 1, "rejected": 1, "self_resolved": 1, "registered": 6, "dispatched": 5,
        "extended": 1, "closed": 5, "closed_on_time": 4, "reworked": 1, "due": 7, "due_unclosed": 2,
        "overdue_open": 1, "rated": 3, "satisfied": 1, "basically": 1, "unsatisfied": 1,
    }
    # 立案率: registered / (received - merged - self-resolved)
    assert rate(total, "register_rate") == (6, 8, 0.75)
    assert rate(total, "dispatch_rate") == (5, 6, 0.8333)
    # 结案率: closed in June / (closed in June + fell due in June and not closed by its end: G, H)
    assert rate(total, "close_rate") == (5, 7, 0.7143)
    # 按期结案率: closed on time / due to close (A C I J of the 7), as districts publish it
    assert rate(total, "on_time_rate") == (4, 7, 0.5714)
    assert rate(total, "on_time_share") == (4, 5, 0.8)
    assert rate(total, "rework_rate") == (1, 5, 0.2)
    assert rate(total, "extension_rate") == (1, 5, 0.2)
    assert rate(total, "satisfaction_rate") == (2, 3, 0.6667)
    assert rate(total, "strict_satisfaction_rate") == (1, 3, 0.3333)
    assert rate(total, "self_resolve_rate") == (1, 10, 0.1)
    # accepted - dispatched: A 2h, B 4h, H 6h (J was reported in May)
    assert rate(total, "accept_hours") == (12.0, 3, 4.0)
    # closed - reported, self-resolved left out: A 96h, B 408h, I 24h, J 312h
    assert rate(total, "close_hours") == (840.0, 4, 210.0)


def test_by_street_and_the_rows_add_up(world, ledger):
    answer = stats(world.users[Role.DISTRICT_OPERATOR], group="region", **june())
    assert answer["level"] == "street"
    rows = {r["code"]: r for r in answer["rows"]}
    assert list(rows) == [s.code for s in world.streets]
    one, two = rows[world.streets[0].code], rows[world.streets[1].code]
    assert one["label"] == world.streets[0].name
    assert one["counts"]["received"] == 9 and two["counts"]["received"] == 1
    assert rate(one, "close_rate") == (4, 6, 0.6667)
    assert rate(two, "close_rate") == (1, 1, 1.0)
    assert rate(two, "close_hours") == (24.0, 1, 24.0)
    assert rate(two, "accept_hours") == (0, 0, None)
    for name in answer["total"]["counts"]:
        assert one["counts"][name] + two["counts"][name] == answer["total"]["counts"][name], name


def test_by_community_and_grid_under_a_street(world, ledger):
    street_op = world.users[Role.STREET_OPERATOR]
    answer = stats(street_op, group="region", level="community", **june())
    rows = {r["code"]: r["counts"]["received"] for r in answer["rows"]}
    assert rows == {world.communities[0].code: 5, world.communities[1].code: 4}
    grids = stats(street_op, group="region", level="grid", **june())["rows"]
    assert {r["code"]: r["counts"]["received"] for r in grids} == {
        world.grids[0].code: 5, world.grids[1].code: 0, world.grids[2].code: 4, world.grids[3].code: 0}


def test_a_street_operator_sees_only_their_street(world, ledger):
    mine = stats(world.users[Role.STREET_OPERATOR], **june())
    other = stats(world.outsiders[Role.STREET_OPERATOR], **june())
    assert mine["total"]["counts"]["received"] == 9
    assert rate(mine["total"], "close_rate") == (4, 6, 0.6667)
    assert other["total"]["counts"]["received"] == 1
    assert other["total"]["counts"]["closed"] == 1
    assert [r["code"] for r in other["rows"]] == [world.communities[2].code, world.communities[3].code]
    assert world.streets[0].code not in str(other)


def test_by_department_and_a_handler_sees_their_department_only(world, ledger):
    rows = {r["code"]: r for r in stats(world.users[Role.DISTRICT_OPERATOR], group="department", **june())["rows"]}
    assert set(rows) == {"CG", ""}
    assert rows["CG"]["label"] == "城管局"
    assert rows["CG"]["counts"]["received"] == 4  # A B G H
    assert rows[""]["counts"]["received"] == 6
    assert rows["CG"]["counts"]["closed"] == 3  # A B J
    handler = stats(world.users[Role.DEPARTMENT_HANDLER], group="department", **june())
    assert [r["code"] for r in handler["rows"]] == ["CG"]
    assert handler["total"]["counts"]["received"] == 4
    assert rate(handler["total"], "on_time_rate") == (2, 5, 0.4)
    assert rate(handler["total"], "on_time_share") == (2, 3, 0.6667)
    assert rate(handler["total"], "close_rate") == (3, 5, 0.6)  # A B J closed; G H fell due unclosed


def test_by_category_and_major(world, ledger):
    other = ledger["C"].category
    rows = {r["code"]: r for r in stats(world.users[Role.DISTRICT_OPERATOR], group="category", **june())["rows"]}
    assert set(rows) == {"01001", other.full_code}
    assert rows["01001"]["counts"]["received"] == 9
    assert rows[other.full_code]["counts"]["self_resolved"] == 1
    assert rows[other.full_code]["label"] == f"{other.major.name} / {other.name}"
    majors = {r["code"]: r["counts"]["received"] for r in
              stats(world.users[Role.DISTRICT_OPERATOR], group="major", **june())["rows"]}
    assert majors == {"01": 9, other.major.code: 1}


def test_by_month(world, ledger):
    answer = stats(world.users[Role.DISTRICT_OPERATOR], group="period", period="month", **{"from": "2025-05-01",
                                                                                            "to": "2025-07-31"})
    rows = {r["label"]: r for r in answer["rows"]}
    assert list(rows) == ["2025-05", "2025-06", "2025-07"]
    assert [rows[m]["counts"]["received"] for m in rows] == [1, 10, 0]
    assert [rows[m]["counts"]["closed"] for m in rows] == [0, 5, 1]
    assert rate(rows["2025-06"], "close_rate") == (5, 7, 0.7143)
    # July so far (read on the 10th): H closed; F and K fell due and are still open.
    assert rows["2025-07"]["counts"]["due_unclosed"] == 2 and rows["2025-07"]["counts"]["overdue_open"] == 2
    assert rate(rows["2025-07"], "close_rate") == (1, 3, 0.3333)
    assert rate(rows["2025-05"], "close_rate") == (0, 0, None)
    assert answer["total"]["counts"]["received"] == 11


def test_by_week_and_quarter_buckets(world, ledger):
    op = world.users[Role.DISTRICT_OPERATOR]
    weeks = stats(op, group="period", period="week", **june())["rows"]
    assert weeks[0]["label"] == "2025-W22" and weeks[0]["code"] == "2025-05-26"
    assert sum(w["counts"]["received"] for w in weeks) == 10
    quarters = stats(op, group="period", period="quarter", **{"from": "2025-01-01", "to": "2025-12-31"})["rows"]
    assert [q["label"] for q in quarters] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert [q["counts"]["received"] for q in quarters] == [0, 11, 0, 0]


def test_nothing_to_count_gives_no_rates(world, ledger):
    total = stats(world.users[Role.DISTRICT_OPERATOR], **{"from": "2024-01-01", "to": "2024-01-31"})["total"]
    assert set(total["counts"].values()) == {0}
    for name, measure in total["measures"].items():
        assert measure["rate"] is None, name
        assert measure["denominator"] == 0


def test_default_window_is_the_current_period(world, ledger):
    op = world.users[Role.DISTRICT_OPERATOR]
    query = parse_query(op, {}, today=date(2025, 6, 18))
    assert (query.group, query.period, query.region_level) == ("region", "month", "street")
    assert (query.date_from, query.date_to) == (date(2025, 6, 1), date(2025, 6, 30))
    trend = parse_query(op, {"group": "period"}, today=date(2025, 6, 18))
    assert (trend.date_from, trend.date_to) == (date(2024, 7, 1), date(2025, 6, 30))
    assert case_stats(op, query, now=NOW)["total"]["counts"]["received"] == 10


@pytest.mark.parametrize("params, field", [
    ({"group": "street"}, "group"),
    ({"period": "fortnight"}, "period"),
    ({"level": "building"}, "level"),
    ({"from": "2025-13-01"}, "from"),
    ({"from": "2025-06-10", "to": "2025-06-01"}, "to"),
    ({"group": "period", "period": "day", "from": "2020-01-01", "to": "2025-01-01"}, "from"),
])
def test_bad_parameters_name_the_field(world, params, field):
    with pytest.raises(ParamError) as caught:
        parse_query(world.users[Role.DISTRICT_OPERATOR], params)
    assert field in caught.value.errors


def test_a_level_above_the_region_is_refused(world):
    with pytest.raises(ParamError) as caught:
        parse_query(world.users[Role.COMMUNITY_OPERATOR], {"level": "street"})
    assert "level" in caught.value.errors


def test_a_region_outside_the_area_is_not_found(world):
    from django.http import Http404

    with pytest.raises(Http404):
        parse_query(world.users[Role.STREET_OPERATOR], {"region": world.streets[1].code})


def test_a_query_is_a_fixed_number_of_queries(world, ledger, django_assert_max_num_queries):
    op = world.users[Role.DISTRICT_OPERATOR]
    query = parse_query(op, {"group": "region", "level": "grid", **june()})
    with django_assert_max_num_queries(10):
        case_stats(op, query, now=NOW)


def test_a_published_month_reads_as_the_district_published_it(world):
    """A district's published month: 972 due to close, 911 closed, 737 of them on time → 结案率 93.72 %,
    按期结案率 75.82 % (both over 应结案数). Built as cases: 911 closed in June (737 on time), and 61 that fell due
    in June and were still open at its end."""
    grid, category = world.grids[0], Category.objects.get(major__code="01", code="001")
    rows = []
    for i in range(972):
        n = next(_numbers)
        reported = at(6, 1 + i % 20)
        fields = {"state": State.DISPATCHED, "handle_by": at(6, 25)}
        if i < 911:
            fields = {"state": State.CLOSED, "closed_at": at(6, 21 + i % 9), "on_time": i < 737,
                      "handle_by": at(6, 25) if i < 737 else at(6, 20)}
        rows.append(Case(number=f"P{n:06d}", tracking_code=f"PC{n:08d}", channel="grid_worker", category=category,
                         title=f"测试事件{n}", grid=grid, owner_region=grid, reported_at=reported, **fields))
    Case.objects.bulk_create(rows)
    total = stats(world.users[Role.DISTRICT_OPERATOR], **june())["total"]
    assert (total["counts"]["due"], total["counts"]["closed"], total["counts"]["closed_on_time"]) == (972, 911, 737)
    assert rate(total, "close_rate") == (911, 972, 0.9372)
    assert rate(total, "on_time_rate") == (737, 972, 0.7582)
    # The share of closures on time reads higher than the published rate: a separate measure, named as such.
    assert rate(total, "on_time_share") == (737, 911, 0.809)
