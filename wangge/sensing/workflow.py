"""The alert's lifecycle as one table on the workflow engine (wangge/core/workflow.py).

  active ──acknowledge──▶ acknowledged ──close (true / false alarm / duplicate)──▶ closed
     │                        │
     └──close / to_case ──────┴──to_case (a case made in the same transaction; the case links back)──▶ closed

Recorded without moving the state: comment, assign (operators), and for `no_activity` the welfare ladder —
call (the grid worker phones), visit (goes to the door), contact (the emergency contact is reached) — each step
a timeline row with its note. A source that clears its own alert (a device back online) closes it with the
resolution "cleared" through `alerts.clear_alert`, and the escalation poller records "escalate".
"""
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.core.roles import OPERATORS, Role
from wangge.core.workflow import Action, Transition, Workflow
from wangge.sensing.models import Alert, AlertEvent, AlertState, AlertType

WATCHERS = frozenset({*OPERATORS, Role.GRID_WORKER})
SUPERVISORS = frozenset(OPERATORS)

ACTIONS = {
    "acknowledge": Action(pgettext_lazy("alert action", "Acknowledge"), params=("note",)),
    "close": Action(pgettext_lazy("alert action", "Close"), params=("resolution", "note")),
    "to_case": Action(pgettext_lazy("alert action", "Turn into a case"), params=("category", "note")),
    "comment": Action(pgettext_lazy("alert action", "Comment"), params=("note",)),
    "assign": Action(pgettext_lazy("alert action", "Assign"), params=("assignee", "note")),
    "call": Action(pgettext_lazy("alert action", "Phoned the resident"), params=("reached", "note")),
    "visit": Action(pgettext_lazy("alert action", "Visited the resident"), params=("found_well", "note")),
    "contact": Action(pgettext_lazy("alert action", "Reached the emergency contact"), params=("note",)),
}

EVENTS = {
    "raise": pgettext_lazy("alert event", "Raised"),
    "repeat": pgettext_lazy("alert event", "Seen again"),
    "clear": pgettext_lazy("alert event", "Cleared by the source"),
    "escalate": pgettext_lazy("alert event", "Escalated to the level above"),
}


def _welfare(step: int):
    """The welfare ladder goes in order: phone, then visit, then the emergency contact (a step may be repeated)."""
    def guard(alert, user):
        if alert.type != AlertType.NO_ACTIVITY:
            return _("Only a no-activity alert has welfare checks.")
        if alert.welfare_step < step - 1:
            return _("Take the welfare checks in order: phone first, then visit, then the emergency contact.")
        return None
    return guard


# In the order the page offers them: the next step first (acknowledge, the welfare check's step), closing later.
TRANSITIONS = {(AlertState.ACTIVE, "acknowledge"): Transition(AlertState.ACKNOWLEDGED, WATCHERS)}
for _state in (AlertState.ACTIVE, AlertState.ACKNOWLEDGED):
    TRANSITIONS.update({
        (_state, "call"): Transition(None, WATCHERS, guard=_welfare(1)),
        (_state, "visit"): Transition(None, WATCHERS, guard=_welfare(2)),
        (_state, "contact"): Transition(None, WATCHERS, guard=_welfare(3)),
        (_state, "assign"): Transition(None, SUPERVISORS),
        (_state, "to_case"): Transition(AlertState.CLOSED, WATCHERS),
        (_state, "close"): Transition(AlertState.CLOSED, WATCHERS),
        (_state, "comment"): Transition(None, WATCHERS),
    })
TRANSITIONS[(AlertState.CLOSED, "comment")] = Transition(None, WATCHERS)


def _notify(event_id):
    from wangge.sensing import notifications

    notifications.alert_event(event_id)


def _notifies(action, alert) -> bool:
    return action in ("raise", "assign", "escalate")


FLOW = Workflow(Alert, TRANSITIONS, ACTIONS, noun=pgettext_lazy("noun", "alert"), event_model=AlertEvent,
                event_field="alert", audit_prefix="sensing", related=("grid",), notify=_notify, notifies=_notifies,
                events=EVENTS)
