"""Device pages (设备): the list by kind and connectivity, the map, the device page and the forms.

Everything reads through `Device.objects.visible_to`; a device outside the user's area answers 404. The list
filters by kind, state, connectivity and area (the area picker) and pages by cursor; the map draws the same
devices (up to MAP_LIMIT with a position) over the point map (pointmap.js + devicemap.js). The device page shows
its facts, its GB/T 28181 code decoded, its recent door events (cards masked, for those who may see events), its
history (registered, state changes, offline and back from the device_offline alerts) and, for cameras, "open the
video", which asks why and logs it (`services.do_open_camera`) before sending the user to the video platform.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.keyset import keyset_page
from wangge.core.models import AuditEntry
from wangge.core.refusals import form_page, page_status, posted
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, require
from wangge.core.staff import staff_labels
from wangge.sensing import services, services_devices
from wangge.sensing.api_devices import decoded_parts
from wangge.sensing.cards import mask_card
from wangge.sensing.connectivity import connectivity, connectivity_q, timeout_overrides
from wangge.sensing.forms_devices import DeviceForm, OpenCameraForm, StateForm
from wangge.sensing.models import AccessEvent, Alert, AlertType, Connectivity, Device, DeviceKind, DeviceState

PAGE_SIZE = 50
MAP_LIMIT = 5000
EVENTS_SHOWN = 20
FILTERS = ("kind", "state", "connectivity", "area")


def read_filters(get) -> dict:
    chosen = {key: (get.get(key) or "").strip()[:40] for key in FILTERS}
    for key, choices in (("kind", DeviceKind), ("state", DeviceState), ("connectivity", Connectivity)):
        if chosen[key] not in choices.values:
            chosen[key] = ""
    return chosen


def devices_for(user, chosen, area, now):
    devices = Device.objects.visible_to(user).select_related("grid")
    if area is not None:
        devices = devices.filter(grid__path__startswith=area.path)
    if chosen["kind"]:
        devices = devices.filter(kind=chosen["kind"])
    if chosen["state"]:
        devices = devices.filter(state=chosen["state"])
    if chosen["connectivity"]:
        devices = devices.filter(connectivity_q(chosen["connectivity"], now))
    return devices


def _query(chosen, **override) -> str:
    return urlencode({k: v for k, v in {**chosen, **override}.items() if v})


def _listing(request):
    user = request.user
    require(user, "sensing.view")
    chosen = read_filters(request.GET)
    area = get_visible_or_404(Region.objects.all(), user, code=chosen["area"]) if chosen["area"] else None
    now = timezone.now()
    return user, chosen, area, now, devices_for(user, chosen, area, now)


@login_required
@require_GET
def device_list(request):
    user, chosen, area, now, devices = _listing(request)
    page = keyset_page(devices, ("kind", "code"), request.GET, PAGE_SIZE)
    for device in page.object_list:
        device.connectivity = connectivity(device, now)
    everything = devices_for(user, {**chosen, "connectivity": ""}, area, now)
    overrides = timeout_overrides()
    counts = [(value, label, everything.filter(connectivity_q(value, now, overrides)).count())
              for value, label in Connectivity.choices]
    kinds = dict(devices_for(user, {**chosen, "kind": ""}, area, now).order_by().values_list("kind")
                 .annotate(n=Count("id")).values_list("kind", "n"))
    return render(request, "sensing/devices.html", {
        "page": page, "chosen": chosen, "query": _query(chosen), "picker": area_picker(user, area),
        "area_query": _query(chosen, area=""), "kinds": DeviceKind.choices, "states": DeviceState.choices,
        "connectivities": Connectivity.choices, "counts": counts,
        "kind_counts": [(value, label, kinds.get(value, 0)) for value, label in DeviceKind.choices],
        "can_edit": can(user, "sensing.edit_devices"),
    })


@login_required
@require_GET
def device_map(request):
    user, chosen, area, now, devices = _listing(request)
    located = list(devices.filter(lng__isnull=False, lat__isnull=False).order_by("kind", "code")[:MAP_LIMIT + 1])
    # [lng, lat, code, name, connectivity]: a district's thousands of devices in a few hundred kilobytes
    points = [[d.lng, d.lat, d.code, d.name, connectivity(d, now)] for d in located[:MAP_LIMIT]]
    return render(request, "sensing/device_map.html", {
        "points": points, "more": len(located) > MAP_LIMIT, "limit": MAP_LIMIT, "chosen": chosen,
        "query": _query(chosen), "picker": area_picker(user, area), "area_query": _query(chosen, area=""),
        "kinds": DeviceKind.choices, "states": DeviceState.choices, "connectivities": Connectivity.choices,
        "focus": area.code if area is not None else (user.scope_node.code if user.scope_node else ""),
        "device_url": reverse("sensing:device", args=["CODE"]),
    })


def _device(user, code) -> Device:
    device = (Device.objects.visible_to(user).select_related("grid__parent", "building", "place")
              .filter(code=code).first())
    if device is None:
        raise Http404
    return device


def history(user, device) -> list[dict]:
    """What happened to the device, newest first: registered, edited, state changes (the audit log), and each
    time it went offline and came back (its device_offline alerts)."""
    rows = []
    entries = list(AuditEntry.objects.filter(object_type="sensing.device", object_id=str(device.pk),
                                             operation__in=("sensing.create_device", "sensing.update_device",
                                                            "sensing.set_device_state"))
                   .select_related("actor").order_by("-at")[:50])
    labels = staff_labels(user, [e.actor for e in entries])
    states = dict(DeviceState.choices)
    for entry in entries:
        who = labels.get(entry.actor_id, _("System")) if entry.actor_id else _("System")
        if entry.operation == "sensing.set_device_state":
            what = _("%(from)s → %(to)s") % {"from": states.get(entry.details.get("from_state"), ""),
                                             "to": states.get(entry.details.get("to_state"), "")}
            rows.append({"at": entry.at, "what": what, "who": who, "note": entry.details.get("note", ""),
                         "kind": "state"})
        elif entry.operation == "sensing.create_device":
            rows.append({"at": entry.at, "what": _("Registered"), "who": who, "note": "", "kind": "created"})
        else:
            rows.append({"at": entry.at, "what": _("Edited"), "who": who,
                         "note": ", ".join(sorted(entry.details.get("changed", {}))), "kind": "edited"})
    for alert in Alert.objects.filter(type=AlertType.DEVICE_OFFLINE, device=device).order_by("-first_seen")[:50]:
        rows.append({"at": alert.first_seen, "what": _("Offline"), "who": _("System"), "kind": "offline",
                     "note": _("since %(at)s") % {"at": alert.details.get("offline_since", "")[:16].replace("T", " ")},
                     "alert": alert})
        if alert.closed_at and alert.resolution == "cleared":
            rows.append({"at": alert.closed_at, "what": _("Back online"), "who": _("System"), "note": "",
                         "kind": "online"})
    rows.sort(key=lambda row: row["at"], reverse=True)
    return rows


def _events(user, device) -> list:
    if not can(user, "sensing.view_events"):
        return []
    events = list(AccessEvent.objects.visible_to(user).filter(device=device).order_by("-at", "-id")[:EVENTS_SHOWN])
    for event in events:
        event.card_shown = mask_card(event.card_number)
    return events


def device_context(request, device, **extra) -> dict:
    user = request.user
    return {
        "device": device, "connectivity": connectivity(device), "decoded": decoded_parts(device.code),
        "events": _events(user, device), "history": history(user, device),
        "can_edit": can(user, "sensing.edit_devices"),
        "can_open": device.kind == DeviceKind.CAMERA and bool(device.play_url) and can(user, "sensing.open_camera"),
        "open_form": extra.pop("open_form", None) or OpenCameraForm(),
        "state_form": extra.pop("state_form", None) or StateForm(initial={"state": device.state}),
        **extra,
    }


@login_required
@require_GET
def device_detail(request, code):
    require(request.user, "sensing.view")
    device = _device(request.user, code)
    return render(request, "sensing/device.html", device_context(request, device))


@login_required
@require_POST
def open_camera(request, code):
    """调阅视频: the reason is asked and logged, then the user goes to the video platform."""
    require(request.user, "sensing.view")
    device = _device(request.user, code)
    form = OpenCameraForm(request.POST)
    try:
        if not form.is_valid():
            raise OperationError(form.errors.get("reason", [_("Say why you open the video")])[0], field="reason")
        url = services.do_open_camera(request.user, device, form.cleaned_data["reason"])
    except OperationError as refused:
        status = page_status(refused)
        if status == 403:
            raise PermissionDenied(refused.message)
        form.add_error(None if refused.field not in form.fields else refused.field, refused.message)
        return render(request, "sensing/device.html", device_context(request, device, open_form=form),
                      status=status)
    return HttpResponseRedirect(url)  # http(s) only: checked when the URL was registered


@login_required
@require_POST
def device_state(request, code):
    require(request.user, "sensing.edit_devices")
    device = _device(request.user, code)
    form = StateForm(request.POST)
    if form.is_valid():
        try:
            services_devices.do_set_device_state(request.user, device, form.cleaned_data["state"],
                                                 note=form.cleaned_data["note"])
        except OperationError as refused:
            form.add_error("state" if refused.field == "state" else None, refused.message)
        else:
            messages.success(request, _("The device's state was changed."))
            return redirect("sensing:device", code=device.code)
    return render(request, "sensing/device.html", device_context(request, device, state_form=form), status=400)


def _device_values(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "code" or v}


@login_required
def device_new(request):
    require(request.user, "sensing.edit_devices")
    form = DeviceForm(*posted(request), initial={"crs": "wgs84"})

    def operation(data):
        return services_devices.do_create_device(request.user, **_device_values(data))

    def done(device):
        messages.success(request, _("The device was registered."))
        return redirect("sensing:device", code=device.code)

    def show(status):
        node = request.user.scope_node
        return render(request, "sensing/device_form.html",
                      {"form": form, "device": None, "focus": node.code if node else ""}, status=status)

    return form_page(request, form, operation, done, show)


@login_required
def device_edit(request, code):
    require(request.user, "sensing.edit_devices")
    device = _device(request.user, code)
    initial = {"kind": device.kind, "name": device.name, "building": device.building_id, "place": device.place_id,
               "lng": device.lng, "lat": device.lat, "crs": "wgs84", "maintainer": device.maintainer,
               "installed_on": device.installed_on, "camera_class": device.camera_class,
               "storage_days": device.storage_days, "play_url": device.play_url,
               "timeout_seconds": device.timeout_seconds}
    form = DeviceForm(*posted(request), initial=initial, editing=True)

    def operation(data):
        return services_devices.do_update_device(request.user, device, **data)

    def done(updated):
        messages.success(request, _("The device was saved."))
        return redirect("sensing:device", code=updated.code)

    def show(status):
        return render(request, "sensing/device_form.html",
                      {"form": form, "device": device, "focus": device.grid.code}, status=status)

    return form_page(request, form, operation, done, show)
