"""Bands, ratings, ranks, the weights' rescaling when an indicator does not apply, the schemes' checks on odd input,
and the default schemes (what load_demo creates)."""
import json
from decimal import Decimal

import pytest

from wangge.core.roles import Role
from wangge.core.services import FieldErrors
from wangge.insight.assessment import rules
from wangge.insight.assessment.defaults import DEFAULTS, HIGH, LOW
from wangge.insight.assessment.models import Scheme

D = Decimal


@pytest.mark.parametrize("value, points", [(D(100), 100), (D(95), 100), (D("94.99"), 90), (D(90), 90), (D(80), 75),
                                           (D("79.99"), 50), (D(60), 50), (D("59.99"), 0), (D(0), 0)])
def test_a_value_earns_the_points_of_its_band(value, points):
    assert rules.band_points(value, HIGH) == points


def test_lower_is_better_bands_and_values_in_no_band():
    assert rules.band_points(D(0), LOW) == 100 and rules.band_points(D(20), LOW) == 0
    assert rules.band_points(D(50), [{"from": 0, "to": 10, "points": 100}]) == 0


@pytest.mark.parametrize("total, letter", [(D(100), "A"), (D(90), "A"), (D("89.99"), "B"), (D(75), "B"),
                                           (D("74.99"), "C"), (D(60), "C"), (D("59.99"), "D"), (D(40), "D"),
                                           (D("39.99"), "E"), (D(0), "E"), (None, "")])
def test_ratings(total, letter):
    assert rules.rating(total) == letter


def test_ranks_share_equal_totals():
    assert rules.ranks({"a": D(90), "b": D(80), "c": D(90), "d": None, "e": D(70)}) == {"a": 1, "c": 1, "b": 3,
                                                                                      "e": 4}


def test_an_indicator_that_does_not_apply_leaves_the_others_to_count_for_the_whole():
    plan = [{"code": "on_time_rate", "weight": 60, "bands": HIGH},
            {"code": "satisfaction_rate", "weight": 30, "bands": HIGH},
            {"code": "spot_check", "weight": 10, "bands": []}]
    rows, total = rules.score_indicators(plan, {"on_time_rate": (19, 20), "satisfaction_rate": (0, 0),
                                                "spot_check": (D(80), None)})
    # 95 % → 100 points × 60, spot check 80 × 10 → 68 of 70.
    assert total == D("97.14")
    assert rows["satisfaction_rate"]["applies"] is False and rows["on_time_rate"]["value"] == 95.0
    assert rules.score_indicators(plan, {"satisfaction_rate": (0, 0)})[1] is None


@pytest.mark.parametrize("indicators", [
    "on_time_rate", [1, 2], [{"code": "on_time_rate", "weight": "abc", "bands": HIGH}],
    [{"code": "on_time_rate", "weight": True, "bands": HIGH}],
    [{"code": "on_time_rate", "weight": 100, "bands": [{"from": "nan", "to": None, "points": 1}]}],
    [{"code": "on_time_rate", "weight": 100, "bands": [{"from": [], "to": None, "points": 1}]}],
    [{"code": "on_time_rate", "weight": 100, "bands": [{"from": "Infinity", "to": None, "points": 1}]}],
    [{"code": "on_time_rate", "weight": 100, "bands": "95-:100"}],
    [{"code": "on_time_rate", "weight": 100.001, "bands": HIGH}],
    [{"code": "on_time_rate", "weight": 50, "bands": HIGH}, {"code": "on_time_rate", "weight": 50, "bands": HIGH}],
    [{"code": None, "weight": 100, "bands": HIGH}], [],
])
def test_odd_indicator_input_is_a_field_error(indicators):
    with pytest.raises(FieldErrors):
        rules.clean_indicators(indicators, "community")


def test_odd_scheme_bodies_answer_422_and_save_nothing(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    bodies = [{"name": "x", "region": "510107", "target_type": "nope", "indicators": []},
              {"name": "", "region": "510107", "target_type": "community", "indicators": DEFAULTS["community"][
                  "indicators"]},
              {"name": "x", "region": "510107", "target_type": "community", "indicators": [{"code": "spot_check",
                                                                                           "weight": 100}],
               "allowance_rule": {"kind": "by_rating"}},
              {"name": "x", "region": "510107", "target_type": "grid_worker", "indicators": [
                  {"code": "spot_check", "weight": 100}], "allowance_rule": {"kind": "linked", "base": "x"}},
              {"name": "x", "region": "510107001001001", "target_type": "community", "indicators": [
                  {"code": "spot_check", "weight": 100}]}]
    for body in bodies:
        response = client.post("/api/v1/assessment/schemes", json.dumps(body), content_type="application/json")
        assert response.status_code == 422, body
    assert not Scheme.objects.exists()


def test_the_default_schemes_are_valid_and_made_once(world):
    from wangge.insight.assessment.defaults import create_default_schemes

    made = create_default_schemes(None, world.district)
    assert sorted(s.target_type for s in made) == ["community", "department", "grid_worker", "street"]
    for scheme in made:
        assert sum(r["weight"] for r in scheme.indicators) == 100
    assert made[0].allowance_rule["amounts"]["E"] >= 200
    assert create_default_schemes(None, world.district) == []
    assert Scheme.objects.count() == 4


def test_wiping_the_demo_district_takes_its_assessment_along(world):
    from wangge.insight.assessment import demo, services
    from wangge.insight.assessment.defaults import create_default_schemes
    from wangge.insight.assessment.models import Appeal, AppealEvent, Period, Score

    op, gridder = world.users[Role.DISTRICT_OPERATOR], world.users[Role.GRID_WORKER]
    workers = create_default_schemes(None, world.district)[0]
    period = services.do_publish(op, services.do_open_period(op, workers, "2025-06-01"))
    services.do_submit_appeal(gridder, Score.objects.get(period=period, user=gridder), reason="复核")
    demo.wipe(world.district)
    assert not (Scheme.objects.exists() or Period.objects.exists() or Score.objects.exists()
                or Appeal.objects.exists() or AppealEvent.objects.exists())
