"""The device pages: list and map by kind and connectivity, the device page, open the video, the forms."""
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.sensing.connectivity import mark_seen
from wangge.sensing.models import Device, DeviceState
from wangge.sensing.testing import door_event, make_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(world, sensing):
    """The fixture's door, far door and camera; the door online, the camera offline, a detector never seen."""
    mark_seen(sensing["door"])
    mark_seen(sensing["camera"], timezone.now() - timedelta(hours=2))
    lng, lat = world.grid_center(world.grids[1])
    detector = make_device(world.grids[1], "SMOKE-1", kind="detector", name="烟感1", lng=lng, lat=lat)
    return {**sensing, "detector": detector}


def _codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


def test_the_list_shows_the_users_area_with_connectivity(client, world, devices):
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = client.get("/sensing/devices/")
    assert response.status_code == 200
    assert sorted(_codes(response)) == sorted(["DOOR-HOME-1", "51010700001320000001", "SMOKE-1"])
    body = response.content.decode()
    assert 'data-code="DOOR-HOME-1" data-kind="door" data-connectivity="online"' in body
    assert 'data-connectivity="offline"' in body and 'data-connectivity="unknown"' in body
    assert "DOOR-AWAY-1" not in body


@pytest.mark.parametrize("query, expected", [
    ("kind=camera", ["51010700001320000001"]),
    ("connectivity=online", ["DOOR-HOME-1"]),
    ("connectivity=offline", ["51010700001320000001"]),
    ("connectivity=unknown", ["DOOR-AWAY-1", "SMOKE-1"]),
    ("state=retired", []),
])
def test_the_list_filters(client, world, devices, query, expected):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert sorted(_codes(client.get(f"/sensing/devices/?{query}"))) == expected


def test_the_area_filter_narrows_and_outside_is_404(client, world, devices):
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert _codes(client.get(f"/sensing/devices/?area={world.grids[1].code}")) == ["SMOKE-1"]
    assert client.get(f"/sensing/devices/?area={world.grids[4].code}").status_code == 404


def test_the_list_pages_by_cursor(client, world, devices):
    from wangge.testing import pager_link

    for i in range(60):
        make_device(world.grids[0], f"D-{i:03d}")
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    first = client.get("/sensing/devices/?kind=door")
    second = client.get("/sensing/devices/" + pager_link(first, "next"))
    assert len(_codes(first)) == 50 and len(_codes(second)) == 12
    assert not set(_codes(first)) & set(_codes(second))


def test_the_map_carries_the_located_devices(client, world, devices):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/sensing/devices/map/?kind=detector")
    assert response.status_code == 200
    body = response.content.decode()
    points = json.loads(re.search(r'<script id="device-points" type="application/json">(.*?)</script>', body,
                                  re.S).group(1))
    assert [(p[2], p[4]) for p in points] == [("SMOKE-1", "unknown")]
    assert "wangge/devicemap.js" in body and "wangge/pointmap.js" in body


def test_the_device_page_decodes_the_camera_and_lists_its_history(client, world, devices):
    from wangge.sensing.services_devices import do_set_device_state

    camera = devices["camera"]
    do_set_device_state(world.users[Role.DISTRICT_OPERATOR], camera, DeviceState.MAINTENANCE, note="换镜头")
    client.force_login(world.users[Role.GRID_WORKER])
    body = client.get(f"/sensing/devices/{camera.code}/").content.decode()
    assert 'id="device-gbt28181"' in body and "网络摄像机(IPC)" in body and "武侯区" in body
    assert 'data-kind="state"' in body and "换镜头" in body
    assert "video.example.invalid" not in body  # the play URL only through "open the video"


def test_recent_events_show_masked_cards(client, world, devices):
    card = devices["card"]
    door_event(devices["door"], 1, card=card.number, card_id=card.pk)
    client.force_login(world.users[Role.GRID_WORKER])
    body = client.get("/sensing/devices/DOOR-HOME-1/").content.decode()
    assert card.number not in body
    assert card.number[:6] + "******" + card.number[-4:] in body


