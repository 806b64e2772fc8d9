"""GB/T 28181 device codes (国标编码): the 20 digits every camera of a district's video platform carries.

    digits  1–8   centre code (中心编码): the administrative code of the region — province, city, district
                  (2 digits each) — then the grass-roots unit (基层接入单位, 2 digits); padded with zero pairs
                  (51010700 is 510107 武侯区 itself, 51010703 its unit 03)
            9–10  industry (行业编码): 00–39 government (00–11 named: 社会治安路面, 社区, … 教育), 40–79
                  enterprises and institutions (40–55 named), 80–89 built by residents, 90–99 other owners
            11–13 type (类型编码): 111–130 front-end main devices (111 DVR, 112 video server, 113 encoder,
                  118 NVR, 130 HVR…), 131–199 front-end peripherals (131 camera, 132 IP camera, 134 alarm
                  input such as a smoke detector or a door…, 140–199 extensions); 200 and above are platforms,
                  users and servers, not devices in the field
            14    network (网络标识): 0–4 the video/alarm private network, 5 the public-security network,
                  6 the government network, 7 the Internet, 8 social resources; 9 reserved
            15–20 serial (设备序号)

`check_code(code)` decodes a code or refuses it with `CodeError`, whose message names the part that is wrong
("digits 11–13 (type) 999 is not a device type"); `decode` is the same without the region lookup. The region
of the centre code must be one the platform has: the code with its trailing zero pairs dropped is a region's
code, or its first six digits are a district of ours (then digits 7–8 are a grass-roots unit in it).
"""
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

DIGITS = re.compile(r"^\d{20}$")

INDUSTRIES = {
    "00": "社会治安路面接入", "01": "社会治安社区接入", "02": "社会治安内部接入", "03": "社会治安其他接入",
    "04": "交通路面接入", "05": "交通卡口接入", "06": "交通内部接入", "07": "交通其他接入", "08": "城市管理接入",
    "09": "卫生环保接入", "10": "商检海关接入", "11": "教育部门接入",
    "40": "农林牧渔业接入", "41": "采矿企业接入", "42": "制造企业接入", "43": "冶金企业接入", "44": "电力企业接入",
    "45": "燃气企业接入", "46": "建筑企业接入", "47": "物流企业接入", "48": "邮政企业接入", "49": "信息企业接入",
    "50": "住宿和餐饮业接入", "51": "金融企业接入", "52": "房地产业接入", "53": "商务服务业接入", "54": "水利企业接入",
    "55": "娱乐企业接入",
}
INDUSTRY_RANGES = (  # (first, last, what the range is for) where the standard names no single code
    (12, 39, "政府机关预留"), (56, 79, "企业/事业单位预留"), (80, 89, "居民自建"), (90, 99, "其他主体"),
)

TYPES = {
    "111": "DVR", "112": "视频服务器", "113": "编码器", "114": "解码器", "115": "视频切换矩阵", "116": "音频切换矩阵",
    "117": "报警控制器", "118": "网络视频录像机(NVR)", "130": "混合硬盘录像机(HVR)",
    "131": "摄像机", "132": "网络摄像机(IPC)", "133": "显示器", "134": "报警输入设备(红外、烟感、门禁等)",
    "135": "报警输出设备(警灯、警铃等)", "136": "语音输入设备", "137": "语音输出设备", "138": "移动传输设备",
    "139": "其他外围设备",
    # Extensions (140–199) used by district platforms; the issue names 142 for a smart door.
    "142": "智能门禁",
}
DEVICE_TYPES = range(111, 200)  # front-end main devices and peripherals: what stands in the field
CAMERA_TYPES = ("131", "132")

NETWORKS = {**{str(n): "监控报警专网" for n in range(5)}, "5": "公安信息网", "6": "政务网", "7": "Internet",
            "8": "社会资源接入网"}

PART_LABELS = {
    "centre": pgettext_lazy("GB/T 28181 code part", "digits 1–8 (centre)"),
    "industry": pgettext_lazy("GB/T 28181 code part", "digits 9–10 (industry)"),
    "type": pgettext_lazy("GB/T 28181 code part", "digits 11–13 (type)"),
    "network": pgettext_lazy("GB/T 28181 code part", "digit 14 (network)"),
    "serial": pgettext_lazy("GB/T 28181 code part", "digits 15–20 (serial)"),
}
SHAPE = gettext_lazy("A GB/T 28181 code is 20 digits")


