"""The device registry's operations: register, edit, and move through its life (in service, under maintenance,
retired). Each takes the acting user (`sensing.edit_devices`), runs in one transaction and writes its audit row.

`clean_device` is the one check of a device's fields, shared by the forms, the API and the import, so a device
is refused for the same reasons everywhere. A device is located from its building, else its place, else its point
(`areas.services.locate_point`, GCJ-02 and BD-09 converted); whichever it is must be in the actor's area, and the
device takes its grid (and, without a point of its own, its coordinates). Cameras carry a GB/T 28181 code of a
camera type (codes.py), a class, the days of recordings kept and the video platform's play URL (http or https:
we link, we do not stream); any other device may have a 20-digit code too, which must then decode.
"""
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.areas.crs import to_wgs84
from wangge.areas.services import locate_point
from wangge.core import audit
from wangge.core.services import FieldErrors, NotInArea, OperationError, require
from wangge.sensing.alerts import clear_alert, source_of
from wangge.sensing.codes import CodeError, check_camera_code, check_code
from wangge.sensing.models import AlertType, CameraClass, Device, DeviceKind, DeviceState

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")  # safe in an MQTT topic, a URL and a file name
RESERVED_CODES = {"new", "map"}  # the device pages' own addresses (/sensing/devices/new/)
MAX_STORAGE_DAYS = 3650
TIMEOUT_BOUNDS = (10, 7 * 24 * 3600)
EDITABLE = ("kind", "name", "building", "place", "lng", "lat", "crs", "maintainer", "installed_on", "camera_class",
            "storage_days", "play_url", "timeout_seconds")

LABEL = {
    "code": pgettext_lazy("device input", "device code"),
    "name": pgettext_lazy("device input", "name"),
}


@dataclass
class Cleaned:
    """A device's checked fields, ready to be set on the model."""

    values: dict


def _text(value, limit: int) -> str:
    return str(value if value is not None else "").strip()[:limit + 1]


def _building(actor, value):
    from wangge.registry.models import Building

    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Building) else value
    if not str(pk).isdigit():
        return False
    return Building.objects.visible_to(actor).select_related("grid").filter(pk=int(pk)).first() or False


def _place(actor, value):
    from wangge.registry.models import Place

    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Place) else value
    if not str(pk).isdigit():
        return False
    return Place.objects.visible_to(actor).select_related("grid").filter(pk=int(pk)).first() or False


def _number(value, errors, field, low, high, message):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = message
        return None
    if not low <= number <= high:
        errors[field] = message
        return None
    return number


def _date(value, errors, field):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = parse_date(str(value).strip()[:10])
        except ValueError:
            day = None
    if day is None:
        errors[field] = _("Give the date as YYYY-MM-DD")
        return None
    if day > timezone.localdate():
        errors[field] = _("The date is in the future")
        return None
    return day


def clean_device(actor, data: dict, *, device: Device | None = None) -> Cleaned:
    """Check a device's fields (all of them for a new one; for `device`, what `data` changes over what it has)
    and locate it. Refuses with FieldErrors naming every field at fault; reads only."""
    errors: dict[str, str] = {}
    current = _current(device) if device is not None else {}
    values = {**current, **{k: v for k, v in data.items() if k in (*EDITABLE, "code")}}

    code = _text(values.get("code"), 32) if device is None else device.code
    if device is not None and "code" in data and _text(data["code"], 32) != device.code:
        errors["code"] = _("The code of a registered device cannot change")
    kind = _text(values.get("kind"), 16)
    if kind not in DeviceKind.values:
        errors["kind"] = _("Choose the kind of device")
    name = _text(values.get("name"), 100)
    if not name:
        errors["name"] = _("Please fill in the %(label)s") % {"label": LABEL["name"]}
    elif len(name) > 100:
        errors["name"] = _("The %(label)s is too long") % {"label": LABEL["name"]}
    out = {"kind": kind, "name": name}

    if device is None:
        if not code:
            errors["code"] = _("Please fill in the %(label)s") % {"label": LABEL["code"]}
        elif kind == DeviceKind.CAMERA or (code.isdigit() and len(code) == 20):
            try:
                (check_camera_code if kind == DeviceKind.CAMERA else check_code)(code)
            except CodeError as refused:
                errors["code"] = refused.message
        elif not CODE.match(code) or code.lower() in RESERVED_CODES:
            errors["code"] = _("A device code is up to 32 letters, digits, dots, dashes or underscores")
        if "code" not in errors and Device.objects.filter(code=code).exists():
            errors["code"] = _("A device with this code is already registered")
        out["code"] = code
    elif kind == DeviceKind.CAMERA and device.kind != DeviceKind.CAMERA:
        try:
            check_camera_code(device.code)
        except CodeError as refused:
            errors["kind"] = refused.message

    out["maintainer"] = _text(values.get("maintainer"), 100)
    if len(out["maintainer"]) > 100:
        errors["maintainer"] = _("Up to 100 characters")
    out["installed_on"] = _date(values.get("installed_on"), errors, "installed_on")
    out["timeout_seconds"] = _number(values.get("timeout_seconds"), errors, "timeout_seconds", *TIMEOUT_BOUNDS,
                                     _("Between 10 seconds and 7 days"))
    _camera(values, kind, out, errors)
    _locate(actor, values, out, errors)
    if errors:
        raise FieldErrors(errors)
    return Cleaned(out)


def _current(device: Device) -> dict:
    return {"kind": device.kind, "name": device.name, "building": device.building_id, "place": device.place_id,
            "lng": device.lng, "lat": device.lat, "crs": "wgs84", "maintainer": device.maintainer,
            "installed_on": device.installed_on, "camera_class": device.camera_class,
            "storage_days": device.storage_days, "play_url": device.play_url,
            "timeout_seconds": device.timeout_seconds}


