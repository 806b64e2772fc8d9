"""Connectivity (在线状态): online, unknown or offline, from a device's last message and the timeout of its
kind (`settings.WANGGE_DEVICE_TIMEOUTS`, overridable per device).

Ingestion calls `mark_seen(device, at)` for every batch it stores: the device's `last_seen_at` moves forward
(never back: a late, re-delivered event does not make a device look younger than it is), and an open
`device_offline` alert is cleared (closed as "cleared") when the device talks again.
"""
from django.db.models import Q
from django.utils import timezone

from wangge.sensing.alerts import clear_alert, source_of
from wangge.sensing.models import AlertType, Device


def mark_seen(device: Device, at=None) -> None:
    at = at or timezone.now()
    Device.objects.filter(pk=device.pk).filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=at)).update(
        last_seen_at=at)
    if device.offline_alerted:
        if Device.objects.filter(pk=device.pk, offline_alerted=True).update(offline_alerted=False):
            clear_alert(AlertType.DEVICE_OFFLINE, source_of("device", device.pk))
        device.offline_alerted = False


DEFAULT_TIMEOUTS = {"door": 600, "gate": 600, "camera": 300, "detector": 3600, "tracker": 600, "sensor": 3600}


def timeout_of(device: Device) -> int:
    from django.conf import settings

    timeouts = {**DEFAULT_TIMEOUTS, **getattr(settings, "WANGGE_DEVICE_TIMEOUTS", {})}
    return device.timeout_seconds or timeouts.get(device.kind, 600)


def connectivity(device: Device, now=None) -> str:
    """online, unknown (never heard from) or offline (silent for longer than its timeout)."""
    if device.last_seen_at is None:
        return "unknown"
    now = now or timezone.now()
    return "online" if (now - device.last_seen_at).total_seconds() <= timeout_of(device) else "offline"
