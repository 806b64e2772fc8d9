"""Connectivity (在线状态): online, unknown or offline, from a device's last message and the timeout of its
kind (`settings.WANGGE_DEVICE_TIMEOUTS`, seconds by kind, over `DEFAULT_TIMEOUTS`; a device's own
`timeout_seconds` overrides both).

* online: its last message is no older than the timeout; offline: it is older; unknown: it never sent one.
* Ingestion calls `mark_seen(device, at)` for every batch it stores: the device's `last_seen_at` moves forward
  (never back: a late, re-delivered event does not make a device look younger than it is), and an open
  `device_offline` alert is cleared (closed as "cleared") when the device talks again.
* The worker's `poll` raises ONE `device_offline` alert for a device in service once it has been offline for
  `WANGGE_DEVICE_OFFLINE_ALERT_MINUTES` (30; an area's `device_offline` rule with `after_minutes` overrides it).
  The device is claimed first by a conditional UPDATE of `offline_alerted` (and of the `last_seen_at` it was read
  with), so two workers never raise it twice, a device that talked in between is not raised at all, and a
  device that is still offline is not raised again on the next round. A device that flaps (back within the
  minutes) is never raised; one that comes back after its alert has it cleared by `mark_seen`, which resets
  the claim. Devices under maintenance or retired are not watched.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from wangge.sensing.alerts import Title, clear_alert, raise_alert, source_of
from wangge.sensing.models import AlertType, Connectivity, Device, DeviceKind, DeviceState

DEFAULT_TIMEOUTS = {  # seconds: how often each kind talks (heartbeat or traffic), with room for a missed beat
    DeviceKind.DOOR: 10 * 60,
    DeviceKind.GATE: 10 * 60,
    DeviceKind.CAMERA: 5 * 60,
    DeviceKind.DETECTOR: 60 * 60,
    DeviceKind.TRACKER: 10 * 60,
    DeviceKind.SENSOR: 60 * 60,
}
DEFAULT_ALERT_MINUTES = 30


def timeouts() -> dict[str, int]:
    return {**DEFAULT_TIMEOUTS, **getattr(settings, "WANGGE_DEVICE_TIMEOUTS", {})}


def timeout_of(device: Device) -> int:
    return device.timeout_seconds or timeouts().get(device.kind, DEFAULT_TIMEOUTS[DeviceKind.SENSOR])


def connectivity(device: Device, now=None) -> str:
    if device.last_seen_at is None:
        return Connectivity.UNKNOWN
    now = now or timezone.now()
    if now - device.last_seen_at <= timedelta(seconds=timeout_of(device)):
        return Connectivity.ONLINE
    return Connectivity.OFFLINE


def timeout_overrides() -> set[int]:
    """The distinct per-device timeouts in use (a district has a handful)."""
    # order_by(): the model's ordering would make DISTINCT run over (timeout, kind, code), every device's row.
    return set(Device.objects.filter(timeout_seconds__isnull=False).order_by()
               .values_list("timeout_seconds", flat=True).distinct())


def connectivity_q(value: str, now=None, overrides: set[int] | None = None) -> Q:
    """The devices whose connectivity is `value`, as a filter (lists, counts, the API): one clause per kind
    and per distinct override (`timeout_overrides()`, read here unless the caller building several filters
    read it once)."""
    if value == Connectivity.UNKNOWN:
        return Q(last_seen_at__isnull=True)
    now = now or timezone.now()
    fresh = Q(pk__in=[])
    for kind, seconds in timeouts().items():
        fresh |= Q(kind=kind, timeout_seconds__isnull=True, last_seen_at__gte=now - timedelta(seconds=seconds))
    for seconds in timeout_overrides() if overrides is None else overrides:
        fresh |= Q(timeout_seconds=seconds, last_seen_at__gte=now - timedelta(seconds=seconds))
    if value == Connectivity.ONLINE:
        return fresh
    return Q(last_seen_at__isnull=False) & ~fresh


def mark_seen(device: Device, at=None, since=None) -> None:
    """The device talked at `at` (a message received then): its last message moves forward (never back); the
    time it has records from (`first_seen_at`) moves back to `since`, its earliest event, if that is older; and an
    open offline alert is cleared — decided by the row (a conditional UPDATE), not by this process's copy."""
    at = at or timezone.now()
    since = min(since or at, at)
    Device.objects.filter(pk=device.pk).filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=at)).update(
        last_seen_at=at)
    Device.objects.filter(pk=device.pk).filter(Q(first_seen_at__isnull=True) | Q(first_seen_at__gt=since)).update(
        first_seen_at=since)
    if Device.objects.filter(pk=device.pk, offline_alerted=True).update(offline_alerted=False):
        clear_alert(AlertType.DEVICE_OFFLINE, source_of("device", device.pk))
    device.offline_alerted = False
    if device.last_seen_at is None or device.last_seen_at < at:
        device.last_seen_at = at


