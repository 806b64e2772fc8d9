"""The alerts and cards API: reading in the area, acting with versions, refusals at the same statuses as pages."""
import pytest

from wangge.core.roles import Role
from wangge.sensing.alerts import raise_alert, source_of
from wangge.sensing.models import Alert, AlertState, AlertType, Card, CardState

pytestmark = pytest.mark.django_db



@pytest.fixture
def alerts(world, sensing):
    door = sensing["door"]
    home = raise_alert(AlertType.DOOR_FORCED, source_of("device", door.pk), grid_id=door.grid_id, title="门被强行打开",
                       device_id=door.pk, details={"card": sensing["card"].number}).alert
    away = raise_alert(AlertType.DOOR_FORCED, source_of("device", sensing["away_door"].pk),
                       grid_id=sensing["away_door"].grid_id, title="外网格门被强行打开",
                       device_id=sensing["away_door"].pk).alert
    return {"home": home, "away": away}


def test_the_list_holds_the_area_and_masks_card_numbers(client, world, sensing, alerts):
    client.force_login(world.users[Role.GRID_WORKER])
    answer = client.get("/api/v1/alerts?status=open&type=door_forced")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [item["id"] for item in items] == [alerts["home"].pk]
    assert sensing["card"].number not in answer.content.decode()
    assert items[0]["details"]["card"].endswith(sensing["card"].number[-4:])


def test_bad_filters_are_422_naming_the_field(client, world, alerts):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    answer = client.get("/api/v1/alerts?severity=loud")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "severity"
    assert client.get("/api/v1/alerts?area=999999").status_code == 404


def test_acknowledge_then_a_stale_version_is_409(client, world, alerts):
    client.force_login(world.users[Role.GRID_WORKER])
    alert = alerts["home"]
    url = f"/api/v1/alerts/{alert.pk}/actions/acknowledge"
    answer = client.post(url, {"version": alert.version}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["state"] == "acknowledged"
    again = client.post(url, {"version": alert.version}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "version"


def test_refusals_change_nothing(client, world, alerts):
    client.force_login(world.users[Role.GRID_WORKER])
    alert = alerts["home"]
    closed = client.post(f"/api/v1/alerts/{alert.pk}/actions/close", {"version": alert.version, "resolution": "x"},
                         content_type="application/json")
    assert closed.status_code == 422
    assigned = client.post(f"/api/v1/alerts/{alert.pk}/actions/assign", {"version": alert.version, "assignee": 1},
                           content_type="application/json")
    assert assigned.status_code == 403
    outside = client.post(f"/api/v1/alerts/{alerts['away'].pk}/actions/acknowledge", {"version": 1},
                          content_type="application/json")
    assert outside.status_code == 404
    alert.refresh_from_db()
    assert (alert.state, alert.version) == (AlertState.ACTIVE, 1)
    assert Alert.objects.get(pk=alerts["away"].pk).state == AlertState.ACTIVE


def test_issue_and_report_a_card_lost(client, world, registry_home, sensing):
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    issued = client.post("/api/v1/cards", {"person": registry_home["member"].pk}, content_type="application/json")
    assert issued.status_code == 201
    card = Card.objects.get(pk=issued.json()["id"])
    assert issued.json()["number"] != card.number and issued.json()["number"].endswith(card.number[-4:])
    lost = client.post(f"/api/v1/cards/{card.pk}/actions/report_lost", {}, content_type="application/json")
    assert lost.status_code == 200 and lost.json()["state"] == CardState.LOST
    twice = client.post("/api/v1/cards", {"person": registry_home["head"].pk}, content_type="application/json")
    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"][-1] == "person"
    assert Card.objects.count() == 2
