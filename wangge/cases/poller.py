"""The deadlines poller (时限监控): marks cases unsigned (超时未签收) or overdue (超期) and tells people.

`poll(now)` finds candidates with indexed queries ((state, accept_by) and (state, handle_by)), then claims
each one with a conditional UPDATE that repeats every condition (`… flagged_at IS NULL AND state IN … AND
deadline < now`). Only the process whose UPDATE changed the row writes the timeline entry and the audit
row and, after its commit, notifies; a second poller running at the same moment (another worker, a cron
run) updates nothing and moves on. This is how Healthchecks claims its checks, and it behaves the same on
SQLite and PostgreSQL.

Against an operation on the same case: `do_act` (the engine's `act`) claims the row by its version with an
UPDATE first, so the two serialise on the row; the poller's UPDATE re-checks the state after the operation
commits (an accepted case is no longer unsigned). The claim does not bump `version`: a flag is not an edit,
and people working on the case must not get a conflict because the clock ran out.

The flags are cleared where the deadline moves (services: dispatch and rework reset `accept_by` and the
unsigned flag, an approved extension resets the overdue flag), so a case can be flagged again later.
"""
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from wangge.cases.models import Case, State
from wangge.cases.workflow import FLOW

UNSIGNED_STATES = (State.DISPATCHED,)
OVERDUE_STATES = (State.REGISTERED, State.DISPATCHED, State.ACCEPTED)
CHUNK = 500

# kind -> (flag column, deadline column, states, timeline action, note: stored in the platform's language)
KINDS = {
    "unsigned": ("unsigned_flagged_at", "accept_by", UNSIGNED_STATES, "flag_unsigned",
                 gettext_noop("Not accepted within the time limit for accepting")),
    "overdue": ("overdue_flagged_at", "handle_by", OVERDUE_STATES, "flag_overdue",
                gettext_noop("Not closed within the time limit for handling")),
}


def _due(kind: str, now):
    flag, deadline, states, _action, _note = KINDS[kind]
    return Case.objects.filter(state__in=states, **{f"{deadline}__lt": now, f"{flag}__isnull": True})


def due_ids(kind: str, now) -> list[int]:
    return list(_due(kind, now).order_by(KINDS[kind][1]).values_list("pk", flat=True))


def claim(kind: str, pk: int, now) -> bool:
    """Flag one case if nobody has; True when this call did it (and recorded it)."""
    flag, deadline, _states, action, note = KINDS[kind]
    with transaction.atomic():
        if not _due(kind, now).filter(pk=pk).update(**{flag: now}):
            return False
        case = Case.objects.select_related("category", "grid").get(pk=pk)
        details = {deadline: getattr(case, deadline).isoformat()}
        with translation.override(settings.LANGUAGE_CODE):
            note = gettext(note)
        FLOW.record(None, case, action, note=note, details=details, now=now, actor_name="system")
    return True


def poll(now=None) -> dict:
    """One pass: flag what is due now. Returns how many cases this call flagged, per kind."""
    now = now or timezone.now()
    counts = {}
    for kind in KINDS:
        ids = due_ids(kind, now)
        counts[kind] = sum(claim(kind, pk, now) for pk in ids)
    return counts
