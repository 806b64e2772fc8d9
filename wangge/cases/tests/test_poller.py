"""The deadlines poller: flags unsigned and overdue cases once each, records them, notifies; run_worker."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction

from wangge.cases import poller
from wangge.cases.models import Case, CaseEvent
from wangge.cases.testing import PARAMS, act, case_in
from wangge.core.models import AuditEntry, Notification, SmsMessage, SmsStatus
from wangge.core.roles import Role

OP, DEPT = Role.DISTRICT_OPERATOR, Role.DEPARTMENT_HANDLER
MINUTE = timedelta(minutes=1)


def run_at_once(func, using=None, robust=False):
    func()


@pytest.fixture
def w(world, monkeypatch):
    """After-commit hooks (notifications, SMS enqueue) run at once: the test's transaction never commits."""
    world.users[DEPT].phone = "13800001111"
    world.users[DEPT].save()
    monkeypatch.setattr(transaction, "on_commit", run_at_once)
    return world


def flags(case, action):
    return CaseEvent.objects.filter(case=case, action=action)


def test_nothing_is_flagged_before_the_deadline(w):
    case = case_in(w, "dispatched")
    assert poller.poll(case.accept_by - MINUTE) == {"unsigned": 0, "overdue": 0}
    case.refresh_from_db()
    assert case.unsigned_flagged_at is None and case.overdue_flagged_at is None


def test_an_unsigned_case_is_flagged_once_recorded_and_notified(w):
    case = case_in(w, "dispatched")
    now = case.accept_by + MINUTE
    assert poller.poll(now) == {"unsigned": 1, "overdue": 0}
    assert poller.poll(now + MINUTE) == {"unsigned": 0, "overdue": 0}  # a second pass changes nothing
    case.refresh_from_db()
    assert case.unsigned_flagged_at == now
    event = flags(case, "flag_unsigned").get()
    assert event.actor is None and event.actor_name == "system" and event.from_state == event.to_state == "dispatched"
    assert AuditEntry.objects.filter(operation="cases.flag_unsigned", object_id=str(case.pk)).count() == 1
    assert set(Notification.objects.filter(kind="case.flag_unsigned").values_list("recipient__username", flat=True)) \
        == {"dept_handler", "community_op", "district_op"}
    assert Notification.objects.filter(kind="case.flag_unsigned").count() == 3
    # the assignee is texted, the operators are not
    assert list(SmsMessage.objects.filter(kind="case.flag_unsigned").values_list("recipient__username", flat=True)) \
        == ["dept_handler"]
    assert case.version == Case.objects.get(pk=case.pk).version  # a flag is not an edit: no conflict for anyone


def test_an_overdue_case_is_flagged_in_every_open_working_state(w):
    cases = [case_in(w, variant) for variant in ("registered", "dispatched", "accepted")]
    late = max(c.handle_by for c in cases) + MINUTE
    counts = poller.poll(late)
    assert counts["overdue"] == 3
    for case in cases:
        assert flags(case, "flag_overdue").count() == 1
    assert poller.poll(late)["overdue"] == 0


def test_closed_handled_and_reported_cases_are_left_alone(w):
    cases = [case_in(w, variant) for variant in ("reported", "handled", "closed", "rejected", "merged")]
    late = max(c.handle_by for c in cases) + timedelta(days=60)
    assert poller.poll(late) == {"unsigned": 0, "overdue": 0}
    assert not CaseEvent.objects.filter(action__startswith="flag_").exists()


def test_an_accepted_case_is_not_unsigned(w):
    case = case_in(w, "accepted")
    assert poller.poll(case.accept_by + MINUTE)["unsigned"] == 0


def test_claim_is_taken_once(w):
    case = case_in(w, "dispatched")
    now = case.accept_by + MINUTE
    assert poller.claim("unsigned", case.pk, now) is True
    assert poller.claim("unsigned", case.pk, now) is False
    assert flags(case, "flag_unsigned").count() == 1


