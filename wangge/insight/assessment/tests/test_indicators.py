"""Each indicator against the hand-built ledger (tests/ledger.py): grouped figures, the one-target figures and the
drill-down agree, and case figures are the case measures' own."""
import pytest

from wangge.core.roles import Role
from wangge.insight.assessment.compute import targets_of
from wangge.insight.assessment.indicators import REGISTRY, compute
from wangge.insight.assessment.tests.ledger import NOW, build_ledger, june_window, scheme

pytestmark = pytest.mark.django_db

ANY = [{"code": "spot_check", "weight": 100, "bands": []}]


def _targets(world, target_type):
    return {t.key: t for t in targets_of(scheme(world, target_type, ANY))}


def _figures(world, code, target_type, key):
    """(grouped over every target, the same by one target, the drill-down's (records, counted)) of one target."""
    targets = _targets(world, target_type)
    indicator = REGISTRY[code]
    grouped = indicator.grouped(list(targets.values()), june_window(), world.district.path)
    numerator, denominator, records = compute(indicator, targets[key], june_window(), world.district.path)
    assert grouped[key] == (numerator, denominator)
    return (numerator, denominator), records


def _key(world, target_type, obj):
    prefix = {"grid_worker": "u", "department": "d"}.get(target_type, "r")
    return f"{prefix}{obj.pk}"


@pytest.fixture
def ledger(world):
    return build_ledger(world)


def test_grid_worker_indicators(world, ledger):
    c = ledger["cases"]
    key = _key(world, "grid_worker", world.users[Role.GRID_WORKER])
    figures, records = _figures(world, "reports_filed", "grid_worker", key)
    assert figures == (4, None)
    assert {pk for _k, pk, _c in records} == {c[x].pk for x in "ABCD"}
    figures, records = _figures(world, "valid_report_rate", "grid_worker", key)
    assert figures == (2, 4)  # C rejected, D merged
    assert {pk for _k, pk, counted in records if counted} == {c["A"].pk, c["B"].pk}
    figures, records = _figures(world, "satisfaction_rate", "grid_worker", key)
    assert figures == (1, 2)
    figures, records = _figures(world, "visits_done", "grid_worker", key)
    assert figures == (1, 2)
    assert [(kind, counted) for kind, _pk, counted in records] == [("person", True), ("person", False)]
    figures, _records = _figures(world, "base_data", "grid_worker", key)
    assert figures == (2, None)
    figures, records = _figures(world, "alerts_in_time", "grid_worker", key)
    assert figures == (2, 3)
    assert {pk for _k, pk, counted in records if not counted} == {ledger["alerts"][1].pk}
    # The other grid worker reported only F.
    other = _key(world, "grid_worker", world.outsiders[Role.GRID_WORKER])
    assert _figures(world, "reports_filed", "grid_worker", other)[0] == (1, None)


def test_case_figures_are_the_case_measures_own(world, ledger):
    """按期结案率 and the others are read from wangge.cases.measures: the community's figure is the stats page's."""
    from wangge.cases.measures import case_stats, parse_query

    community = world.communities[0]
    op = world.users[Role.DISTRICT_OPERATOR]
    stats = case_stats(op, parse_query(op, {"region": community.code, "from": "2025-06-01", "to": "2025-06-30",
                                            "group_by": "period"}), now=NOW)
    june = stats["rows"][0]["measures"]
    key = _key(world, "community", community)
    for code in ("on_time_rate", "register_rate", "rework_rate", "satisfaction_rate"):
        figures, _records = _figures(world, code, "community", key)
        assert figures == (june[code]["numerator"], june[code]["denominator"]), code
    assert _figures(world, "register_rate", "community", key)[0] == (2, 3)  # valid: A B C (D merged)
    assert _figures(world, "rework_rate", "community", key)[0] == (1, 2)


def test_area_indicators(world, ledger):
    key = _key(world, "community", world.communities[0])
    figures, records = _figures(world, "verified_on_time", "community", key)
    assert figures == (1, 2)  # A in 10 h, B in 48 h; E self-resolved is not verified
    assert {pk for _k, pk, counted in records if counted} == {ledger["cases"]["A"].pk}
    assert _figures(world, "mediation_success_rate", "community", key)[0] == (1, 2)
    assert _figures(world, "visits_done", "community", key)[0] == (1, 2)
    street = _key(world, "street", world.streets[0])
    assert _figures(world, "alerts_in_time", "street", street)[0] == (2, 3)
    assert _figures(world, "mediation_success_rate", "street", street)[0] == (1, 2)
    other_street = _key(world, "street", world.streets[1])
    assert _figures(world, "mediation_success_rate", "street", other_street)[0] == (1, 1)
    assert _figures(world, "alerts_in_time", "street", other_street)[0] == (0, 0)


def test_department_indicators(world, ledger):
    c = ledger["cases"]
    key = _key(world, "department", world.department)
    figures, records = _figures(world, "dispatch_accuracy", "department", key)
    # Four dispatches: A's, B's and F's second stayed; F's first was returned (F is listed as not counted).
    assert figures == (3, 4)
    assert {pk: counted for _k, pk, counted in records} == {c["A"].pk: True, c["B"].pk: True, c["F"].pk: False}
    figures, records = _figures(world, "accepted_on_time", "department", key)
    assert figures == (1, 3)  # A on time; B late; F unsigned past its accept-by
    assert {pk for _k, pk, counted in records if counted} == {c["A"].pk}
    assert _figures(world, "extension_rate", "department", key)[0] == (1, 3)


def test_excluded_records_leave_the_figures(world, ledger):
    c = ledger["cases"]
    targets = _targets(world, "grid_worker")
    key = _key(world, "grid_worker", world.users[Role.GRID_WORKER])
    indicator = REGISTRY["valid_report_rate"]
    numerator, denominator, records = compute(indicator, targets[key], june_window(), world.district.path,
                                              {"case": {c["C"].pk}})
    assert (numerator, denominator) == (2, 3)
    assert c["C"].pk not in {pk for _k, pk, _c in records}


def test_only_the_assessing_region_counts(world, ledger):
    """A scheme of street 0 counts nothing of street 1, even for a grid worker type."""
    from wangge.insight.assessment import services

    street_scheme = services.do_save_scheme(world.users[Role.STREET_OPERATOR], name="街道社区考核",
                                            region=world.streets[0], target_type="community", indicators=ANY)
    keys = {t.key for t in targets_of(street_scheme)}
    assert keys == {f"r{world.communities[0].pk}", f"r{world.communities[1].pk}"}


def test_alerts_in_time_count_from_when_the_platform_raised_them(world, ledger):
    """A door's buffered upload: its alert happened hours before it arrived, and the grid team acknowledged it
    30 minutes after it arrived — in time. It counts in the month it was raised."""
    from datetime import timedelta

    from wangge.sensing.models import Alert

    buffered = ledger["alerts"][0]
    Alert.objects.filter(pk=buffered.pk).update(first_seen=buffered.raised_at - timedelta(days=12),
                                               last_seen=buffered.raised_at - timedelta(days=12))
    key = _key(world, "grid_worker", world.users[Role.GRID_WORKER])
    figures, records = _figures(world, "alerts_in_time", "grid_worker", key)
    assert figures == (2, 3)
    assert {pk for _k, pk, counted in records if counted} == {buffered.pk, ledger["alerts"][2].pk}