class CodeError(ValueError):
    """A code that does not decode; `part` is the part at fault (centre, industry, type, network, serial) or
    "shape"."""

    def __init__(self, message: str, part: str):
        super().__init__(message)
        self.message, self.part = message, part


@dataclass(frozen=True)
class Decoded:
    code: str
    centre: str  # the 8 digits
    region_code: str  # the region they name (a grass-roots unit's district)
    unit: str  # digits 7–8 when they are a grass-roots unit in the district, else ""
    industry: str
    industry_name: str
    type: str
    type_name: str
    network: str
    network_name: str
    serial: str
    region_name: str = ""

    @property
    def is_camera(self) -> bool:
        return self.type in CAMERA_TYPES

    def parts(self) -> list[tuple[str, str, str]]:
        """(label, digits, meaning) for a page."""
        unit = pgettext("GB/T 28181 code part", "grass-roots unit")
        centre = self.region_name + (f" · {unit} {self.unit}" if self.unit else "")
        return [(str(PART_LABELS["centre"]), self.centre, centre),
                (str(PART_LABELS["industry"]), self.industry, self.industry_name),
                (str(PART_LABELS["type"]), self.type, self.type_name),
                (str(PART_LABELS["network"]), self.network, self.network_name),
                (str(PART_LABELS["serial"]), self.serial, "")]


def _refuse(part: str, value: str, why: str):
    raise CodeError(_("%(part)s %(value)s %(why)s") % {"part": PART_LABELS[part], "value": value, "why": why}, part)


def industry_name(industry: str) -> str:
    if industry in INDUSTRIES:
        return INDUSTRIES[industry]
    number = int(industry)
    return next(name for first, last, name in INDUSTRY_RANGES if first <= number <= last)


def type_name(type_code: str) -> str:
    if type_code in TYPES:
        return TYPES[type_code]
    return "扩展的前端主设备" if int(type_code) <= 130 else "扩展的前端外围设备"


def decode(code: str, *, known_region=None) -> Decoded:
    """Decode a 20-digit code, checking each part. `known_region(code) -> name | None` answers whether the
    platform has a region (by code); without it the centre is taken as given."""
    code = (code or "").strip()
    if not DIGITS.match(code):
        raise CodeError(str(SHAPE), "shape")
    centre, industry, type_code, network, serial = code[:8], code[8:10], code[10:13], code[13], code[14:]
    region_code, unit = centre, ""
    while region_code.endswith("00") and len(region_code) > 2:
        region_code = region_code[:-2]
    region_name = ""
    if known_region is not None:
        region_name = known_region(region_code)
        if region_name is None and len(region_code) == 8:  # a grass-roots unit (digits 7–8) in a district of ours
            region_name = known_region(centre[:6])
            region_code, unit = centre[:6], centre[6:]
        if region_name is None:
            _refuse("centre", centre, _("is not a region of this platform"))
    if int(type_code) not in DEVICE_TYPES:
        _refuse("type", type_code, _("is not a device type"))
    if network not in NETWORKS:
        _refuse("network", network, _("is reserved, not a network"))
    return Decoded(code, centre, region_code, unit, industry, industry_name(industry), type_code, type_name(type_code),
                   network, NETWORKS[network], serial, region_name or "")


def check_code(code: str) -> Decoded:
    """Decode `code` against the region tree (one query)."""
    from wangge.areas.models import Region

    def known_region(region_code):
        return Region.objects.filter(code=region_code).values_list("name", flat=True).first()

    return decode(code, known_region=known_region)


def check_camera_code(code: str) -> Decoded:
    decoded = check_code(code)
    if not decoded.is_camera:
        _refuse("type", decoded.type, _("is not a camera (131 or 132)"))
    return decoded


def make_code(region_code: str, industry: str, type_code: str, network: str, serial: int) -> str:
    """A code from its parts (the demo's cameras, tests)."""
    return f"{region_code:0<8}{industry:0>2}{type_code}{network}{serial:06d}"
