"""The early warning's lifecycle as one table on the workflow engine (wangge/core/workflow.py).

  active ──acknowledge──▶ acknowledged ──close──▶ closed
     │                        │
     └──close / hand_down ────┴──hand_down (交办: a case made in the same transaction; the case links back)──▶ closed

Recorded without moving the state: comment and assign (to a colleague whose area holds the warning). The worker's
runs record "raise" and "repeat" (found again, with the new numbers) through `FLOW.record`.
"""
from django.utils.translation import pgettext_lazy

from wangge.core.roles import OPERATORS, Role
from wangge.core.workflow import Action, Transition, Workflow
from wangge.insight.models import EarlyWarning, WarningEvent, WarningState

WATCHERS = frozenset({*OPERATORS, Role.ADMINISTRATOR})

ACTIONS = {
    "acknowledge": Action(pgettext_lazy("warning action", "Acknowledge"), params=("note",)),
    "assign": Action(pgettext_lazy("warning action", "Assign"), params=("assignee", "note")),
    "hand_down": Action(pgettext_lazy("warning action", "Hand down as a case"), params=("category", "note")),
    "comment": Action(pgettext_lazy("warning action", "Comment"), params=("note",)),
    "close": Action(pgettext_lazy("warning action", "Close"), params=("note",)),
}

EVENTS = {
    "raise": pgettext_lazy("warning event", "Raised by the analysis"),
    "repeat": pgettext_lazy("warning event", "Found again"),
}

# Acknowledge first: the table's order is the order of the buttons.
TRANSITIONS = {(WarningState.ACTIVE, "acknowledge"): Transition(WarningState.ACKNOWLEDGED, WATCHERS)}
for _state in (WarningState.ACTIVE, WarningState.ACKNOWLEDGED):
    TRANSITIONS.update({
        (_state, "assign"): Transition(None, WATCHERS),
        # A case is reported by an operator (administrators keep the configuration and report no cases).
        (_state, "hand_down"): Transition(WarningState.CLOSED, frozenset(OPERATORS)),
        (_state, "comment"): Transition(None, WATCHERS),
        (_state, "close"): Transition(WarningState.CLOSED, WATCHERS),
    })
TRANSITIONS[(WarningState.CLOSED, "comment")] = Transition(None, WATCHERS)

FLOW = Workflow(EarlyWarning, TRANSITIONS, ACTIONS, noun=pgettext_lazy("noun", "warning"), event_model=WarningEvent,
                event_field="warning", audit_prefix="insight.warning", related=("grid", "region"), events=EVENTS)
