"""The mediation workflow as one table, like cases (DESIGN.md §3), on the engine of wangge/core/workflow.py.

`TRANSITIONS[(state, action)]` says where the action leads (None: the state stays), which roles may take it
and a guard on the dispute and the actor; `ACTION_SPECS` gives each action its label and inputs. Pages, the API
and the tests read this table; `check()` is the one place an action is refused, with the reason ("state",
"role", "area" or "guard"). The effects are in services.py.

  registered ──accept──▶ accepted ──schedule_session──▶ mediating ──agree──▶ agreed
       │  ▲                  │                              │        └─fail──▶ failed
       │  └──escalate / transfer (to the next level / another committee)─┘
       └──route (多调办 sends a referral or an unrouted dispute to a committee)
  withdraw from any open state; after agreement: judicial confirmation (apply → confirm / refuse), follow-up
  visits (履行回访) and the parties' ratings; petition matters get a monthly progress entry while open.

Area: the actor must see the dispute (`Dispute.objects.visible_to`). Operators act on disputes whose committee
(else region) is at their level or below, so an escalated dispute is the level above's. A mediator acts on
disputes assigned to them or to a committee they serve (visible_to already limits them to those).
"""
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.core.roles import OPERATORS, Role
from wangge.core.workflow import Action, Transition, Workflow, WorkflowError  # noqa: F401 (re-exported)
from wangge.mediation import notifications
from wangge.mediation.models import NEXT_LEVEL, Confirmation, Dispute, DisputeEvent, Source, State

# 法院: a department whose code is one of these is a court: it refers cases and records judicial confirmation.
COURT_CODES = frozenset({"FY"})


def is_court_handler(user) -> bool:
    department = getattr(user, "department", None) if getattr(user, "department_id", None) else None
    return user.role == Role.DEPARTMENT_HANDLER and department is not None and department.code in COURT_CODES


def owner_path(dispute) -> str:
    """The region whose operators own the dispute now: its committee's, else its own."""
    return (dispute.committee.region if dispute.committee_id else dispute.region).path


def _owns(dispute, user):
    if user.role not in OPERATORS:
        return None  # mediators are limited by visible_to; other roles by the table
    if user.region_id and owner_path(dispute).startswith(user.region.path):
        return None
    return _("the dispute is owned by a higher level")


def _has_committee(dispute, user):
    if not dispute.committee_id:
        return _("route the dispute to a committee first")
    return _owns(dispute, user)


def _can_escalate(dispute, user):
    if dispute.level not in NEXT_LEVEL:
        return _("no level above")
    return _owns(dispute, user)


def _confirmation_pending(dispute, user):
    agreement = getattr(dispute, "agreement", None)
    if agreement is None or agreement.confirmation != Confirmation.APPLIED:
        return _("no judicial confirmation applied for")
    if user.role == Role.DEPARTMENT_HANDLER and not is_court_handler(user):
        return _("only a court records this")
    return None


def _may_apply_confirmation(dispute, user):
    agreement = getattr(dispute, "agreement", None)
    if agreement is None:
        return _("no agreement")
    if agreement.confirmation in (Confirmation.APPLIED, Confirmation.CONFIRMED):
        return _("already applied for")
    return _owns(dispute, user)


def _is_petition(dispute, user):
    return None if dispute.is_petition else _("not a petition matter")


OPS = frozenset(OPERATORS)
MEDIATORS = frozenset({Role.MEDIATOR, *OPERATORS})
RECORDERS = frozenset({Role.MEDIATOR, Role.GRID_WORKER, *OPERATORS})
COURT_OR_STAFF = frozenset({Role.DEPARTMENT_HANDLER, Role.MEDIATOR, *OPERATORS})

