"""`python -m wangge import_devices FILE`: preview, all or nothing, row errors, the same file twice changes nothing."""
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.sensing.importing import read_devices_file, run_import
from wangge.sensing.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _csv(world, registry, *rows) -> str:
    lng, lat = world.grid_center(world.grids[1])
    building = registry["home"]["building"]
    head = "code,kind,name,lng,lat,building,class,storage_days,maintainer,installed,play_url"
    good = [
        f"51010700001320000011,camera,幸福路口,{lng},{lat},,public_security,30,武侯公安分局,2024-01-05,",
        f"51010700011310000012,摄像机,1栋院落,,,{building.address} {building.name},院落,45,幸福物业,,"
        "https://video.example.invalid/play/12",
        f"DOOR-IMP-1,door,1栋门禁,,,{building.pk},,,幸福物业,,",
    ]
    return "\n".join([head, *good, *rows]) + "\n"


def _run(tmp_path, text, *args, user="district_op"):
    path = tmp_path / "devices.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_devices", str(path), "--as", user, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_preview_writes_nothing_then_the_import_writes_all(world, registry, tmp_path):
    text = _csv(world, registry)
    out, _err = _run(tmp_path, text, "--dry-run")
    assert "would created 3, updated 0, unchanged 0" in out
    assert not Device.objects.exists()
    out, _err = _run(tmp_path, text)
    assert "created 3" in out
    cameras = Device.objects.filter(kind="camera").order_by("code")
    assert [(c.camera_class, c.storage_days) for c in cameras] == [("public_security", 30), ("courtyard", 45)]
    assert cameras[0].grid == world.grids[1]
    assert cameras[1].building == registry["home"]["building"] and cameras[1].play_url.endswith("/12")
    assert Device.objects.get(code="DOOR-IMP-1").building == registry["home"]["building"]
    entry = AuditEntry.objects.get(operation="sensing.import_devices")
    assert entry.details == {"created": 3, "updated": 0, "unchanged": 0}


def test_the_same_file_twice_changes_nothing_and_a_changed_row_updates(world, registry, tmp_path):
    text = _csv(world, registry)
    _run(tmp_path, text)
    out, _err = _run(tmp_path, text)
    assert "created 0, updated 0, unchanged 3" in out
    out, _err = _run(tmp_path, text.replace(",30,武侯公安分局", ",60,武侯公安分局"))
    assert "updated 1, unchanged 2" in out
    assert Device.objects.get(code="51010700001320000011").storage_days == 60


def test_one_bad_row_writes_nothing_and_every_error_is_named(world, registry, tmp_path):
    lng, lat = world.grid_center(world.grids[0])
    text = _csv(world, registry,
                f"51010700009990000013,camera,坏编码,{lng},{lat},,public_security,30,,,",
                f"51010700001320000014,camera,无类别,{lng},{lat},,,30,,,",
                f"51010700001320000015,camera,坏地址,{lng},{lat},,social,30,,,rtsp://x/1",
                f"DOOR-IMP-1,door,重复,,,{registry['home']['building'].pk},,,,,",
                "DOOR-IMP-2,door,无位置,,,,,,,,",
                f"DOOR-IMP-3,door,楼不存在,{lng},{lat},不存在 1栋,,,,,")
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="6 error"):
        call_command("import_devices", str(path), "--as", "district_op", stderr=err)
    report = err.getvalue()
    assert "line 5, 设备编码: digits 11–13 (type) 999 is not a device type" in report
    assert "line 6, 摄像机类别" in report
    assert "line 7, 播放地址" in report
    assert "line 8, 设备编码: The code is also on line 4" in report
    assert "line 9, 经度" in report
    assert "line 10, 楼栋" in report
    assert not Device.objects.exists() and not AuditEntry.objects.filter(operation="sensing.import_devices").exists()


def test_rows_outside_the_importers_area_are_refused(world, registry, tmp_path):
    lng, lat = world.grid_center(world.grids[4])
    away = registry["away"]["building"]
    text = ("code,kind,name,lng,lat,building\n"
            f"51010700001320000021,camera,外街,{lng},{lat},\n"
            f"DOOR-AWAY-9,door,外街门禁,,,{away.pk}\n")
    with pytest.raises(CommandError):
        _run(tmp_path, text, user="street_op")
    assert not Device.objects.exists()


def test_the_chinese_headers_and_an_xlsx_are_read(world, registry):
    from openpyxl import Workbook

    lng, lat = world.grid_center(world.grids[0])
    book = Workbook()
    sheet = book.active
    sheet.append(["设备编码", "类型", "名称", "经度", "纬度", "摄像机类别", "存储天数"])
    sheet.append(["51010700001320000031", "摄像机", "路口", lng, lat, "社会", 30])
    data = io.BytesIO()
    book.save(data)
    rows, errors = read_devices_file(data.getvalue(), "devices.xlsx")
    assert not errors
    result = run_import(world.users[Role.DISTRICT_OPERATOR], rows, write=False)
    assert (result.counts(), result.errors) == ({"created": 1, "updated": 0, "unchanged": 0}, [])


def test_file_problems_are_row_errors(world):
    assert "Required column missing" in str(read_devices_file(b"code,kind\nX,door\n", "d.csv")[1][0])
    assert "not UTF-8" in str(read_devices_file("code,kind,name,lng,lat\n门".encode("gbk"), "d.csv")[1][0])
    assert ".xlsx or .csv" in str(read_devices_file(b"", "d.txt")[1][0])
    assert "No data rows" in str(read_devices_file(b"code,kind,name,lng,lat\n", "d.csv")[1][0])


def test_importing_needs_the_device_keepers_role(world, registry, tmp_path):
    with pytest.raises(CommandError, match="Not allowed"):
        _run(tmp_path, _csv(world, registry), user="gridder")
    assert not Device.objects.exists()
