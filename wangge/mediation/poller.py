"""The disputes' clock (registered with the worker in apps.py): overdue at their level (超期未化解) and the
monthly progress reminder of petition matters (信访包案进展提醒).

Overdue, like wangge/cases/poller.py: candidates come from the (state, due_by) index, then each is claimed with a
conditional UPDATE that repeats every condition (`overdue_flagged_at IS NULL AND state IN open AND due_by < now`).
Only the process whose UPDATE changed the row writes the timeline entry and the audit row and, after its commit,
tells the committee's operators and the assigned mediator; a second poller at the same moment updates nothing.
The claim does not bump `version` (a flag is not an edit: nobody working on the dispute gets a conflict).
Escalating, transferring or routing sets a new due_by and clears the flag (services), so it can be flagged again.

Petition reminders: after the 20th of a month, an open petition matter with a leader in charge and no progress
entry for the month gets one reminder to the leader (inbox and text). There is no column to claim, so the
claim is the dispute row's lock: `SELECT … FOR UPDATE` on PostgreSQL (SQLite's IMMEDIATE transactions take the
write lock at BEGIN), then a fresh look for this month's `remind_progress` event, which is the record that it
was sent. A second poller waits on the lock, then finds the event and sends nothing.
"""
from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from wangge.core.models import User
from wangge.core.notify import notify
from wangge.core.roles import OPERATORS
from wangge.mediation import notifications, services
from wangge.mediation.models import OPEN_STATES, Dispute, DisputeEvent
from wangge.mediation.workflow import FLOW

REMIND_AFTER_DAY = 20  # reminders from the 21st: the leader has had three weeks to enter the month's progress
# What the pollers write (timeline notes, messages) is stored in the platform's language, like every notification.


def overdue_note() -> str:
    return _("Not resolved within the time limit of its level")


def reminder_note() -> str:
    return _("This month's progress has not been entered yet: please enter it before the month ends")


# --- overdue at the level ---------------------------------------------------------------------------

def _overdue(now):
    return Dispute.objects.filter(state__in=OPEN_STATES, due_by__lt=now, overdue_flagged_at__isnull=True)


def overdue_ids(now) -> list[int]:
    return list(_overdue(now).order_by("due_by", "id").values_list("pk", flat=True))


def claim_overdue(pk: int, now) -> bool:
    """Flag one dispute if nobody has; True when this call did it (and recorded it)."""
    with transaction.atomic():
        if not _overdue(now).filter(pk=pk).update(overdue_flagged_at=now):
            return False
        dispute = Dispute.objects.select_related("committee", "region").get(pk=pk)
        details = {"due_by": dispute.due_by.isoformat(), "level": dispute.level}
        with translation.override(settings.LANGUAGE_CODE):
            note = overdue_note()
        FLOW.record(None, dispute, "flag_overdue", note=note, details=details, now=now)
        transaction.on_commit(lambda: tell_overdue(pk, now))
    return True


def overdue_recipients(dispute) -> list:
    """The operators of the committee's region and the assigned mediator; without a committee, the operators
    of the region at the dispute's level (whoever must route it)."""
    users = notifications.committee_staff(dispute, mediators=False) + notifications.mediator_users(dispute)
    if not dispute.committee_id:
        home = services.region_at(dispute.region, services.REGION_LEVEL[dispute.level])
        users += list(User.objects.filter(is_active=True, role__in=OPERATORS, region=home).order_by("pk"))
    return users


def tell_overdue(pk: int, now) -> None:
    dispute = Dispute.objects.select_related("committee__region", "mediator__user", "region").filter(pk=pk).first()
    if dispute is None:
        return
    def title():
        return _("Dispute overdue: %(number)s %(title)s") % {"number": dispute.number, "title": dispute.title}

    def body():
        return _("%(note)s (time limit %(date)s): please press for its resolution or hand it up a level") % {
            "note": overdue_note(), "date": timezone.localtime(dispute.due_by).date().isoformat()}

    notify(overdue_recipients(dispute), kind="mediation.flag_overdue", title=title, body=body,
           url=notifications.dispute_url(dispute), now=now)


# --- monthly petition reminders ----------------------------------------------------------------------

def _month_start(now):
    first = timezone.localtime(now).date().replace(day=1)
    return first, timezone.make_aware(datetime.combine(first, time.min))


def _unreminded(now):
    """Open petition matters with an active leader, no progress entry this month and no reminder yet."""
    month, since = _month_start(now)
    reminded = DisputeEvent.objects.filter(action="remind_progress", at__gte=since).values("dispute_id")
    return (Dispute.objects.filter(is_petition=True, state__in=OPEN_STATES, leader__isnull=False,
                                   leader__is_active=True)
            .exclude(progress__month=month).exclude(pk__in=reminded))


def reminder_ids(now) -> list[int]:
    if timezone.localtime(now).day <= REMIND_AFTER_DAY:
        return []
    return list(_unreminded(now).order_by("id").values_list("pk", flat=True))


def claim_reminder(pk: int, now) -> bool:
    """Remind the leader of one petition matter if nobody has this month; True when this call did it."""
    if timezone.localtime(now).day <= REMIND_AFTER_DAY:
        return False
    with transaction.atomic():
        list(Dispute.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))  # the claim: see above
        dispute = _unreminded(now).select_related("leader").filter(pk=pk).first()  # a fresh read after the lock
        if dispute is None:
            return False
        month, _since = _month_start(now)
        with translation.override(settings.LANGUAGE_CODE):
            note = reminder_note()
        FLOW.record(None, dispute, "remind_progress", note=note,
                    details={"month": month.isoformat(), "leader": dispute.leader_id}, now=now)
        transaction.on_commit(lambda: tell_leader(pk, month, now))
    return True


def tell_leader(pk: int, month, now) -> None:
    dispute = Dispute.objects.select_related("leader").filter(pk=pk).first()
    if dispute is None or dispute.leader is None:
        return
    def title():
        return _("Petition progress reminder: %(number)s %(title)s") % {"number": dispute.number,
                                                                         "title": dispute.title}

    def body():
        return _("%(month)s: %(note)s") % {"month": formats.date_format(month, "YEAR_MONTH_FORMAT"),
                                           "note": reminder_note()}

    notify([dispute.leader], kind="mediation.remind_progress", title=title, body=body,
           url=notifications.dispute_url(dispute), sms=True, now=now)


def poll(now=None) -> dict:
    """One pass. Returns how many disputes this call flagged overdue and how many leaders it reminded."""
    now = now or timezone.now()
    flagged = sum(claim_overdue(pk, now) for pk in overdue_ids(now))
    reminded = sum(claim_reminder(pk, now) for pk in reminder_ids(now))
    return {"disputes_overdue": flagged, "petition_reminders": reminded}
