"""The device registry API: list (filters kind, state, connectivity, area), one device with its GB/T 28181
decoding, register (POST) and change (PATCH, also its state). See docs/sensing.md.

Reads need `sensing.view` and go through `Device.objects.visible_to`; a device outside the caller's area answers
404 like one that does not exist. Writes need `sensing.edit_devices` (403 without it) and are the operations of
services_devices.py: bad input is a 422 naming every field at fault, and nothing changes. The play URL is not
listed: a camera is opened through the page's "open the video", which asks why and logs it.
"""
from datetime import date, datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from wangge.areas.models import Region
from wangge.core.api_errors import field_error, field_errors
from wangge.core.numbers import Latitude, Longitude, RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.refusals import require
from wangge.core.services import FieldErrors
from wangge.sensing import services_devices
from wangge.sensing.codes import CodeError, check_code
from wangge.sensing.connectivity import connectivity, connectivity_q
from wangge.sensing.models import Connectivity, Device, DeviceKind, DeviceState

router = Router(tags=["sensing"])


class DeviceOut(Schema):
    code: str
    kind: str
    name: str
    state: str
    connectivity: str
    grid: str = Field(description="the grid's code")
    grid_name: str
    building: int | None = None
    place: int | None = None
    lng: float | None = None
    lat: float | None = None
    maintainer: str
    installed_on: date | None = None
    camera_class: str
    storage_days: int | None = None
    has_video: bool = Field(description="a camera with a play URL (opened on its page, with a reason, logged)")
    last_seen_at: datetime | None = None
    timeout_seconds: int | None = None

    # Read from the model row (lists hand ninja the queryset, paged in the database).
    @staticmethod
    def resolve_connectivity(obj):
        return obj["connectivity"] if isinstance(obj, dict) else connectivity(obj)

    @staticmethod
    def resolve_grid(obj):
        return obj["grid"] if isinstance(obj, dict) else obj.grid.code

    @staticmethod
    def resolve_grid_name(obj):
        return obj["grid_name"] if isinstance(obj, dict) else obj.grid.name

    @staticmethod
    def resolve_building(obj):
        return obj["building"] if isinstance(obj, dict) else obj.building_id

    @staticmethod
    def resolve_place(obj):
        return obj["place"] if isinstance(obj, dict) else obj.place_id

    @staticmethod
    def resolve_has_video(obj):
        return obj["has_video"] if isinstance(obj, dict) else bool(obj.kind == DeviceKind.CAMERA and obj.play_url)


class CodePart(Schema):
    part: str
    digits: str
    meaning: str


class DeviceDetail(DeviceOut):
    gbt28181: list[CodePart] = Field(default_factory=list, description="the 20-digit code decoded, if it is one")


class DeviceFilters(Schema):
    kind: str | None = None
    state: str | None = None
    connectivity: str | None = None
    area: str | None = Field(None, max_length=32, description="a region code in the caller's area (else 404)")


class DeviceIn(Schema):
    code: str = Field(max_length=32)
    kind: str = Field(description="door, gate, camera, detector, tracker or sensor")
    name: str = Field(max_length=100)
    building: RowId | None = None
    place: RowId | None = None
    lng: Longitude | None = None
    lat: Latitude | None = None
    crs: str = Field("wgs84", description="wgs84, gcj02 or bd09")
    maintainer: str = Field("", max_length=100)
    installed_on: date | None = None
    camera_class: str = Field("", description="cameras: public_security, courtyard or social")
    storage_days: int | None = Field(None, ge=1, le=3650)
    play_url: str = Field("", max_length=500, description="cameras: the video platform's http(s) play URL")
    timeout_seconds: int | None = Field(None, ge=10, le=7 * 24 * 3600)


class DevicePatch(Schema):
    kind: str | None = None
    name: str | None = Field(None, max_length=100)
    building: RowId | None = None
    place: RowId | None = None
    lng: Longitude | None = None
    lat: Latitude | None = None
    crs: str | None = None
    maintainer: str | None = Field(None, max_length=100)
    installed_on: date | None = None
    camera_class: str | None = None
    storage_days: int | None = Field(None, ge=1, le=3650)
    play_url: str | None = Field(None, max_length=500)
    timeout_seconds: int | None = Field(None, ge=10, le=7 * 24 * 3600)
    state: str | None = Field(None, description="in_service, maintenance or retired")
    note: str = Field("", max_length=200, description="why the state changes")


