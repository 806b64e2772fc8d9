"""Connectivity from the last message and the kind's timeout; one device_offline alert per outage, on a fake clock."""
from datetime import datetime, timedelta
from datetime import timezone as tz

import pytest
from django.test import override_settings
from django.utils import translation

from wangge.core import pollers
from wangge.sensing import connectivity
from wangge.sensing.connectivity import connectivity as connectivity_of
from wangge.sensing.connectivity import connectivity_q, mark_seen, poll
from wangge.sensing.models import Alert, AlertRule, AlertState, AlertType, Connectivity, Device, DeviceState
from wangge.sensing.rules import RuleBook
from wangge.sensing.testing import make_device

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=tz.utc)


@pytest.fixture(autouse=True)
def _fresh_rules():
    RuleBook.forget()
    yield
    RuleBook.forget()


def _at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def _seen(device, minutes):
    mark_seen(device, _at(minutes))
    device.refresh_from_db()
    return device


def test_online_unknown_offline_by_the_kinds_timeout_and_the_devices_own(world):
    door = make_device(world.grids[0], "DOOR-1")
    camera = make_device(world.grids[0], "CAM-1", kind="camera")
    slow = make_device(world.grids[0], "DOOR-SLOW", timeout_seconds=3600)
    assert connectivity_of(door, _at(0)) == Connectivity.UNKNOWN
    for device in (door, camera, slow):
        _seen(device, 0)
    # door 10 minutes, camera 5, the slow door its own hour
    assert [connectivity_of(d, _at(7)) for d in (door, camera, slow)] == ["online", "offline", "online"]
    assert [connectivity_of(d, _at(11)) for d in (door, camera, slow)] == ["offline", "offline", "online"]
    with override_settings(WANGGE_DEVICE_TIMEOUTS={"door": 20 * 60}):
        assert connectivity_of(door, _at(11)) == "online"


def test_the_filter_agrees_with_the_function(world):
    devices = [make_device(world.grids[0], f"D{i}", kind=kind, timeout_seconds=t)
               for i, (kind, t) in enumerate([("door", None), ("camera", None), ("detector", None),
                                              ("door", 3600), ("camera", 60), ("sensor", None)])]
    for minutes, device in zip([0, -3, -70, -30, 0], devices):
        _seen(device, minutes)
    now = _at(4)
    for value in Connectivity.values:
        chosen = set(Device.objects.filter(connectivity_q(value, now)).values_list("code", flat=True))
        assert chosen == {d.code for d in devices if connectivity_of(d, now) == value}, value
    assert {connectivity_of(d, now) for d in devices} == set(Connectivity.values)


def test_mark_seen_moves_forward_only(world):
    door = _seen(make_device(world.grids[0], "DOOR-1"), 10)
    assert _seen(door, 5).last_seen_at == _at(10)


def test_one_alert_after_the_minutes_offline_then_cleared_when_it_talks(world):
    door = _seen(make_device(world.grids[0], "DOOR-1", name="1栋门禁"), 0)
    # offline from minute 10 (its timeout); the alert from minute 40
    assert poll(_at(39)) == {"device_offline": 0}
    assert poll(_at(41)) == {"device_offline": 1}
    assert poll(_at(42)) == {"device_offline": 0}
    assert poll(_at(300)) == {"device_offline": 0}
    alert = Alert.objects.get()
    assert (alert.type, alert.source, alert.device, alert.count, alert.state) == (
        AlertType.DEVICE_OFFLINE, f"device:{door.pk}", door, 1, AlertState.ACTIVE)
    assert alert.details["offline_since"] == _at(10).isoformat() and "1栋门禁" in alert.title
    # offline since minute 10 (its first seen), raised at minute 41 (escalation counts from there)
    assert (alert.first_seen, alert.last_seen, alert.raised_at) == (_at(10), _at(10), _at(41))
    # stored in the platform's language, shown in the reader's
    assert (alert.title_message, alert.title_params) == ("Device offline: %(name)s", {"name": "1栋门禁"})
    with translation.override("en"):
        assert alert.shown_title == "Device offline: 1栋门禁"
    with translation.override("zh-hans"):
        assert alert.shown_title == alert.title
    door.refresh_from_db()
    assert door.offline_alerted
    _seen(door, 301)
    alert.refresh_from_db()
    assert (alert.state, alert.resolution) == (AlertState.CLOSED, "cleared")
    assert not Device.objects.get(pk=door.pk).offline_alerted
    # a second outage is a second alert
    assert poll(_at(301 + 10 + 31)) == {"device_offline": 1}
    assert Alert.objects.count() == 2


def test_a_flapping_device_raises_nothing(world):
    door = make_device(world.grids[0], "DOOR-1")
    for minute in range(0, 600, 35):  # talks every 35 minutes: offline 25 of them each time, never 30
        _seen(door, minute)
        assert poll(_at(minute + 34)) == {"device_offline": 0}
    assert not Alert.objects.exists()


def test_never_seen_maintenance_and_retired_devices_are_not_alerted(world):
    make_device(world.grids[0], "NEVER")
    _seen(make_device(world.grids[0], "FIXING", state=DeviceState.MAINTENANCE), 0)
    _seen(make_device(world.grids[0], "GONE", state=DeviceState.RETIRED), 0)
    assert poll(_at(600)) == {"device_offline": 0}
    assert not Alert.objects.exists()


def test_the_area_rule_and_the_setting_choose_the_minutes(world):
    home = _seen(make_device(world.grids[0], "HOME"), 0)
    away = _seen(make_device(world.grids[4], "AWAY"), 0)
    AlertRule.objects.create(type=AlertType.DEVICE_OFFLINE, region=world.streets[0], params={"after_minutes": 120},
                             severity="major")
    with override_settings(WANGGE_DEVICE_OFFLINE_ALERT_MINUTES=5):
        assert poll(_at(16)) == {"device_offline": 1}  # away: 10 + 5
        assert Alert.objects.get().device == away
        assert poll(_at(129)) == {"device_offline": 0}
        assert poll(_at(131)) == {"device_offline": 1}  # home: 10 + 120, the street's rule, its severity
    assert Alert.objects.get(device=home).severity == "major"


def test_a_rule_turned_off_raises_nothing(world):
    _seen(make_device(world.grids[0], "HOME"), 0)
    AlertRule.objects.create(type=AlertType.DEVICE_OFFLINE, enabled=False)
    assert poll(_at(600)) == {"device_offline": 0}


def test_the_claim_is_taken_once(world):
    """Two workers that read the same device: the conditional UPDATE lets one raise, the other finds it taken."""
    door = _seen(make_device(world.grids[0], "DOOR-1"), 0)
    stale = Device.objects.select_related("grid").get(pk=door.pk)
    book = RuleBook.current()
    assert connectivity._raise_offline(stale, _at(10), 30, book, _at(41))
    assert not connectivity._raise_offline(stale, _at(10), 30, book, _at(41))
    assert Alert.objects.count() == 1


def test_a_device_that_talked_after_it_was_read_is_not_claimed(world):
    door = _seen(make_device(world.grids[0], "DOOR-1"), 0)
    read = Device.objects.select_related("grid").get(pk=door.pk)
    _seen(door, 40)
    assert not connectivity._raise_offline(read, _at(10), 30, RuleBook.current(), _at(41))
    assert not Alert.objects.exists()


def test_the_poller_is_registered_with_the_worker():
    assert "sensing.connectivity" in pollers.registered()
