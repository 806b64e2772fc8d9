"""GET/POST /api/v1/devices, GET/PATCH /api/v1/devices/{code}: scoped reads, refusals by field, nothing written."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.sensing.connectivity import mark_seen
from wangge.sensing.models import Device, DeviceState

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, world, sensing):
    mark_seen(sensing["door"])
    mark_seen(sensing["camera"], timezone.now() - timedelta(hours=1))

    def call(method, url, role=Role.STREET_OPERATOR, **body):
        client.force_login(world.users[role])
        if method == "get":
            return client.get(url)
        return getattr(client, method)(url, body, content_type="application/json")
    return call


def _codes(response):
    return sorted(row["code"] for row in response.json()["items"])


def test_the_list_is_the_callers_area_with_connectivity(api):
    response = api("get", "/api/v1/devices")
    assert response.status_code == 200
    items = {row["code"]: row for row in response.json()["items"]}
    assert sorted(items) == ["51010700001320000001", "DOOR-HOME-1"]
    assert items["DOOR-HOME-1"]["connectivity"] == "online"
    assert items["51010700001320000001"]["connectivity"] == "offline"
    assert items["51010700001320000001"]["has_video"] is True
    assert "play_url" not in items["51010700001320000001"]


@pytest.mark.parametrize("query, expected", [
    ("kind=camera", ["51010700001320000001"]),
    ("connectivity=online", ["DOOR-HOME-1"]),
    ("connectivity=offline", ["51010700001320000001"]),
    ("state=maintenance", []),
])
def test_the_list_filters(api, query, expected):
    assert _codes(api("get", f"/api/v1/devices?{query}")) == expected


def test_bad_filters_are_422_and_an_outside_area_404(api, world):
    response = api("get", "/api/v1/devices?kind=robot")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "kind"]
    assert api("get", "/api/v1/devices?connectivity=maybe").status_code == 422
    assert api("get", f"/api/v1/devices?area={world.grids[4].code}").status_code == 404
    assert _codes(api("get", f"/api/v1/devices?area={world.grids[0].code}")) == ["51010700001320000001",
                                                                                 "DOOR-HOME-1"]


def test_one_device_with_its_decoding_and_outside_is_404(api):
    body = api("get", "/api/v1/devices/51010700001320000001").json()
    assert body["camera_class"] == "courtyard" and body["storage_days"] == 30
    assert [part["digits"] for part in body["gbt28181"]] == ["51010700", "00", "132", "0", "000001"]
    assert api("get", "/api/v1/devices/DOOR-HOME-1").json()["gbt28181"] == []
    assert api("get", "/api/v1/devices/DOOR-AWAY-1").status_code == 404
    assert api("get", "/api/v1/devices/NOPE").status_code == 404
    assert api("get", "/api/v1/devices/a%20b").status_code == 404
    assert api("get", "/api/v1/devices/%00x").status_code in (400, 404)


def test_post_registers_and_refuses_by_field(api, world):
    lng, lat = world.grid_center(world.grids[1])
    good = {"code": "51010700001310000099", "kind": "camera", "name": "路口", "lng": lng, "lat": lat,
            "camera_class": "public_security", "storage_days": 30, "play_url": "https://video.example.invalid/99"}
    bad = api("post", "/api/v1/devices", **{**good, "code": "51010700009990000099", "camera_class": "x"})
    assert bad.status_code == 422
    fields = {tuple(d["loc"]) for d in bad.json()["detail"]}
    assert fields == {("body", "code"), ("body", "camera_class")}
    assert not Device.objects.filter(code__endswith="0099").exists()
    created = api("post", "/api/v1/devices", **good)
    assert created.status_code == 201 and created.json()["grid"] == world.grids[1].code
    assert AuditEntry.objects.filter(operation="sensing.create_device").count() == 1


def test_patch_changes_fields_and_state_and_refuses_by_field(api):
    response = api("patch", "/api/v1/devices/DOOR-HOME-1", maintainer="幸福物业", state="maintenance", note="换锁")
    assert response.status_code == 200
    assert (response.json()["maintainer"], response.json()["state"]) == ("幸福物业", "maintenance")
    bad = api("patch", "/api/v1/devices/51010700001320000001", play_url="rtsp://x", state="retired")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "play_url"]
    camera = Device.objects.get(code="51010700001320000001")
    assert (camera.state, camera.play_url) == (DeviceState.IN_SERVICE, "https://video.example.invalid/play/1")
    assert api("patch", "/api/v1/devices/DOOR-AWAY-1", name="x").status_code == 404


@pytest.mark.parametrize("role", [Role.COMMUNITY_OPERATOR, Role.GRID_WORKER])
def test_writes_are_for_the_device_keepers(api, world, role):
    lng, lat = world.grid_center(world.grids[0])
    assert api("post", "/api/v1/devices", role=role, code="X-1", kind="door", name="门", lng=lng,
               lat=lat).status_code == 403
    assert api("patch", "/api/v1/devices/DOOR-HOME-1", role=role, name="改").status_code == 403
    assert Device.objects.get(code="DOOR-HOME-1").name == "幸福路1号1栋门禁"


@pytest.mark.parametrize("role", [Role.DEPARTMENT_HANDLER, Role.MEDIATOR])
def test_reads_are_for_those_who_watch_an_area(api, role):
    assert api("get", "/api/v1/devices", role=role).status_code == 403
    assert api("get", "/api/v1/devices/DOOR-HOME-1", role=role).status_code == 403
