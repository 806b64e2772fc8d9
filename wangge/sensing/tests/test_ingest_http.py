"""Door and gate events over HTTP: POST /api/v1/devices/events (both halves of every bad input: refused with the
field, and nothing stored) and GET /api/v1/devices/{code}/events (scoped, masked, keyset pages)."""
import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.sensing import ingest
from wangge.sensing.cards import mask_card
from wangge.sensing.models import AccessEvent, Alert, AlertType, Device
from wangge.sensing.services import do_issue_device_token
from wangge.sensing.testing import make_device

pytestmark = pytest.mark.django_db
URL = "/api/v1/devices/events"


@pytest.fixture
def door(sensing):
    return sensing["door"]


@pytest.fixture
def token(door):
    return do_issue_device_token(None, door)


def post(client, token, body, raw=False):
    data = body if raw else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, data=data, content_type="application/json", **headers)


def event(seq, card="", **extra):
    item = {"seq": seq, "ts": timezone.now().isoformat(), "card": card, "door": "1", "direction": "in",
            "granted": True}
    item.update(extra)
    return item


def test_a_batch_is_stored_resolved_and_seen(client, sensing, door, token):
    card = sensing["card"]
    response = post(client, token, [event(1, card.number), event(2, "5101070000009990"),
                                    event(3, card.number, ts=int(timezone.now().timestamp() * 1000))])
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 3, "duplicates": 0, "heartbeats": 0}
    rows = {e.seq: e for e in AccessEvent.objects.filter(device=door)}
    assert rows[1].person_id == card.person_id and rows[1].card_id == card.pk and rows[1].card_check == ""
    assert rows[1].grid_id == door.grid_id
    assert rows[2].card_id is None and rows[2].card_check in ("unknown", "malformed")
    door.refresh_from_db()
    assert door.last_seen_at is not None
    # The unknown card raised its alert through the rules, on the new rows.
    assert Alert.objects.filter(type=AlertType.UNKNOWN_CARD, device=door).count() == 1


def test_the_same_event_sent_twice_is_stored_once(client, sensing, door, token):
    same = event(7, sensing["card"].number, ts="2026-12-01T08:00:00+08:00")
    same["ts"] = (timezone.now() - timedelta(hours=1)).isoformat()
    assert post(client, token, same).json() == {"stored": 1, "duplicates": 0, "heartbeats": 0}
    assert post(client, token, [same, event(8, sensing["card"].number)]).json() == {
        "stored": 1, "duplicates": 1, "heartbeats": 0}
    assert post(client, token, [same, same]).json()["duplicates"] == 2
    assert AccessEvent.objects.filter(device=door, seq=7).count() == 1


def test_a_counter_reset_is_a_new_event_not_a_duplicate(client, sensing, door, token):
    """(device, seq, ts): after a reset the same seq comes again with another time, and is stored."""
    earlier = (timezone.now() - timedelta(days=2)).isoformat()
    post(client, token, event(1, sensing["card"].number, ts=earlier))
    assert post(client, token, event(1, sensing["card"].number)).json()["stored"] == 1
    assert AccessEvent.objects.filter(device=door, seq=1).count() == 2


def test_a_repeat_raises_no_second_rule_count(client, sensing, door, token):
    unknown = event(5, "5101070000009990")
    post(client, token, unknown)
    post(client, token, unknown)
    assert Alert.objects.get(type=AlertType.UNKNOWN_CARD, device=door).count == 1


def test_heartbeat_marks_the_device_seen_only(client, door, token):
    assert post(client, token, {"type": "heartbeat"}).json() == {"stored": 0, "duplicates": 0, "heartbeats": 1}
    door.refresh_from_db()
    assert door.last_seen_at is not None and not AccessEvent.objects.exists()


