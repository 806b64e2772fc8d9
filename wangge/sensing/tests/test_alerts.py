"""The one alert model: raising (deduplicated while open), clearing, and the lifecycle on the workflow engine."""
import pytest
from django.db import transaction

from wangge.cases.models import Case
from wangge.core.models import AuditEntry, Notification
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.core.workflow import ConflictError, WorkflowError
from wangge.sensing.alerts import clear_alert, raise_alert, source_of
from wangge.sensing.models import Alert, AlertEvent, AlertState, AlertType, Resolution, Severity
from wangge.sensing.services import do_act
from wangge.sensing.testing import make_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(world):
    return make_device(world.grids[0], "DOOR-1")


def _raise(device, **extra):
    return raise_alert(AlertType.DOOR_FORCED, source_of("device", device.pk), grid_id=device.grid_id,
                       device_id=device.pk, **{"title": "门被强行打开", **extra})


def test_a_repeat_while_open_counts_instead_of_raising_another(world, device):
    first = _raise(device, details={"alarm": "forced_open"})
    again = _raise(device, severity=Severity.CRITICAL, details={"alarm": "held_open"})
    assert first.created and not again.created
    assert Alert.objects.count() == 1
    alert = Alert.objects.get()
    assert (alert.count, alert.severity, alert.details["alarm"]) == (2, Severity.CRITICAL, "held_open")
    assert list(AlertEvent.objects.values_list("action", flat=True)) == ["raise"]
    assert AuditEntry.objects.filter(operation="sensing.raise").count() == 1


def test_after_close_the_same_source_raises_a_new_alert(world, device):
    alert = _raise(device).alert
    do_act(world.users[Role.GRID_WORKER], alert, "close", expected_version=alert.version,
           resolution=Resolution.FALSE_ALARM, note="测试时误触")
    assert _raise(device).created
    assert Alert.objects.count() == 2


