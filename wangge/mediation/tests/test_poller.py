"""The disputes' clock: overdue at the level flagged once, recorded, told to the committee's operators and the
mediator; petition leaders reminded once a month after the 20th; run_worker runs it."""
import threading
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from wangge.core.models import AuditEntry, Notification, SmsMessage
from wangge.core.roles import Role
from wangge.mediation import poller
from wangge.mediation.models import Dispute, DisputeEvent
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, register

MINUTE = timedelta(minutes=1)
C_OP = Role.COMMUNITY_OPERATOR


def run_at_once(func, using=None, robust=False):
    func()


@pytest.fixture
def w(world, monkeypatch):
    """After-commit hooks (notifications, SMS enqueue) run at once: the test's transaction never commits."""
    world.m = build_mediation(world)
    world.users[Role.STREET_OPERATOR].phone = "13800002222"
    world.users[Role.STREET_OPERATOR].save()
    monkeypatch.setattr(transaction, "on_commit", run_at_once)
    return world


def flags(dispute, action="flag_overdue"):
    return DisputeEvent.objects.filter(dispute=dispute, action=action)


def recipients(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


# --- overdue at the level ---------------------------------------------------------------------------

def test_nothing_is_flagged_before_the_deadline(w):
    dispute = register(w)
    assert poller.poll(dispute.due_by - MINUTE)["disputes_overdue"] == 0
    dispute.refresh_from_db()
    assert dispute.overdue_flagged_at is None and not flags(dispute).exists()


def test_an_overdue_dispute_is_flagged_once_recorded_and_told(w):
    dispute = dispute_in(w, w.m, "accepted")  # mediator_1 accepted it: they are told too
    now = dispute.due_by + MINUTE
    assert poller.poll(now)["disputes_overdue"] == 1
    assert poller.poll(now + MINUTE)["disputes_overdue"] == 0  # a second pass changes nothing
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert fresh.overdue_flagged_at == now
    assert fresh.version == dispute.version  # a flag is not an edit: nobody gets a conflict
    event = flags(dispute).get()
    assert event.actor is None and event.actor_name == "system"
    assert event.from_state == event.to_state == "accepted" and event.details["level"] == "community"
    assert AuditEntry.objects.filter(operation="mediation.flag_overdue", object_id=str(dispute.pk)).count() == 1
    # the operators of the committee's community and the mediator; not the street or district
    assert recipients("mediation.flag_overdue") == ["community_op", "mediator_1"]
    note = Notification.objects.filter(kind="mediation.flag_overdue").first()
    assert dispute.number in note.title and "超期" in note.title
    assert event.note == "超过本级化解期限仍未化解" and note.body.startswith(event.note + "（期限 ")


def test_every_open_state_is_flagged_and_closed_ones_are_left_alone(w):
    open_ones = [dispute_in(w, w.m, v) for v in ("registered", "accepted", "mediating")]
    closed = [dispute_in(w, w.m, v) for v in ("agreed", "failed", "withdrawn")]
    late = max(d.due_by for d in open_ones + closed) + timedelta(days=60)
    assert poller.poll(late)["disputes_overdue"] == 3
    assert sorted(DisputeEvent.objects.filter(action="flag_overdue").values_list("dispute_id", flat=True)) \
        == sorted(d.pk for d in open_ones)
    assert not any(flags(d).exists() for d in closed)


def test_claim_is_taken_once_and_rechecks_the_state(w):
    first, second = register(w), register(w)
    now = max(first.due_by, second.due_by) + MINUTE
    listed = poller.overdue_ids(now)
    assert sorted(listed) == sorted([first.pk, second.pk])
    act(w.users[C_OP], second, "withdraw", **PARAMS["withdraw"])  # closed after it was listed
    assert [poller.claim_overdue(pk, now) for pk in sorted(listed)] == [True, False]
    assert poller.claim_overdue(first.pk, now) is False
    assert flags(first).count() == 1 and not flags(second).exists()


def test_escalation_moves_the_deadline_and_it_can_be_flagged_again(w):
    dispute = register(w)
    assert poller.poll(dispute.due_by + MINUTE)["disputes_overdue"] == 1
    dispute = act(w.users[C_OP], dispute, "escalate", **PARAMS["escalate"])
    assert dispute.overdue_flagged_at is None and dispute.level == "street"
    assert poller.poll(dispute.due_by - MINUTE)["disputes_overdue"] == 0
    assert poller.poll(dispute.due_by + MINUTE)["disputes_overdue"] == 1
    assert flags(dispute).count() == 2
    # now the street committee's operators hear of it
    assert "street_op" in recipients("mediation.flag_overdue")


def test_two_pollers_that_listed_the_same_disputes_flag_each_once(w):
    made = [register(w) for _ in range(3)]
    now = max(d.due_by for d in made) + MINUTE
    first, second = poller.overdue_ids(now), poller.overdue_ids(now)
    assert sum(poller.claim_overdue(pk, now) for pk in first) == 3
    assert sum(poller.claim_overdue(pk, now) for pk in second) == 0
    assert DisputeEvent.objects.filter(action="flag_overdue").count() == 3
    assert Notification.objects.filter(kind="mediation.flag_overdue", recipient=w.users[C_OP]).count() == 3


# --- petition reminders -----------------------------------------------------------------------------

def local(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


def petition(world, **extra):
    leader = world.users[Role.STREET_OPERATOR]
    return register(world, is_petition=True, leader=leader.pk, **extra)


def test_a_leader_is_reminded_once_a_month_after_the_20th(w):
    dispute = petition(w)
    assert poller.poll(local(2026, 3, 20, 23))["petition_reminders"] == 0
    assert poller.poll(local(2026, 3, 21, 9))["petition_reminders"] == 1
    assert poller.poll(local(2026, 3, 28))["petition_reminders"] == 0  # once a month
    event = flags(dispute, "remind_progress").get()
    assert event.details["month"] == "2026-03-01" and event.actor_name == "system"
    assert AuditEntry.objects.filter(operation="mediation.remind_progress").count() == 1
    assert recipients("mediation.remind_progress") == ["street_op"]
    sms = SmsMessage.objects.get(kind="mediation.remind_progress")
    assert sms.recipient == w.users[Role.STREET_OPERATOR] and "2026年3月" in sms.body
    assert poller.poll(local(2026, 4, 22))["petition_reminders"] == 1  # the next month again
    assert flags(dispute, "remind_progress").count() == 2


def test_no_reminder_when_the_months_progress_is_in(w):
    dispute = petition(w)
    act(w.users[C_OP], dispute, "record_progress", now=local(2026, 3, 5), **PARAMS["record_progress"])
    assert poller.poll(local(2026, 3, 25))["petition_reminders"] == 0
    assert poller.poll(local(2026, 4, 25))["petition_reminders"] == 1  # April's is missing


def test_no_reminder_for_closed_non_petition_or_leaderless_matters(w):
    closed = act(w.users[C_OP], petition(w), "withdraw", **PARAMS["withdraw"])
    register(w)  # not a petition
    register(w, is_petition=True, leader_name="某领导")  # a leader without an account: no one to tell
    assert closed.state == "withdrawn"
    assert poller.poll(local(2026, 3, 25))["petition_reminders"] == 0
    assert not DisputeEvent.objects.filter(action="remind_progress").exists()


def test_claim_reminder_is_taken_once(w):
    dispute = petition(w)
    now = local(2026, 3, 25)
    assert poller.reminder_ids(now) == [dispute.pk]
    assert poller.claim_reminder(dispute.pk, now) is True
    assert poller.claim_reminder(dispute.pk, now) is False
    assert poller.claim_reminder(dispute.pk, local(2026, 3, 10)) is False  # before the 21st nobody is reminded
    assert Notification.objects.filter(kind="mediation.remind_progress").count() == 1


# --- the worker --------------------------------------------------------------------------------------

def test_run_worker_once_runs_the_disputes_poller(w):
    dispute = register(w)
    Dispute.objects.filter(pk=dispute.pk).update(due_by=timezone.now() - timedelta(days=1))
    call_command("run_worker", "--once", stdout=StringIO())
    assert flags(dispute).count() == 1
    call_command("run_worker", "--once", stdout=StringIO())
    assert flags(dispute).count() == 1


# --- two pollers at once on PostgreSQL ---------------------------------------------------------------------

RACED = 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent connections")
def test_two_pollers_at_once_flag_remind_and_notify_each_once(world):
    """SQLite's test database is one connection, so there the sequential tests above stand in."""
    build_mediation(world)
    leader = world.users[Role.STREET_OPERATOR]
    leader.phone = "13800002222"
    leader.save()
    made = [register(world, is_petition=True, leader=leader.pk) for _ in range(RACED)]
    late = timezone.localtime(max(d.due_by for d in made) + timedelta(days=1))
    now = late if late.day > poller.REMIND_AFTER_DAY else late.replace(day=poller.REMIND_AFTER_DAY + 1)
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(poller.poll(now))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r["disputes_overdue"] for r in results) == RACED
    assert sum(r["petition_reminders"] for r in results) == RACED
    ids = sorted(d.pk for d in made)
    for action in ("flag_overdue", "remind_progress"):
        assert sorted(DisputeEvent.objects.filter(action=action).values_list("dispute_id", flat=True)) == ids
        assert AuditEntry.objects.filter(operation=f"mediation.{action}").count() == RACED
    community_op = world.users[C_OP]
    assert Notification.objects.filter(kind="mediation.flag_overdue", recipient=community_op).count() == RACED
    assert Notification.objects.filter(kind="mediation.remind_progress", recipient=leader).count() == RACED
    assert SmsMessage.objects.filter(kind="mediation.remind_progress", recipient=leader).count() == RACED
