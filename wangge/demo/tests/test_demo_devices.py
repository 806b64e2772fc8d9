"""The demo district's devices: doors on electronic-door and rental buildings, cameras of the three classes with valid
GB/T 28181 codes under 510107, detectors in places, rental buildings with a head from the grid team; wiped with it."""
import io

import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import shape

from wangge.areas.models import Level, Region
from wangge.core.models import AuditEntry
from wangge.registry.models import Building, Place
from wangge.sensing.codes import check_camera_code, check_code
from wangge.sensing.models import CameraClass, Device, DeviceKind

TINY = ["--grids", "20", "--streets", "2", "--cases", "0", "--disputes", "0"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    out = io.StringIO()
    call_command("load_demo", *TINY, "--people", "1500", stdout=out)
    return out.getvalue()


def test_doors_on_every_electronic_door_and_rental_building(loaded):
    assert "door controllers" in loaded
    wanted = set(Building.objects.filter(has_electronic_door=True).values_list("pk", flat=True)) | set(
        Building.objects.filter(is_rental=True).values_list("pk", flat=True))
    doors = Device.objects.filter(kind=DeviceKind.DOOR)
    assert set(doors.values_list("building_id", flat=True)) == wanted
    assert doors.count() == len(wanted)
    for code in doors.values_list("code", flat=True)[:50]:
        assert check_code(code).type == "142"


def test_rental_buildings_have_a_head_from_the_grid_team_and_estates_a_property_company(loaded):
    rentals = Building.objects.filter(is_rental=True).select_related("head_staff", "grid")
    assert rentals.exists() and rentals.count() < Building.objects.count()
    for building in rentals:
        assert building.head_staff is not None and building.head_staff.grid_id == building.grid_id
    assert Building.objects.exclude(property_company="").exists()


def test_cameras_of_the_three_classes_with_valid_codes(loaded):
    cameras = Device.objects.filter(kind=DeviceKind.CAMERA)
    assert set(cameras.values_list("camera_class", flat=True)) == set(CameraClass.values)
    for camera in cameras:
        decoded = check_camera_code(camera.code)
        assert decoded.region_code == "510107"
        assert camera.storage_days and camera.play_url.startswith("https://video.wuhou.example.invalid/")
    grids = Region.objects.filter(level=Level.GRID)
    assert cameras.filter(camera_class=CameraClass.PUBLIC_SECURITY).count() == grids.count()
    for code in cameras.filter(camera_class=CameraClass.PUBLIC_SECURITY).values_list("code", flat=True):
        assert (check_code(code).industry, check_code(code).network) == ("00", "5")  # 路面, 公安信息网
    social = cameras.filter(camera_class=CameraClass.SOCIAL).select_related("place")
    assert social.exists() and all(c.place.kind in ("school", "hospital", "market", "hotel") for c in social)
    polygons = {r.pk: shape(r.polygon) for r in grids}
    for grid_id, lng, lat in cameras.values_list("grid_id", "lng", "lat"):
        assert shapely.contains_xy(polygons[grid_id], lng, lat)


def test_detectors_in_places_and_nothing_has_talked_yet(loaded):
    detectors = Device.objects.filter(kind=DeviceKind.DETECTOR)
    assert detectors.count() >= Place.objects.count()
    assert not detectors.filter(place__isnull=True).exists()
    assert not Device.objects.filter(last_seen_at__isnull=False).exists()
    assert AuditEntry.objects.filter(operation="demo.load_devices").count() == 1


def test_the_same_seed_gives_the_same_devices_and_force_wipes_them(loaded):
    before = sorted(Device.objects.values_list("code", "name", "kind"))
    call_command("load_demo", *TINY, "--people", "1500", "--force", stdout=io.StringIO())
    assert sorted(Device.objects.values_list("code", "name", "kind")) == before


def test_devices_are_added_to_a_district_loaded_before_they_existed(loaded):
    from wangge.demo.devices import wipe_sensing

    wipe_sensing(Region.objects.get(code="510107"))
    Building.objects.update(is_rental=False, head_staff=None, property_company="")
    assert not Device.objects.exists()
    out = io.StringIO()
    call_command("load_demo", *TINY, "--people", "1500", stdout=out)
    assert "loaded the demo devices" in out.getvalue()
    assert Device.objects.filter(kind=DeviceKind.CAMERA).exists()