def _camera(values, kind, out, errors):
    camera = kind == DeviceKind.CAMERA
    camera_class = _text(values.get("camera_class"), 16)
    storage = _number(values.get("storage_days"), errors, "storage_days", 1, MAX_STORAGE_DAYS,
                      _("Between 1 and %(days)s days") % {"days": MAX_STORAGE_DAYS})
    play_url = _text(values.get("play_url"), 500)
    if camera:
        if camera_class not in CameraClass.values:
            errors["camera_class"] = _("Choose the camera's class")
        if storage is None and "storage_days" not in errors:
            errors["storage_days"] = _("Give the days of recordings kept")
    if play_url:
        try:
            URLValidator(schemes=["http", "https"])(play_url)
        except ValidationError:
            errors["play_url"] = _("The play URL must be an http or https address")
        if len(play_url) > 500:
            errors["play_url"] = _("Up to 500 characters")
    out.update(camera_class=camera_class if camera else "", storage_days=storage if camera else None,
               play_url=play_url if camera else "")


def _locate(actor, values, out, errors):
    """The grid from the building, else the place, else the point; the coordinates from the point, else theirs."""
    building, place = _building(actor, values.get("building")), _place(actor, values.get("place"))
    if building is False:
        errors["building"] = _("No such building in your area")
    if place is False:
        errors["place"] = _("No such place in your area")
    if building is False or place is False:
        return
    lng, lat, crs = values.get("lng"), values.get("lat"), _text(values.get("crs") or "wgs84", 8).lower()
    has_point = lng not in (None, "") and lat not in (None, "")
    anchor = building or place
    if anchor is not None:
        out.update(building=building, place=place, grid=anchor.grid, lng=anchor.lng, lat=anchor.lat)
        if has_point:
            try:
                point = to_wgs84(float(lng), float(lat), crs)
            except (TypeError, ValueError) as exc:
                errors["location"] = str(exc)
                return
            out.update(lng=round(point[0], 7), lat=round(point[1], 7))
        return
    if not has_point:
        errors["location"] = _("Give the device's building, place or point")
        return
    try:
        grid, wgs_lng, wgs_lat = locate_point(lng, lat, crs, within=actor)
    except OperationError as refused:
        errors["location"] = refused.message
        return
    out.update(building=None, place=None, grid=grid, lng=wgs_lng, lat=wgs_lat)


def _in_area(actor, device: Device) -> Device:
    require(actor, "sensing.edit_devices")
    if not Device.objects.visible_to(actor).filter(pk=device.pk).exists():
        raise NotInArea(_("The device is outside your area."))
    return Device.objects.select_for_update().get(pk=device.pk)


# --- the operations ------------------------------------------------------------------------------------------


@transaction.atomic
def do_create_device(actor, **data) -> Device:
    """登记设备: a new device, located and checked (`clean_device`)."""
    require(actor, "sensing.edit_devices")
    cleaned = clean_device(actor, data)
    device = Device.objects.create(**cleaned.values)
    audit.record(actor, "sensing.create_device", device, code=device.code, kind=device.kind, grid=device.grid.code)
    return device


@transaction.atomic
def do_update_device(actor, device: Device, **changes) -> Device:
    """修改设备: what `changes` names, checked as a whole device; the audit row lists the fields that changed."""
    device = _in_area(actor, device)
    cleaned = clean_device(actor, changes, device=device)
    changed = {}
    for field, value in cleaned.values.items():
        before = getattr(device, field)
        if before != value:
            changed[field] = [_plain(before), _plain(value)]
            setattr(device, field, value)
    if changed:
        device.save()
        audit.record(actor, "sensing.update_device", device, changed=changed)
    return device


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def do_set_device_state(actor, device: Device, state: str, *, note: str = "", now=None) -> Device:
    """投入使用 / 维护中 / 退役. A device taken out of service (maintenance, retired) is not watched for
    connectivity: an open device_offline alert is cleared, and the poller leaves it alone."""
    device = _in_area(actor, device)
    if state not in DeviceState.values:
        raise OperationError(_("Choose the device's state"), field="state")
    if state == device.state:
        raise OperationError(_("The device is already %(state)s") % {"state": device.get_state_display()},
                             field="state")
    before = device.state
    device.state = state
    fields = ["state", "updated_at"]
    if state != DeviceState.IN_SERVICE and device.offline_alerted:
        device.offline_alerted = False
        fields.append("offline_alerted")
        clear_alert(AlertType.DEVICE_OFFLINE, source_of("device", device.pk), now=now,
                    note=_("The device was taken out of service"))
    device.save(update_fields=fields)
    audit.record(actor, "sensing.set_device_state", device, from_state=before, to_state=state, note=note[:200])
    return device


@transaction.atomic
def do_change_device(actor, device: Device, changes: dict, *, state: str | None = None, note: str = "") -> Device:
    """What the API's PATCH does: the fields, then the state if it is another, all or nothing."""
    if changes:
        device = do_update_device(actor, device, **changes)
    if state is not None and state != device.state:
        device = do_set_device_state(actor, device, state, note=note)
    return device


# --- import ---------------------------------------------------------------------------------------------------


def do_import_devices(actor, rows, errors=()):
    """导入设备: every row checked as a device, then written all or nothing in one transaction with one audit
    row (the counts). Raises ImportRejected with every row error; nothing is written then."""
    from wangge.core.importing import ImportRejected
    from wangge.sensing.importing import run_import

    with transaction.atomic():
        result = run_import(actor, rows, errors, write=True)
        if result.errors:
            raise ImportRejected(result.errors)
        audit.record(actor, "sensing.import_devices", None, **result.counts())
    return result
