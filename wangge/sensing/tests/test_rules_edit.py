"""Rules as data: set and remove per area, thresholds checked, audited, taking effect at once."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, NotAllowed, NotInArea
from wangge.sensing import rules
from wangge.sensing.models import AlertRule
from wangge.sensing.services_rules import do_remove_rule, do_set_rule

pytestmark = pytest.mark.django_db


def test_set_a_rule_for_an_area_and_it_applies_there(world):
    operator = world.users[Role.DISTRICT_OPERATOR]
    rule = do_set_rule(operator, "no_activity", world.streets[0], severity="major", params={"hours": "36"})
    assert rule.params == {"hours": 36} and AuditEntry.objects.filter(operation="sensing.set_rule").exists()
    assert rules.rule_for("no_activity", world.grids[0]).params["hours"] == 36
    assert rules.rule_for("no_activity", world.grids[4]).params["hours"] == 24
    do_remove_rule(operator, rule)
    assert rules.rule_for("no_activity", world.grids[0]).params["hours"] == 24


def test_bad_thresholds_are_refused_by_name_and_nothing_is_saved(world):
    operator = world.users[Role.DISTRICT_OPERATOR]
    with pytest.raises(FieldErrors) as refused:
        do_set_rule(operator, "over_occupancy", world.district, params={"days": "0", "margin": "many"})
    assert set(refused.value.errors) == {"days", "margin"}
    with pytest.raises(FieldErrors) as refused:
        do_set_rule(operator, "key_person", world.district, params={"tags": "community_correction,elder_living_alone"})
    assert "elder_living_alone" in refused.value.errors["tags"]  # a care group is not a special group
    assert not AlertRule.objects.exists()


def test_only_inside_ones_area_and_with_the_permission(world):
    with pytest.raises(NotInArea):
        do_set_rule(world.users[Role.DISTRICT_OPERATOR], "door_forced", None)  # everywhere: administrators only
    with pytest.raises(NotAllowed):
        do_set_rule(world.users[Role.GRID_WORKER], "door_forced", world.grids[0])
    assert not AlertRule.objects.exists()


def test_the_rules_page(client, world):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    page = client.get("/sensing/rules/")
    assert page.status_code == 200 and 'id="rule-form"' in page.content.decode()
    saved = client.post("/sensing/rules/", {"type": "no_activity", "area": world.streets[0].code, "enabled": "1",
                                            "hours": "48"})
    assert saved.status_code == 302 and AlertRule.objects.get().params == {"hours": 48}
    bad = client.post("/sensing/rules/", {"type": "no_activity", "area": world.streets[0].code, "hours": "-3"})
    assert bad.status_code == 422 and 'data-error-for="hours"' in bad.content.decode()
    assert AlertRule.objects.get().params == {"hours": 48}
    outside = client.post("/sensing/rules/", {"type": "no_activity", "area": "510199"})
    assert outside.status_code == 404
    client.force_login(world.users[Role.GRID_WORKER])
    assert 'id="rule-form"' not in client.get("/sensing/rules/").content.decode()
