"""The device registry's operations: each refusal names its field and writes nothing; each change an audit row."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, NotAllowed, NotInArea, OperationError
from wangge.sensing.alerts import raise_alert, source_of
from wangge.sensing.models import Alert, AlertState, AlertType, Device, DeviceState
from wangge.sensing.services_devices import do_create_device, do_set_device_state, do_update_device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are compared in English (the msgids); zh_Hans has them too."""
    from django.utils import translation

    with translation.override("en"):
        yield

CAMERA = "51010700001320000007"


def _camera(**extra):
    return {"code": CAMERA, "kind": "camera", "name": "幸福路口", "camera_class": "public_security",
            "storage_days": 30, "play_url": "https://video.example.invalid/play/7", **extra}


def _refused(call, *args, **kwargs) -> dict:
    with pytest.raises(FieldErrors) as refused:
        call(*args, **kwargs)
    return refused.value.errors


def test_a_camera_at_a_point_takes_the_grid_holding_it(world):
    op = world.users[Role.STREET_OPERATOR]
    lng, lat = world.grid_center(world.grids[1])
    device = do_create_device(op, **_camera(lng=lng, lat=lat))
    assert (device.grid, device.lng, device.lat, device.state) == (world.grids[1], lng, lat, DeviceState.IN_SERVICE)
    entry = AuditEntry.objects.get(operation="sensing.create_device")
    assert (entry.actor, entry.details["code"], entry.details["grid"]) == (op, CAMERA, world.grids[1].code)


def test_a_door_on_a_building_takes_its_grid_and_point(world, registry):
    building = registry["home"]["building"]
    door = do_create_device(world.users[Role.DISTRICT_OPERATOR], code="DOOR-9", kind="door", name="1栋门禁",
                            building=building.pk, maintainer="幸福物业", installed_on="2024-03-01")
    assert (door.grid_id, door.lng, door.lat, door.building) == (building.grid_id, building.lng, building.lat,
                                                                  building)
    assert str(door.installed_on) == "2024-03-01"


def test_a_point_given_in_gcj02_is_stored_in_wgs84(world):
    from wangge.areas.crs import from_wgs84

    lng, lat = world.grid_center(world.grids[0])
    g_lng, g_lat = from_wgs84(lng, lat, "gcj02")
    device = do_create_device(world.users[Role.DISTRICT_OPERATOR], code="SMOKE-1", kind="detector", name="烟感",
                              lng=g_lng, lat=g_lat, crs="gcj02")
    assert abs(device.lng - lng) < 1e-5 and abs(device.lat - lat) < 1e-5


@pytest.mark.parametrize("change, field, words", [
    ({"code": "51010700009990000007"}, "code", "digits 11–13 (type) 999 is not a device type"),
    ({"code": "51010700001340000007"}, "code", "not a camera"),
    ({"code": "51099900001320000007"}, "code", "digits 1–8 (centre)"),
    ({"code": "CAM-1"}, "code", "20 digits"),
    ({"camera_class": ""}, "camera_class", ""),
    ({"camera_class": "secret"}, "camera_class", ""),
    ({"storage_days": None}, "storage_days", ""),
    ({"storage_days": "0"}, "storage_days", ""),
    ({"storage_days": "lots"}, "storage_days", ""),
    ({"play_url": "rtsp://10.0.0.1/live"}, "play_url", "http"),
    ({"play_url": "javascript:alert(1)"}, "play_url", "http"),
    ({"name": ""}, "name", ""),
    ({"name": "名" * 101}, "name", "too long"),
    ({"kind": "robot"}, "kind", ""),
    ({"lng": None, "lat": None}, "location", ""),
    ({"lng": 120.0, "lat": 30.0}, "location", ""),
    ({"installed_on": "2999-01-01"}, "installed_on", "future"),
    ({"timeout_seconds": "3"}, "timeout_seconds", ""),
])
def test_bad_input_is_refused_by_field_and_nothing_is_written(world, change, field, words):
    lng, lat = world.grid_center(world.grids[0])
    errors = _refused(do_create_device, world.users[Role.DISTRICT_OPERATOR], **_camera(**{"lng": lng, "lat": lat,
                                                                                           **change}))
    assert field in errors and words in errors[field]
    assert not Device.objects.exists() and not AuditEntry.objects.filter(operation__startswith="sensing.").exists()


def test_a_code_is_registered_once(world):
    lng, lat = world.grid_center(world.grids[0])
    op = world.users[Role.DISTRICT_OPERATOR]
    do_create_device(op, **_camera(lng=lng, lat=lat))
    assert "already registered" in _refused(do_create_device, op, **_camera(lng=lng, lat=lat))["code"]
    assert Device.objects.count() == 1