# --- the poller ----------------------------------------------------------------------------------------------


def alert_minutes(book, path: str) -> int | None:
    """Minutes offline before the alert for a grid at `path`: the nearest area's rule row when it says so,
    else the setting; None when the rule is off there."""
    from wangge.sensing.models import AlertType as Type

    rule = book.get(Type.DEVICE_OFFLINE, path)
    if not rule.enabled:
        return None
    for prefix, row_rule in book.by_type.get(Type.DEVICE_OFFLINE, ()):
        if path.startswith(prefix) and "after_minutes" in row_rule.params:
            return int(row_rule.params["after_minutes"])
        if path.startswith(prefix):
            break
    return int(getattr(settings, "WANGGE_DEVICE_OFFLINE_ALERT_MINUTES", DEFAULT_ALERT_MINUTES))


def poll(now=None) -> dict:
    """One round: raise the alerts of devices offline for long enough. Returns {"device_offline": raised}."""
    from wangge.sensing.rules import RuleBook

    now = now or timezone.now()
    book = RuleBook.current()
    shortest = min([*timeouts().values(), *Device.objects.filter(timeout_seconds__isnull=False)
                    .values_list("timeout_seconds", flat=True).distinct()])
    candidates = (Device.objects.filter(state=DeviceState.IN_SERVICE, offline_alerted=False,
                                        last_seen_at__lt=now - timedelta(seconds=shortest))
                  .select_related("grid").order_by("last_seen_at")
                  .only("pk", "code", "name", "kind", "grid__path", "grid_id", "building_id", "last_seen_at",
                        "timeout_seconds", "offline_alerted", "state"))
    raised = 0
    for device in candidates.iterator(chunk_size=500):
        minutes = alert_minutes(book, device.grid.path)
        if minutes is None:
            continue
        offline_since = device.last_seen_at + timedelta(seconds=timeout_of(device))
        if now < offline_since + timedelta(minutes=minutes):
            continue
        if _raise_offline(device, offline_since, minutes, book, now):
            raised += 1
    return {"device_offline": raised}


@transaction.atomic
def _raise_offline(device: Device, offline_since, minutes: int, book, now) -> bool:
    claimed = Device.objects.filter(pk=device.pk, offline_alerted=False, state=DeviceState.IN_SERVICE,
                                    last_seen_at=device.last_seen_at).update(offline_alerted=True)
    if not claimed:  # another worker took it, or the device talked or left service meanwhile
        return False
    rule = book.get(AlertType.DEVICE_OFFLINE, device.grid.path)
    raise_alert(AlertType.DEVICE_OFFLINE, source_of("device", device.pk), grid_id=device.grid_id,
                severity=rule.severity, device_id=device.pk, building_id=device.building_id,
                title=Title(gettext_noop("Device offline: %(name)s"), {"name": device.name}),
                details={"code": device.code, "last_seen": device.last_seen_at.isoformat(),
                         "offline_since": offline_since.isoformat(), "after_minutes": minutes},
                now=now, at=offline_since)
    return True