def test_gate_takes_plates_and_door_alarms(client, world, sensing, door, token):
    gate = make_device(world.grids[0], "GATE-1", kind="gate")
    gate_token = do_issue_device_token(None, gate)
    response = post(client, gate_token, {"seq": 1, "ts": timezone.now().isoformat(), "plate": "川a12345",
                                         "direction": "out", "granted": False, "reason": "not_registered"})
    assert response.status_code == 200, response.content
    assert AccessEvent.objects.get(device=gate).plate == "川A12345"
    response = post(client, token, {"seq": 9, "ts": timezone.now().isoformat(), "door": "2", "alarm": "forced_open"})
    assert response.status_code == 200, response.content
    assert Alert.objects.filter(type=AlertType.DOOR_FORCED, device=door).exists()


# --- refusals: the answer names the field, and nothing of the request is stored -------------------------------


def _nothing_stored():
    return not AccessEvent.objects.exists()


@pytest.mark.parametrize("token_kind", ["missing", "wrong", "replaced", "retired"])
def test_a_bad_token_is_401_and_stores_nothing(client, sensing, door, token, token_kind):
    used = {"missing": "", "wrong": "DOOR-HOME-1.not-the-token", "replaced": token, "retired": token}[token_kind]
    if token_kind == "replaced":
        do_issue_device_token(None, door)
    if token_kind == "retired":
        Device.objects.filter(pk=door.pk).update(state="retired")
    response = post(client, used, event(1, sensing["card"].number))
    assert response.status_code == 401
    assert _nothing_stored()
    door.refresh_from_db()
    assert door.last_seen_at is None


def test_a_staff_token_is_not_a_device_token(client, world, sensing):
    from wangge.core.services import do_create_token

    _, raw = do_create_token(None, world.users[Role.ADMINISTRATOR])
    assert post(client, raw, event(1, sensing["card"].number)).status_code == 401
    assert _nothing_stored()


def test_malformed_json_is_422_at_the_body(client, token):
    response = post(client, token, '{"seq": 1, "ts": ', raw=True)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert _nothing_stored()


def test_a_batch_over_the_limit_is_413(client, sensing, token):
    response = post(client, token, [event(i, sensing["card"].number) for i in range(ingest.MAX_BATCH + 1)])
    assert response.status_code == 413
    assert "1000" in response.json()["detail"][0]["msg"]
    assert _nothing_stored()


BAD = [
    ("future", {"ts": "FUTURE"}, "ts"),
    ("before installed", {"ts": "BEFORE_INSTALLED"}, "ts"),
    ("not a time", {"ts": "yesterday"}, "ts"),
    ("time missing", {"ts": None}, "ts"),
    ("ms out of range", {"ts": 10 ** 16}, "ts"),
    ("short card", {"card": "51010700000"}, "card"),
    ("card with letters", {"card": "510107000000012X"}, "card"),
    ("card a number", {"card": 5101070000000123}, "card"),
    ("no card", {"card": ""}, "card"),
    ("plate at a door", {"plate": "川A12345"}, "plate"),
    ("seq missing", {"seq": None}, "seq"),
    ("seq negative", {"seq": -1}, "seq"),
    ("seq text", {"seq": "12"}, "seq"),
    ("seq too big", {"seq": 2 ** 63}, "seq"),
    ("direction", {"direction": "up"}, "direction"),
    ("granted text", {"granted": "yes"}, "granted"),
    ("refused without reason", {"granted": False}, "reason"),
    ("unknown alarm", {"alarm": "smoke"}, "alarm"),
    ("unknown type", {"type": "reboot"}, "type"),
    ("door too long", {"door": "x" * 33}, "door"),
]


@pytest.mark.parametrize("name,change,field", BAD, ids=[b[0] for b in BAD])
def test_a_bad_event_is_422_with_its_index_and_field_and_the_batch_is_not_stored(client, sensing, door, token,
                                                                                 name, change, field):
    Device.objects.filter(pk=door.pk).update(installed_on=date.today() - timedelta(days=30))
    door.refresh_from_db()
    token = do_issue_device_token(None, door)
    bad = {**event(2, sensing["card"].number), **change}
    if bad["ts"] == "FUTURE":
        bad["ts"] = (timezone.now() + timedelta(minutes=10)).isoformat()
    elif bad["ts"] == "BEFORE_INSTALLED":
        bad["ts"] = (timezone.now() - timedelta(days=40)).isoformat()
    bad = {k: v for k, v in bad.items() if v is not None and v != ""}
    response = post(client, token, [event(1, sensing["card"].number), bad, event(3, sensing["card"].number)])
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", 1, field]
    assert _nothing_stored()
    door.refresh_from_db()
    assert door.last_seen_at is None
    assert not Alert.objects.exists()