def out(device: Device, now=None, *, detail=False) -> dict:
    row = {
        "code": device.code, "kind": device.kind, "name": device.name, "state": device.state,
        "connectivity": connectivity(device, now), "grid": device.grid.code, "grid_name": device.grid.name,
        "building": device.building_id, "place": device.place_id, "lng": device.lng, "lat": device.lat,
        "maintainer": device.maintainer, "installed_on": device.installed_on, "camera_class": device.camera_class,
        "storage_days": device.storage_days, "has_video": bool(device.kind == DeviceKind.CAMERA and device.play_url),
        "last_seen_at": device.last_seen_at, "timeout_seconds": device.timeout_seconds,
    }
    if detail:
        row["gbt28181"] = decoded_parts(device.code)
    return row


def decoded_parts(code: str) -> list[dict]:
    if not (code.isdigit() and len(code) == 20):
        return []
    try:
        decoded = check_code(code)
    except CodeError:
        return []
    return [{"part": label, "digits": digits, "meaning": meaning} for label, digits, meaning in decoded.parts()]


def filtered(user, f: DeviceFilters, source="query"):
    """The devices the filters choose, in the user's area; a bad filter is a 422 naming it."""
    devices = Device.objects.visible_to(user).select_related("grid")
    for name, choices in (("kind", DeviceKind), ("state", DeviceState), ("connectivity", Connectivity)):
        value = getattr(f, name)
        if value and value not in choices.values:
            raise field_error(source, name, _("Unknown %(field)s %(value)s") % {"field": name, "value": repr(value)})
    if f.kind:
        devices = devices.filter(kind=f.kind)
    if f.state:
        devices = devices.filter(state=f.state)
    if f.connectivity:
        devices = devices.filter(connectivity_q(f.connectivity))
    if f.area:
        area = Region.objects.visible_to(user).filter(code=f.area).first() if f.area.isdigit() else None
        if area is None:  # outside the area answers as an unknown region does
            raise Http404
        devices = devices.filter(grid__path__startswith=area.path)
    return devices


def _device(user, code: str) -> Device:
    if not services_devices.CODE.match(code or ""):
        raise Http404
    device = Device.objects.visible_to(user).select_related("grid").filter(code=code).first()
    if device is None:
        raise Http404
    return device


@router.get("/devices", response=list[DeviceOut], summary="Devices in my area 设备")
@paginate(LimitOffsetPagination)
def list_devices(request, filters: Query[DeviceFilters]):
    """Filters: kind, state, connectivity (online, unknown, offline), area (a region code). By kind and code."""
    require(request.user, "sensing.view")
    return filtered(request.user, filters).order_by("kind", "code")


@router.get("/devices/{code}", response=DeviceDetail, summary="One device 设备详情")
def device_detail(request, code: str):
    require(request.user, "sensing.view")
    return out(_device(request.user, code), detail=True)


def _write(call):
    try:
        return call()
    except FieldErrors as refused:
        raise field_errors("body", refused.errors)


@router.post("/devices", response={201: DeviceDetail}, summary="Register a device 登记设备")
def create_device(request, payload: DeviceIn):
    """Located from its building, else its place, else its point (in the caller's area); cameras need a GB/T 28181
    camera code, a class and storage days."""
    device = _write(lambda: services_devices.do_create_device(request.user, **payload.dict()))
    return Status(201, out(device, detail=True))


@router.patch("/devices/{code}", response=DeviceDetail, summary="Change a device 修改设备")
def update_device(request, code: str, payload: DevicePatch):
    """The fields given change (checked as a whole device); `state` moves it in or out of service, with `note`."""
    require(request.user, "sensing.edit_devices")
    device = _device(request.user, code)
    changes = payload.dict(exclude_unset=True)
    state, note = changes.pop("state", None), changes.pop("note", "")
    device = _write(lambda: services_devices.do_change_device(request.user, device, changes, state=state, note=note))
    device.refresh_from_db()
    return out(device, detail=True)
