"""The appeal's (申诉 / 免责) lifecycle as one table on the workflow engine (wangge/core/workflow.py).

  submitted ──accept (the named records are left out; the score is recomputed)──▶ accepted
      │
      └──reject (with the reason)──▶ rejected

Submitting is `services.do_submit_appeal` (the "submit" row of the timeline); only the assessing level (the
scheme's region or above) decides, never the one who appealed, and nothing moves once the period is finalised.
"""
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.core.roles import OPERATORS, Role
from wangge.core.workflow import Action, Transition, Workflow
from wangge.insight.assessment.models import Appeal, AppealEvent, AppealState, PeriodState

ASSESSORS = frozenset({Role.ADMINISTRATOR, *OPERATORS})

ACTIONS = {
    "accept": Action(pgettext_lazy("appeal action", "Accept and recompute"), params=("decision",)),
    "reject": Action(pgettext_lazy("appeal action", "Reject"), params=("decision",)),
}

EVENTS = {"submit": pgettext_lazy("appeal event", "Submitted")}


def _assessing_level(appeal, user):
    """Only the scheme's level or above decides; not whoever appealed; not once the period is frozen."""
    period = appeal.score.period
    if period.state == PeriodState.FINALISED:
        return _("The period is finalised: nothing about it changes any more.")
    if user.role != Role.ADMINISTRATOR and not user.is_superuser:
        node = user.scope_node
        if node is None or not period.scheme.region.path.startswith(node.path):
            return _("Only the assessing level decides appeals.")
    if appeal.submitted_by_id == user.pk:
        return _("You cannot decide your own appeal.")
    return None


TRANSITIONS = {
    (AppealState.SUBMITTED, "accept"): Transition(AppealState.ACCEPTED, ASSESSORS, guard=_assessing_level),
    (AppealState.SUBMITTED, "reject"): Transition(AppealState.REJECTED, ASSESSORS, guard=_assessing_level),
}


def _notify(event_id):
    from wangge.insight.assessment import notifications

    notifications.appeal_event(event_id)


FLOW = Workflow(Appeal, TRANSITIONS, ACTIONS, noun=pgettext_lazy("noun", "appeal"), event_model=AppealEvent,
                event_field="appeal", audit_prefix="assessment", related=("score__period__scheme__region",),
                notify=_notify, events=EVENTS)
