"""GB/T 28181 codes: each part decoded, and each wrong part refused by name."""
import pytest

from wangge.sensing.codes import CodeError, check_camera_code, check_code, decode, make_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are compared in English (the msgids); zh_Hans has them too."""
    from django.utils import translation

    with translation.override("en"):
        yield

GOOD = "51010700001320000001"  # 武侯区, 社会治安路面接入, IP camera, private network, serial 1


def test_a_good_code_decodes_every_part(world):
    d = check_code(GOOD)
    assert (d.centre, d.region_code, d.region_name, d.unit) == ("51010700", "510107", "武侯区", "")
    assert (d.industry, d.industry_name) == ("00", "社会治安路面接入")
    assert (d.type, d.type_name, d.is_camera) == ("132", "网络摄像机(IPC)", True)
    assert (d.network, d.network_name, d.serial) == ("0", "监控报警专网", "000001")
    assert [digits for _label, digits, _meaning in d.parts()] == ["51010700", "00", "132", "0", "000001"]


def test_the_centre_may_be_a_city_or_a_grass_roots_unit_of_a_district_we_have(world):
    city = check_code(make_code("5101", "08", "131", "6", 7))
    assert (city.centre, city.region_code, city.region_name) == ("51010000", "5101", "成都市")
    unit = check_code(make_code("51010703", "01", "131", "6", 7))
    assert (unit.region_code, unit.unit, unit.region_name) == ("510107", "03", "武侯区")
    assert unit.parts()[0] == ("digits 1–8 (centre)", "51010703", "武侯区 · grass-roots unit 03")


@pytest.mark.parametrize("code, part, words", [
    ("5101070000132000000", "shape", "20 digits"),
    ("5101070000132000000X", "shape", "20 digits"),
    ("51019900001320000001", "centre", "digits 1–8 (centre) 51019900"),
    ("00000000001320000001", "centre", "digits 1–8 (centre) 00000000"),
    ("51010700009990000001", "type", "digits 11–13 (type) 999 is not a device type"),
    ("51010700002000000001", "type", "digits 11–13 (type) 200 is not a device type"),
    ("51010700001100000001", "type", "digits 11–13 (type) 110 is not a device type"),
    ("51010700001329000001", "network", "digit 14 (network) 9"),
])
def test_a_wrong_part_is_refused_by_name(world, code, part, words):
    with pytest.raises(CodeError) as refused:
        check_code(code)
    assert refused.value.part == part
    assert words in refused.value.message


def test_industries_decode_across_the_ranges(world):
    assert decode(make_code("510107", "11", "132", "0", 1)).industry_name == "教育部门接入"
    assert decode(make_code("510107", "20", "132", "0", 1)).industry_name == "政府机关预留"
    assert decode(make_code("510107", "50", "132", "0", 1)).industry_name == "住宿和餐饮业接入"
    assert decode(make_code("510107", "85", "132", "0", 1)).industry_name == "居民自建"
    assert decode(make_code("510107", "95", "132", "0", 1)).industry_name == "其他主体"


def test_types_and_networks_decode(world):
    assert decode(make_code("510107", "01", "142", "8", 3)).type_name == "智能门禁"
    assert decode(make_code("510107", "01", "118", "5", 3)).type_name == "网络视频录像机(NVR)"
    assert decode(make_code("510107", "01", "160", "7", 3)).type_name == "扩展的前端外围设备"
    assert decode(make_code("510107", "01", "120", "7", 3)).type_name == "扩展的前端主设备"
    assert decode(make_code("510107", "01", "134", "5", 3)).network_name == "公安信息网"
    assert decode(make_code("510107", "01", "134", "7", 3)).network_name == "Internet"


def test_a_camera_must_be_a_camera_type(world):
    assert check_camera_code(make_code("510107", "01", "131", "0", 9)).is_camera
    with pytest.raises(CodeError) as refused:
        check_camera_code(make_code("510107", "01", "134", "0", 9))
    assert refused.value.part == "type" and "134" in refused.value.message