def test_one_bad_object_names_the_field_without_an_index(client, token):
    response = post(client, token, {"seq": 1, "ts": "soon", "card": "1", "direction": "in", "granted": True})
    assert response.status_code == 422
    assert {tuple(d["loc"]) for d in response.json()["detail"]} == {("body", "ts"), ("body", "card")}
    assert _nothing_stored()


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "[1]"])
def test_neither_an_object_nor_a_list_of_them_is_422(client, token, body):
    assert post(client, token, body, raw=True).status_code == 422
    assert _nothing_stored()


def test_an_event_from_a_camera_is_refused(client, sensing):
    camera_token = do_issue_device_token(None, sensing["camera"])
    response = post(client, camera_token, event(1, sensing["card"].number))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "type"]
    assert post(client, camera_token, {"type": "heartbeat"}).status_code == 200
    assert _nothing_stored()


# --- reading ------------------------------------------------------------------------------------------------


def _store(door, count, card=""):
    now = timezone.now()
    events = [{"seq": i, "at": now - timedelta(minutes=i), "card_number": card, "plate": "", "door": "1",
               "direction": "in", "granted": True, "reason": "", "alarm": ""} for i in range(count)]
    ingest.store_events(Device.objects.select_related("grid").get(pk=door.pk), events, now)


def test_staff_read_events_masked_in_pages(client, world, sensing, door):
    _store(door, 7, sensing["card"].number)
    client.force_login(world.users[Role.GRID_WORKER])
    first = client.get(f"/api/v1/devices/{door.code}/events?limit=5").json()
    assert [e["seq"] for e in first["items"]] == [0, 1, 2, 3, 4]
    assert first["items"][0]["card"] == mask_card(sensing["card"].number)
    assert sensing["card"].number not in json.dumps(first)
    second = client.get(f"/api/v1/devices/{door.code}/events?limit=5&after={first['next']}").json()
    assert [e["seq"] for e in second["items"]] == [5, 6] and second["next"] is None
    back = client.get(f"/api/v1/devices/{door.code}/events?limit=5&before={second['previous']}").json()
    assert [e["seq"] for e in back["items"]] == [0, 1, 2, 3, 4]


def test_a_device_outside_the_area_is_404(client, world, sensing):
    _store(sensing["away_door"], 2)
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(f"/api/v1/devices/{sensing['away_door'].code}/events").status_code == 404
    assert client.get("/api/v1/devices/NO-SUCH/events").status_code == 404


def test_a_database_outage_answers_503_to_retry(client, sensing, token, monkeypatch):
    """The database going away mid-request is no bad input and no bug: 503 with Retry-After (the faults test,
    test_ingest_faults.py, restarts a real PostgreSQL under load)."""
    from django.db import OperationalError

    def unavailable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ingest, "store_events", unavailable)
    response = post(client, token, event(1, sensing["card"].number))
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert _nothing_stored()


def test_repeats_in_one_batch_count_on_one_alert(client, door, token):
    """The rules take a batch whole: three passes of the same unknown card are one alert counted three times."""
    response = post(client, token, [event(i, "5101070000009990") for i in range(3)])
    assert response.json()["stored"] == 3
    assert Alert.objects.get(type=AlertType.UNKNOWN_CARD, device=door).count == 3


def test_device_token_command_prints_a_working_token(client, sensing, door, capsys):
    from django.core.management import CommandError, call_command

    call_command("device_token", door.code)
    raw = capsys.readouterr().out.strip()
    assert post(client, raw, event(1, sensing["card"].number)).status_code == 200
    with pytest.raises(CommandError):
        call_command("device_token", "NO-SUCH-DOOR")
