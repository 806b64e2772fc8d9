"""Importing devices (设备导入) from .xlsx or .csv: `python -m wangge import_devices FILE`.

The columns are those of the issue, `code,kind,name,lng,lat` at least, with `building`, `place`, `class`,
`storage_days`, `maintainer`, `installed`, `play_url`, `timeout_seconds` and `crs` if wanted; the Chinese
headers of the template (设备编码, 类型, …) are read as well. A row names its building by id or as
"<address> <name>" (as the building is shown), its place by id or name.

As every import here (core/importing.py): the file is read into rows and row errors; the preview checks each
row with the device registry's one check (`services_devices.clean_device`: the same refusals as the forms and
the API) and counts what would be created, updated and left unchanged; the import does the same and writes
all or nothing (`services_devices.do_import_devices`). A device already registered (by code) in the
importer's area is updated; the same file imported twice changes nothing.
"""
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from wangge.core.importing import Column, FileProblem, RowError, cell_text, csv_records, read_header, xlsx_records
from wangge.core.roles import can
from wangge.core.services import FieldErrors, OperationError
from wangge.sensing.models import CameraClass, Device, DeviceKind

SHEET = "设备"
COLUMNS = (
    Column("设备编码", "code", True, "摄像机为 GB/T 28181 的 20 位编码；其他设备为字母、数字、点、横线",
           "51010700001320000001", text=True, aliases=("code",)),
    Column("类型", "kind", True, "门禁 / 道闸 / 摄像机 / 探测器 / 定位器 / 传感器（或 door, gate, camera…）", "摄像机",
           aliases=("kind",), choices=("门禁", "道闸", "摄像机", "探测器", "定位器", "传感器")),
    Column("名称", "name", True, "不超过 100 个字", "幸福路口", aliases=("name",)),
    Column("经度", "lng", True, "无楼栋或场所时必填：用于定位到网格", "104.05", aliases=("lng",)),
    Column("纬度", "lat", True, "同上", "30.64", aliases=("lat",)),
    Column("坐标系", "crs", False, "WGS-84（默认）/ GCJ-02 / BD-09", "", aliases=("crs",)),
    Column("楼栋", "building", False, "楼栋编号，或“地址 楼栋名称”", "", aliases=("building",)),
    Column("场所", "place", False, "场所编号或名称", "", aliases=("place",)),
    Column("摄像机类别", "camera_class", False, "公安 / 院落 / 社会（摄像机必填）", "公安",
           aliases=("class", "camera_class"), choices=("公安", "院落", "社会")),
    Column("存储天数", "storage_days", False, "录像保存天数（摄像机必填）", "30", aliases=("storage_days",)),
    Column("维护单位", "maintainer", False, "产权或维护单位，如物业公司", "", aliases=("maintainer",)),
    Column("安装日期", "installed_on", False, "如 2024-03-01", "", aliases=("installed", "installed_on")),
    Column("播放地址", "play_url", False, "视频平台的 http(s) 播放地址", "", aliases=("play_url",)),
    Column("离线超时秒数", "timeout_seconds", False, "留空按设备类型", "", aliases=("timeout_seconds",)),
)
HEADER_OF = {c.key: c.header for c in COLUMNS}
FIELD_COLUMN = {"location": "lng", "grid": "lng"}  # a refusal's field -> the column it points at

KIND_BY_TEXT = {**{v: v for v in DeviceKind.values}, "门禁": DeviceKind.DOOR, "道闸": DeviceKind.GATE,
                "摄像机": DeviceKind.CAMERA, "摄像头": DeviceKind.CAMERA, "探测器": DeviceKind.DETECTOR,
                "定位器": DeviceKind.TRACKER, "传感器": DeviceKind.SENSOR}
CLASS_BY_TEXT = {**{v: v for v in CameraClass.values}, "公安": CameraClass.PUBLIC_SECURITY,
                 "天网": CameraClass.PUBLIC_SECURITY, "院落": CameraClass.COURTYARD, "小区": CameraClass.COURTYARD,
                 "社会": CameraClass.SOCIAL}
CRS_BY_TEXT = {"": "wgs84", "WGS-84": "wgs84", "WGS84": "wgs84", "GCJ-02": "gcj02", "GCJ02": "gcj02",
               "BD-09": "bd09", "BD09": "bd09"}


@dataclass
class DeviceRow:
    line: int
    values: dict