def test_a_door_code_is_free_form_but_safe_and_a_20_digit_one_must_decode(world, registry):
    op = world.users[Role.DISTRICT_OPERATOR]
    building = registry["home"]["building"].pk
    assert "code" in _refused(do_create_device, op, code="门 1/2", kind="door", name="门", building=building)
    assert "type" in _refused(do_create_device, op, code="51010700009990000001", kind="door", name="门",
                              building=building)["code"]
    door = do_create_device(op, code="51010700011420000001", kind="door", name="门", building=building)
    assert door.code.endswith("0001")


def test_the_building_point_and_device_must_be_in_the_actors_area(world, registry):
    street_op = world.users[Role.STREET_OPERATOR]
    away = registry["away"]["building"]
    assert "building" in _refused(do_create_device, street_op, code="DOOR-X", kind="door", name="门",
                                  building=away.pk)
    lng, lat = world.grid_center(world.grids[4])
    assert "location" in _refused(do_create_device, street_op, **_camera(lng=lng, lat=lat))
    assert not Device.objects.exists()
    outside = do_create_device(world.users[Role.DISTRICT_OPERATOR], code="DOOR-AWAY", kind="door", name="门",
                               building=away.pk)
    with pytest.raises(NotInArea):
        do_update_device(street_op, outside, name="改名")
    with pytest.raises(NotInArea):
        do_set_device_state(street_op, outside, DeviceState.RETIRED)
    outside.refresh_from_db()
    assert (outside.name, outside.state) == ("门", DeviceState.IN_SERVICE)


@pytest.mark.parametrize("role", [Role.COMMUNITY_OPERATOR, Role.GRID_WORKER, Role.MEDIATOR])
def test_only_the_device_keepers_register_devices(world, role):
    lng, lat = world.grid_center(world.grids[0])
    with pytest.raises(NotAllowed):
        do_create_device(world.users[role], **_camera(lng=lng, lat=lat))
    assert not Device.objects.exists()


def test_an_update_changes_what_it_names_and_audits_the_changes(world, registry):
    op = world.users[Role.DISTRICT_OPERATOR]
    lng, lat = world.grid_center(world.grids[0])
    camera = do_create_device(op, **_camera(lng=lng, lat=lat))
    camera = do_update_device(op, camera, storage_days="90", maintainer="武侯公安分局",
                              building=registry["home"]["building"].pk)
    assert (camera.storage_days, camera.maintainer, camera.building_id) == (90, "武侯公安分局",
                                                                           registry["home"]["building"].pk)
    entry = AuditEntry.objects.get(operation="sensing.update_device")
    assert entry.details["changed"]["storage_days"] == [30, 90]
    assert "code" in _refused(do_update_device, op, camera, code="51010700001320000008")
    assert "play_url" in _refused(do_update_device, op, camera, play_url="ftp://x")
    camera.refresh_from_db()
    assert camera.code == CAMERA and camera.play_url.startswith("https://")
    do_update_device(op, camera, storage_days=90)  # nothing changes: no audit row
    assert AuditEntry.objects.filter(operation="sensing.update_device").count() == 1


def test_a_door_cannot_become_a_camera_without_a_camera_code(world, registry):
    op = world.users[Role.DISTRICT_OPERATOR]
    door = do_create_device(op, code="DOOR-1", kind="door", name="门", building=registry["home"]["building"].pk)
    errors = _refused(do_update_device, op, door, kind="camera", camera_class="courtyard", storage_days=30)
    assert "kind" in errors
    door.refresh_from_db()
    assert door.kind == "door"


def test_state_changes_are_audited_and_clear_an_open_offline_alert(world, registry):
    op = world.users[Role.DISTRICT_OPERATOR]
    door = do_create_device(op, code="DOOR-1", kind="door", name="门", building=registry["home"]["building"].pk)
    raise_alert(AlertType.DEVICE_OFFLINE, source_of("device", door.pk), grid_id=door.grid_id, title="离线")
    Device.objects.filter(pk=door.pk).update(offline_alerted=True)
    door.refresh_from_db()
    door = do_set_device_state(op, door, DeviceState.MAINTENANCE, note="更换读卡器")
    assert (door.state, door.offline_alerted) == (DeviceState.MAINTENANCE, False)
    assert Alert.objects.get().state == AlertState.CLOSED
    entry = AuditEntry.objects.get(operation="sensing.set_device_state")
    assert (entry.details["from_state"], entry.details["to_state"], entry.details["note"]) == (
        "in_service", "maintenance", "更换读卡器")
    with pytest.raises(OperationError) as refused:
        do_set_device_state(op, door, DeviceState.MAINTENANCE)
    assert refused.value.field == "state"
    with pytest.raises(OperationError):
        do_set_device_state(op, door, "broken")
    assert AuditEntry.objects.filter(operation="sensing.set_device_state").count() == 1