def test_claim_rechecks_the_state(w):
    """A case listed as due but accepted before the claim is not flagged (the UPDATE repeats the conditions)."""
    case = case_in(w, "dispatched")
    now = case.accept_by + MINUTE
    listed = poller.due_ids("unsigned", now)
    act(w.users[DEPT], case, "accept")
    assert listed == [case.pk]
    assert poller.claim("unsigned", case.pk, now) is False
    assert not flags(case, "flag_unsigned").exists()


def test_rework_clears_the_unsigned_flag_and_it_can_be_flagged_again(w):
    case = case_in(w, "dispatched")
    assert poller.poll(case.accept_by + MINUTE)["unsigned"] == 1
    for user, action in ((DEPT, "accept"), (DEPT, "handle"), (OP, "verify_rework")):
        case = act(w.users[user], case, action, **PARAMS.get(action, {}))
    assert case.unsigned_flagged_at is None
    assert poller.poll(case.accept_by + MINUTE)["unsigned"] == 1
    assert flags(case, "flag_unsigned").count() == 2


def test_an_approved_extension_clears_the_overdue_flag(w):
    case = case_in(w, "accepted_pending")
    assert poller.poll(case.handle_by + MINUTE)["overdue"] == 1
    case = act(w.users[OP], case, "approve_extension")
    assert case.overdue_flagged_at is None
    assert poller.poll(case.handle_by - MINUTE)["overdue"] == 0
    assert poller.poll(case.handle_by + MINUTE)["overdue"] == 1


def test_run_worker_once_polls_and_delivers_the_texts(w):
    case = case_in(w, "dispatched")
    Case.objects.filter(pk=case.pk).update(accept_by=case.accept_by - timedelta(days=30))
    from io import StringIO

    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    # two texts to deliver: the dispatch's, queued before, and the flag's
    assert out.getvalue().strip() == "unsigned 1, overdue 0, tasks 2"
    message = SmsMessage.objects.get(kind="case.flag_unsigned")
    assert message.status == SmsStatus.SENT and message.sent_at is not None
    assert not SmsMessage.objects.exclude(status=SmsStatus.SENT).exists()
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert out.getvalue().strip() == "unsigned 0, overdue 0, tasks 0"


def test_poll_deadlines_task(w):
    from wangge.cases.tasks import poll_deadlines

    case = case_in(w, "dispatched")
    Case.objects.filter(pk=case.pk).update(accept_by=case.accept_by - timedelta(days=30))
    assert poll_deadlines.call() == {"unsigned": 1, "overdue": 0}


def test_two_pollers_that_listed_the_same_cases_flag_each_once(w):
    """Sequentially on any database: both list the due cases before either claims; the second claims none."""
    cases = [case_in(w, "dispatched") for _ in range(3)]
    now = max(c.accept_by for c in cases) + MINUTE
    first, second = poller.due_ids("unsigned", now), poller.due_ids("unsigned", now)
    assert sorted(first) == sorted(second) == sorted(c.pk for c in cases)
    assert sum(poller.claim("unsigned", pk, now) for pk in first) == 3
    assert sum(poller.claim("unsigned", pk, now) for pk in second) == 0
    assert CaseEvent.objects.filter(action="flag_unsigned").count() == 3
    assert Notification.objects.filter(kind="case.flag_unsigned", recipient=w.users[DEPT]).count() == 3


@pytest.mark.parametrize("language, note", [("zh-hans", "超过签收时限仍未签收"),
                                            ("en", "Not accepted within the time limit for accepting")])
def test_the_flags_note_is_in_the_platforms_language_whoever_runs_the_poll(w, settings, language, note):
    """Stored in the platform's language (LANGUAGE_CODE), like every notification, not the language of whichever
    request or command happened to run the poll."""
    from django.utils import translation

    settings.LANGUAGE_CODE = language
    case = case_in(w, "dispatched")
    with translation.override("en" if language == "zh-hans" else "zh-hans"):
        poller.poll(case.accept_by + MINUTE)
    assert flags(case, "flag_unsigned").get().note == note