@dataclass
class DeviceImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def counts(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def read_devices_file(data: bytes, filename: str) -> tuple[list[DeviceRow], list[RowError]]:
    """The rows of an .xlsx or .csv (nothing checked but the header and the file itself)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        return [], [RowError(1, _("Only .xlsx or .csv files can be imported, not %(suffix)s")
                             % {"suffix": suffix or _("a file without an extension")})]
    stream = io.BytesIO(data)
    records = csv_records(stream) if suffix == ".csv" else xlsx_records(stream, SHEET)
    rows = []
    try:
        header_line, header = next(records, (1, None))
        if header is None:
            return [], [RowError(1, _("The file is empty"))]
        positions, problems = read_header(header_line, header, COLUMNS)
        if problems:
            return [], problems
        for line, cells in records:
            values = {key: cell_text(cells[i]) if i < len(cells) else "" for key, i in positions.items()}
            if any(values.values()):
                rows.append(DeviceRow(line, values))
    except FileProblem as problem:
        return [], [RowError(problem.line, problem.reason)]
    if not rows:
        return [], [RowError(header_line, _("No data rows under the header"))]
    return rows, []


def run_import(actor, rows: list[DeviceRow], errors=(), *, write: bool) -> DeviceImportResult:
    """Check every row (and with `write`, write them when none is wrong); the caller owns the transaction."""
    from wangge.sensing.services_devices import EDITABLE, clean_device

    if not can(actor, "sensing.edit_devices"):
        raise OperationError(_("Not allowed to import"))
    result = DeviceImportResult(errors=list(errors))
    codes = [row.values.get("code", "") for row in rows]
    known = {d.code: d for d in Device.objects.visible_to(actor).filter(code__in=codes).select_related("grid")}
    seen: dict[str, int] = {}
    plans = []
    for row in rows:
        values = _values(actor, row, result.errors)
        if values is None:
            continue
        code = values["code"]
        if code in seen:
            result.errors.append(RowError(row.line, _("The code is also on line %(line)s") % {"line": seen[code]},
                                          HEADER_OF["code"]))
            continue
        seen[code] = row.line
        device = known.get(code)
        try:
            if device is None:
                plans.append((None, clean_device(actor, values).values))
            else:
                changes = {k: v for k, v in values.items() if k in EDITABLE}
                plans.append((device, clean_device(actor, changes, device=device).values))
        except FieldErrors as refused:
            for name, message in refused.errors.items():
                column = FIELD_COLUMN.get(name, name)
                result.errors.append(RowError(row.line, message, HEADER_OF.get(column, column)))
    result.errors.sort(key=lambda e: e.line)
    for device, values in plans:
        if device is None:
            result.created += 1
            if write and not result.errors:
                Device.objects.create(**values)
            continue
        changed = {k: v for k, v in values.items() if getattr(device, k) != v}
        if not changed:
            result.unchanged += 1
            continue
        result.updated += 1
        if write and not result.errors:
            for name, value in changed.items():
                setattr(device, name, value)
            device.save()
    return result


def _values(actor, row: DeviceRow, errors: list) -> dict | None:
    """A row's cells as the operation's arguments; None (with the errors) when a cell cannot be read at all."""
    v = row.values
    problems = []
    kind = KIND_BY_TEXT.get(v.get("kind", ""), v.get("kind", ""))
    camera_class = CLASS_BY_TEXT.get(v.get("camera_class", ""), v.get("camera_class", ""))
    crs = CRS_BY_TEXT.get(v.get("crs", "").upper().replace(" ", ""))
    if crs is None:
        problems.append(("crs", _("Unknown coordinate system")))
    building = _building_ref(actor, v.get("building", ""))
    if building is False:
        problems.append(("building", _("No such building in your area")))
    place = _place_ref(actor, v.get("place", ""))
    if place is False:
        problems.append(("place", _("No such place in your area")))
    lng, lat = v.get("lng", ""), v.get("lat", "")
    for key, text in (("lng", lng), ("lat", lat)):
        if text:
            try:
                float(text)
            except ValueError:
                problems.append((key, _("Not a number")))
    if problems:
        errors.extend(RowError(row.line, message, HEADER_OF[key]) for key, message in problems)
        return None
    return {"code": v.get("code", ""), "kind": kind, "name": v.get("name", ""), "lng": float(lng) if lng else None,
            "lat": float(lat) if lat else None, "crs": crs, "building": building, "place": place,
            "camera_class": camera_class, "storage_days": v.get("storage_days") or None,
            "maintainer": v.get("maintainer", ""), "installed_on": v.get("installed_on") or None,
            "play_url": v.get("play_url", ""), "timeout_seconds": v.get("timeout_seconds") or None}


def _building_ref(actor, text: str):
    """A building's id from its id or "<address> <name>"; None when blank, False when not found in the area."""
    from wangge.registry.models import Building

    if not text:
        return None
    buildings = Building.objects.visible_to(actor)
    if text.isdigit():
        return text if buildings.filter(pk=int(text)).exists() else False
    address, _space, name = text.rpartition(" ")
    found = list(buildings.filter(address=address.strip(), name=name.strip()).values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else False


def _place_ref(actor, text: str):
    from wangge.registry.models import Place

    if not text:
        return None
    places = Place.objects.visible_to(actor)
    if text.isdigit():
        return text if places.filter(pk=int(text)).exists() else False
    found = list(places.filter(name=text).values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else False