S = State
OPEN = (S.REGISTERED, S.ACCEPTED, S.MEDIATING)
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.REGISTERED, "route"): Transition(S.REGISTERED, OPS, _owns),
    (S.REGISTERED, "accept"): Transition(S.ACCEPTED, MEDIATORS, _has_committee),
    **{(state, "transfer"): Transition(S.REGISTERED, OPS, _has_committee) for state in OPEN},
    **{(state, "escalate"): Transition(S.REGISTERED, MEDIATORS, _can_escalate) for state in OPEN},
    **{(state, "withdraw"): Transition(S.WITHDRAWN, MEDIATORS, _owns) for state in OPEN},
    **{(state, "record_progress"): Transition(None, RECORDERS, _is_petition) for state in OPEN},
    (S.ACCEPTED, "assign_mediator"): Transition(None, MEDIATORS, _owns),
    (S.MEDIATING, "assign_mediator"): Transition(None, MEDIATORS, _owns),
    (S.ACCEPTED, "schedule_session"): Transition(S.MEDIATING, MEDIATORS, _owns),
    (S.MEDIATING, "schedule_session"): Transition(None, MEDIATORS, _owns),
    (S.MEDIATING, "record_session"): Transition(None, MEDIATORS, _owns),
    (S.MEDIATING, "agree"): Transition(S.AGREED, MEDIATORS, _owns),
    (S.MEDIATING, "fail"): Transition(S.FAILED, MEDIATORS, _owns),
    (S.AGREED, "apply_confirmation"): Transition(None, MEDIATORS, _may_apply_confirmation),
    (S.AGREED, "confirm"): Transition(None, COURT_OR_STAFF, _confirmation_pending),
    (S.AGREED, "refuse_confirmation"): Transition(None, COURT_OR_STAFF, _confirmation_pending),
    (S.AGREED, "follow_up"): Transition(None, RECORDERS, None),
    (S.AGREED, "rate"): Transition(None, MEDIATORS, None),
    (S.FAILED, "rate"): Transition(None, MEDIATORS, None),
}

ACTION_SPECS = {
    "route": Action(pgettext_lazy("dispute action", "Route"), ("committee", "note")),
    "transfer": Action(pgettext_lazy("dispute action", "Transfer"), ("committee", "reason")),
    "escalate": Action(pgettext_lazy("dispute action", "Escalate"), ("reason",)),
    "accept": Action(pgettext_lazy("dispute action", "Accept"), ("note",)),
    "assign_mediator": Action(pgettext_lazy("dispute action", "Assign a mediator"),
                              ("mediator", "chosen_by_parties")),
    "schedule_session": Action(pgettext_lazy("dispute action", "Schedule a session"),
                               ("starts_at", "place", "online_room", "participants")),
    "record_session": Action(pgettext_lazy("dispute action", "Record a session"), ("session", "record")),
    "agree": Action(pgettext_lazy("dispute action", "Reach an agreement"), ("terms", "amount", "perform_by")),
    "fail": Action(pgettext_lazy("dispute action", "Mediation failed"), ("reason",)),
    "withdraw": Action(pgettext_lazy("dispute action", "Withdraw"), ("reason",)),
    "apply_confirmation": Action(pgettext_lazy("dispute action", "Apply for judicial confirmation"), ("court",)),
    "confirm": Action(pgettext_lazy("dispute action", "Judicial confirmation"), ("note",)),
    "refuse_confirmation": Action(pgettext_lazy("dispute action", "Confirmation refused"), ("note",)),
    "follow_up": Action(pgettext_lazy("dispute action", "Follow-up visit"), ("performance", "note")),
    "rate": Action(pgettext_lazy("dispute action", "Parties' rating"), ("party", "rating")),
    "record_progress": Action(pgettext_lazy("dispute action", "Petition progress"), ("text",)),
}
# Timeline rows that are not actions of the table.
EVENTS = {
    "register": pgettext_lazy("dispute action", "Register"),
    "flag_overdue": pgettext_lazy("dispute action", "Overdue at its level (system)"),
}


def _actor_name(actor, dispute, action) -> str:
    # Without an actor: the citizen's own report, or the system (the poller's flags and reminders).
    return (getattr(actor, "username", "")
            or ("citizen" if action == "register" and dispute.source == Source.CITIZEN else "system"))


FLOW = Workflow(Dispute, TRANSITIONS, ACTION_SPECS, noun=pgettext_lazy("noun", "dispute"), event_model=DisputeEvent,
                event_field="dispute", audit_prefix="mediation", events=EVENTS, actor_name=_actor_name,
                related=("committee__region", "region", "mediator"), notify=notifications.dispute_event,
                notifies=lambda action, dispute: notifications.may_notify(action))
ACTIONS = FLOW.names
check = FLOW.check
allowed_actions = FLOW.allowed_actions