def test_raise_tells_the_grid_team_and_critical_ones_by_text(world, device, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _raise(device, severity=Severity.CRITICAL)
    gridder = world.users[Role.GRID_WORKER]
    note = Notification.objects.get(recipient=gridder, kind="alert_raised")
    assert "门被强行打开" in note.title
    from wangge.core.models import SmsMessage

    assert SmsMessage.objects.filter(kind="alert_raised").exists() == bool(gridder.phone)


def test_acknowledge_then_close_records_who_and_when(world, device):
    alert = _raise(device).alert
    gridder = world.users[Role.GRID_WORKER]
    alert = do_act(gridder, alert, "acknowledge", expected_version=alert.version)
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == gridder
    with pytest.raises(OperationError) as refused:
        do_act(gridder, alert, "close", expected_version=alert.version, resolution="maybe")
    assert refused.value.field == "resolution"
    with pytest.raises(OperationError) as refused:
        do_act(gridder, alert, "close", expected_version=alert.version, resolution=Resolution.FALSE_ALARM)
    assert refused.value.field == "note"  # a false alarm says why
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    alert = do_act(gridder, alert, "close", expected_version=alert.version, resolution=Resolution.TRUE)
    assert (alert.state, alert.resolution, alert.closed_by) == (AlertState.CLOSED, Resolution.TRUE, gridder)
    assert list(alert.events.values_list("action", flat=True)) == ["raise", "acknowledge", "close"]


def test_a_stale_version_is_a_conflict_and_outside_the_area_is_refused(world, device):
    alert = _raise(device).alert
    with pytest.raises(ConflictError):
        do_act(world.users[Role.GRID_WORKER], alert, "acknowledge", expected_version=alert.version + 5)
    with pytest.raises(WorkflowError) as refused:
        do_act(world.outsiders[Role.GRID_WORKER], alert, "acknowledge", expected_version=alert.version)
    assert refused.value.reason == "area"
    alert.refresh_from_db()
    assert alert.state == AlertState.ACTIVE and alert.version == 1


def test_turn_into_a_case_in_one_action(world, device):
    from wangge.cases.catalogue import active_by_code
    from wangge.cases.models import Category

    category = Category.objects.filter(active=True).select_related("major").first()
    assert active_by_code(category.full_code) is not None
    alert = _raise(device).alert
    gridder = world.users[Role.GRID_WORKER]
    alert = do_act(gridder, alert, "to_case", expected_version=alert.version, category=category.full_code,
                   note="现场门锁损坏")
    case = Case.objects.get()
    assert alert.case == case and alert.state == AlertState.CLOSED and alert.resolution == Resolution.CASE
    assert case.grid == device.grid and case.channel == "device" and alert.number in case.description


def test_turn_into_a_case_with_no_category_changes_nothing(world, device):
    alert = _raise(device).alert
    with pytest.raises(OperationError) as refused:
        do_act(world.users[Role.GRID_WORKER], alert, "to_case", expected_version=alert.version, category="")
    assert refused.value.field == "category"
    alert.refresh_from_db()
    assert alert.state == AlertState.ACTIVE and not Case.objects.exists()


def test_the_welfare_ladder_goes_in_order(world, registry_home):
    person = registry_home["head"]
    alert = raise_alert(AlertType.NO_ACTIVITY, source_of("person", person.pk), grid_id=person.grid_id,
                        title="24小时无出入", person_id=person.pk).alert
    gridder = world.users[Role.GRID_WORKER]
    with pytest.raises(WorkflowError) as refused:
        do_act(gridder, alert, "visit", expected_version=alert.version, note="上门")
    assert refused.value.reason == "guard"
    alert = do_act(gridder, alert, "call", expected_version=alert.version, reached="no", note="电话无人接听")
    alert = do_act(gridder, alert, "visit", expected_version=alert.version, found_well="yes", note="老人在家，身体无恙")
    assert alert.welfare_step == 2 and alert.state == AlertState.ACTIVE
    steps = list(alert.events.filter(action__in=["call", "visit"]).values_list("action", "details"))
    assert steps == [("call", {"step": 1, "reached": False}), ("visit", {"step": 2, "found_well": True})]


def test_welfare_steps_only_on_no_activity_alerts(world, device):
    alert = _raise(device).alert
    with pytest.raises(WorkflowError) as refused:
        do_act(world.users[Role.GRID_WORKER], alert, "call", expected_version=alert.version, note="x")
    assert refused.value.reason == "guard"


def test_clear_closes_the_open_alert_as_cleared(world, device):
    _raise(device)
    cleared = clear_alert(AlertType.DOOR_FORCED, source_of("device", device.pk), note="门已关闭")
    assert cleared.state == AlertState.CLOSED and cleared.resolution == Resolution.CLEARED
    assert clear_alert(AlertType.DOOR_FORCED, source_of("device", device.pk)) is None


def test_only_operators_assign_and_only_to_someone_whose_area_holds_it(world, device,
                                                                      django_capture_on_commit_callbacks):
    alert = _raise(device).alert
    with pytest.raises(WorkflowError) as refused:
        do_act(world.users[Role.GRID_WORKER], alert, "assign", expected_version=alert.version,
               assignee=world.users[Role.GRID_WORKER].pk)
    assert refused.value.reason == "role"
    operator = world.users[Role.COMMUNITY_OPERATOR]
    with pytest.raises(OperationError) as refused:
        do_act(operator, alert, "assign", expected_version=alert.version,
               assignee=world.outsiders[Role.GRID_WORKER].pk)
    assert refused.value.field == "assignee"
    alert.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        alert = do_act(operator, alert, "assign", expected_version=alert.version,
                       assignee=world.users[Role.GRID_WORKER].pk)
    assert alert.assignee == world.users[Role.GRID_WORKER]
    assert Notification.objects.filter(recipient=alert.assignee, kind="alert_assigned").exists()


def test_two_writers_raising_at_once_make_one_alert(world, device):
    """The partial unique index is what holds: an insert past it fails."""
    _raise(device)
    with pytest.raises(Exception), transaction.atomic():
        Alert.objects.create(type=AlertType.DOOR_FORCED, source=source_of("device", device.pk),
                             grid_id=device.grid_id, title="dup")
    assert Alert.objects.count() == 1


def test_an_unacknowledged_critical_alert_is_escalated_once(world, device, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from wangge.sensing import poller

    alert = _raise(device, severity=Severity.CRITICAL).alert
    assert poller.escalate(alert.first_seen + timedelta(minutes=10)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert poller.escalate(alert.first_seen + timedelta(minutes=16)) == 1
    assert poller.escalate(alert.first_seen + timedelta(minutes=30)) == 0
    alert.refresh_from_db()
    assert alert.escalated_at is not None and alert.version == 1  # a flag, not an edit
    assert list(alert.events.values_list("action", flat=True)) == ["raise", "escalate"]
    street_op = world.users[Role.STREET_OPERATOR]  # the level above the grid's community
    assert Notification.objects.filter(recipient=street_op, kind="alert_escalated").exists()


def test_an_acknowledged_or_minor_alert_is_not_escalated(world, device):
    from datetime import timedelta

    from wangge.sensing import poller

    minor = _raise(device, severity=Severity.MINOR).alert
    assert poller.escalate(minor.first_seen + timedelta(days=1)) == 0
    other = make_device(world.grids[0], "DOOR-2")
    major = _raise(other).alert
    do_act(world.users[Role.GRID_WORKER], major, "acknowledge", expected_version=major.version)
    assert poller.escalate(major.first_seen + timedelta(days=1)) == 0


def test_the_next_step_is_offered_first_and_closing_later(world, device):
    """The alert page lists its actions in this order (a phone shows one form under another): acknowledging an
    active alert first, not below closing, turning into a case and commenting."""
    from wangge.sensing.workflow import FLOW

    alert = _raise(device).alert
    gridder, operator = world.users[Role.GRID_WORKER], world.users[Role.DISTRICT_OPERATOR]
    assert FLOW.allowed_actions(alert, gridder) == ["acknowledge", "to_case", "close", "comment"]
    assert FLOW.allowed_actions(alert, operator) == ["acknowledge", "assign", "to_case", "close", "comment"]
    alert = do_act(gridder, alert, "acknowledge", expected_version=alert.version)
    assert FLOW.allowed_actions(alert, gridder) == ["to_case", "close", "comment"]


# --- the source's time and the platform's ----------------------------------------------------------------------


def test_an_alert_is_dated_by_when_it_happened_and_escalates_from_when_it_was_raised(world, device):
    """A door that uploads an hour of buffered events: the alert shows the hour of the event; escalation (15
    minutes for a critical one) counts from its arrival, so it is not escalated the moment it arrives."""
    from datetime import timedelta

    from django.utils import timezone

    from wangge.sensing import poller

    now = timezone.now()
    happened = now - timedelta(hours=1)
    alert = _raise(device, severity=Severity.CRITICAL, at=happened, now=now).alert
    alert.refresh_from_db()
    assert (alert.first_seen, alert.last_seen, alert.raised_at) == (happened, happened, now)
    assert alert.received_late
    assert poller.escalate(now + timedelta(minutes=1)) == 0
    assert poller.escalate(now + timedelta(minutes=16)) == 1


def test_repeats_widen_the_seen_times_and_never_narrow_them(world, device):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    alert = _raise(device, at=now - timedelta(minutes=30), now=now).alert
    _raise(device, at=now - timedelta(minutes=50), since=now - timedelta(minutes=55), now=now)  # buffered, older
    alert.refresh_from_db()
    assert (alert.first_seen, alert.last_seen, alert.count) == (now - timedelta(minutes=55),
                                                                now - timedelta(minutes=30), 2)
    _raise(device, at=now - timedelta(minutes=5), now=now)
    alert.refresh_from_db()
    assert (alert.first_seen, alert.last_seen, alert.raised_at) == (now - timedelta(minutes=55),
                                                                    now - timedelta(minutes=5), now)


def test_a_device_clock_ahead_of_ours_is_taken_as_now(world, device):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    alert = _raise(device, at=now + timedelta(hours=3), now=now).alert
    alert.refresh_from_db()
    assert (alert.first_seen, alert.last_seen, alert.raised_at) == (now, now, now)
    assert not alert.received_late


def test_without_a_time_of_its_own_an_alert_happened_when_raised(world, device):
    alert = _raise(device).alert
    alert.refresh_from_db()
    assert alert.first_seen == alert.last_seen == alert.raised_at


def test_the_grid_team_is_told_in_the_language_each_chose(world, device, django_capture_on_commit_callbacks):
    from django.utils.translation import gettext_noop

    from wangge.sensing.alerts import Title

    gridder, community_op = world.users[Role.GRID_WORKER], world.users[Role.COMMUNITY_OPERATOR]
    gridder.language = "en"
    gridder.save()
    with django_capture_on_commit_callbacks(execute=True):
        _raise(device, title=Title(gettext_noop("Door forced or held open at %(door)s"), {"door": "1栋门禁"}))
    assert Notification.objects.get(recipient=gridder, kind="alert_raised").title == (
        "New alert: Door forced or held open at 1栋门禁")
    assert Notification.objects.get(recipient=community_op, kind="alert_raised").title.startswith("新告警")