def test_open_the_video_asks_why_and_logs_it(client, world, devices):
    camera = devices["camera"]
    client.force_login(world.users[Role.GRID_WORKER])
    refused = client.post(f"/sensing/devices/{camera.code}/open/", {"reason": ""})
    assert refused.status_code == 422
    assert not AuditEntry.objects.filter(operation="sensing.open_camera").exists()
    response = client.post(f"/sensing/devices/{camera.code}/open/", {"reason": "核查盗窃案"})
    assert (response.status_code, response["Location"]) == (302, camera.play_url)
    entry = AuditEntry.objects.get(operation="sensing.open_camera")
    assert (entry.actor, entry.details["reason"]) == (world.users[Role.GRID_WORKER], "核查盗窃案")


def test_a_device_outside_the_area_is_404_everywhere(client, world, devices):
    client.force_login(world.users[Role.GRID_WORKER])
    for url in ("/sensing/devices/DOOR-AWAY-1/", "/sensing/devices/NO-SUCH/"):
        assert client.get(url).status_code == 404
    assert client.post("/sensing/devices/DOOR-AWAY-1/open/", {"reason": "x"}).status_code == 404


def test_the_forms_register_and_edit_a_device(client, world, devices, registry):
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert client.get("/sensing/devices/new/").status_code == 200
    bad = client.post("/sensing/devices/new/", {"code": "51010700009990000009", "kind": "camera", "name": "路口",
                                                "crs": "wgs84", "building": registry["home"]["building"].pk})
    assert bad.status_code == 400 and "999" in bad.content.decode()
    assert not Device.objects.filter(code="51010700009990000009").exists()
    created = client.post("/sensing/devices/new/", {"code": "GATE-1", "kind": "gate", "name": "东门道闸",
                                                    "crs": "wgs84", "building": registry["home"]["building"].pk})
    assert created.status_code == 302 and created["Location"] == "/sensing/devices/GATE-1/"
    edit = client.post("/sensing/devices/GATE-1/edit/", {"kind": "gate", "name": "东门道闸2", "crs": "wgs84",
                                                         "building": registry["home"]["building"].pk,
                                                         "maintainer": "幸福物业"})
    assert edit.status_code == 302
    gate = Device.objects.get(code="GATE-1")
    assert (gate.name, gate.maintainer) == ("东门道闸2", "幸福物业")
    state = client.post("/sensing/devices/GATE-1/state/", {"state": "retired", "note": "拆除"})
    assert state.status_code == 302
    assert Device.objects.get(code="GATE-1").state == DeviceState.RETIRED


@pytest.mark.parametrize("role", [Role.COMMUNITY_OPERATOR, Role.GRID_WORKER])
def test_the_forms_are_for_the_device_keepers(client, world, devices, role):
    client.force_login(world.users[role])
    assert client.get("/sensing/devices/new/").status_code == 403
    assert client.get("/sensing/devices/DOOR-HOME-1/edit/").status_code == 403
    assert client.post("/sensing/devices/DOOR-HOME-1/state/", {"state": "retired"}).status_code == 403
    assert Device.objects.get(code="DOOR-HOME-1").state == DeviceState.IN_SERVICE


@pytest.mark.parametrize("role", [Role.DEPARTMENT_HANDLER, Role.MEDIATOR])
def test_the_pages_are_for_those_who_watch_an_area(client, world, devices, role):
    client.force_login(world.users[role])
    for url in ("/sensing/devices/", "/sensing/devices/map/", "/sensing/devices/DOOR-HOME-1/"):
        assert client.get(url).status_code == 403


def test_the_menu_has_devices(client, world, devices):
    client.force_login(world.users[Role.GRID_WORKER])
    assert 'id="nav-devices"' in client.get("/sensing/devices/").content.decode()
