"""The case workflow as one table (DESIGN.md §3), on the engine of wangge/core/workflow.py.

`TRANSITIONS[(state, action)]` says where the action leads (None: the state stays), which roles may take
it, and a guard on the case and the actor; `ACTIONS` gives each action its label and the inputs it takes.
The buttons, the API and the tests all read this table; `check()` is the one place an action is refused,
with the reason (state, role, area or guard). The effects are in services.py, beside the other operations.

Area: the actor must see the case (`Case.objects.visible_to`). Operators' triage actions also need the
actor at or above the case's responsible level (`owner_region`), so once a community escalates a case
(逐级上报) it is the street's to register, dispatch or reject.

Escalate (上报上级) moves `owner_region` one level up (grid → community → street → district) and puts the
case back to `reported`, so the level above triages it afresh; it is allowed only before dispatch.
"""
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.areas.models import Level
from wangge.cases import notifications
from wangge.cases.models import Case, CaseEvent, Channel, State
from wangge.core.roles import OPERATORS, Role
from wangge.core.workflow import Action, Transition, Workflow, WorkflowError  # noqa: F401 (re-exported)


def _owns(case, user):
    """Operators act on cases owned at their level or below."""
    owner = case.owner_region or case.grid
    if user.region_id and owner.path.startswith(user.region.path):
        return None
    return _("the case is owned by a higher level")


def _is_assignee(case, user):
    if case.assignee_department_id and case.assignee_department_id == user.department_id:
        return None
    if case.assignee_region_id and case.assignee_region_id == user.region_id:
        return None
    return _("only the assignee may do this")


def _is_reporter(case, user):
    return None if case.reporter_id == user.pk else _("only the reporter may self-resolve")


def _can_escalate(case, user):
    owner = case.owner_region or case.grid
    if owner.level == Level.DISTRICT or owner.parent_id is None:
        return _("already at district level")
    if not user.region_id or not owner.path.startswith(user.region.path):
        return _("the case has been escalated to a higher level")
    return None


def _extension_pending(case, user):
    return None if case.extension_requested_days else _("no extension request pending")


def _no_extension_pending(case, user):
    error = _is_assignee(case, user)
    if error:
        return error
    return _("an extension request is pending") if case.extension_requested_days else None


def _not_rated(case, user):
    return _("already rated") if case.rating else None


OPS = frozenset(OPERATORS)
# Who may be dispatched to: a department handler, or a lower level's operator or grid worker.
ASSIGNEES = frozenset({Role.DEPARTMENT_HANDLER, Role.GRID_WORKER, *OPERATORS})
REPORTERS = frozenset({Role.GRID_WORKER, *OPERATORS})

S = State
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.REPORTED, "register"): Transition(S.REGISTERED, OPS, _owns),
    (S.REPORTED, "reject"): Transition(S.REJECTED, OPS, _owns),
    (S.REPORTED, "self_resolve"): Transition(S.CLOSED, frozenset({Role.GRID_WORKER}), _is_reporter),
    (S.REPORTED, "escalate"): Transition(S.REPORTED, REPORTERS, _can_escalate),
    (S.REPORTED, "merge"): Transition(S.MERGED, OPS, _owns),
    (S.REGISTERED, "dispatch"): Transition(S.DISPATCHED, OPS, _owns),
    (S.REGISTERED, "escalate"): Transition(S.REPORTED, REPORTERS, _can_escalate),
    (S.REGISTERED, "merge"): Transition(S.MERGED, OPS, _owns),
    (S.DISPATCHED, "accept"): Transition(S.ACCEPTED, ASSIGNEES, _is_assignee),
    (S.DISPATCHED, "return"): Transition(S.REGISTERED, ASSIGNEES, _is_assignee),
    (S.DISPATCHED, "supervise"): Transition(None, OPS),
    (S.DISPATCHED, "urge"): Transition(None, OPS),
    (S.ACCEPTED, "return"): Transition(S.REGISTERED, ASSIGNEES, _is_assignee),
    (S.ACCEPTED, "request_extension"): Transition(None, ASSIGNEES, _no_extension_pending),
    (S.ACCEPTED, "approve_extension"): Transition(None, OPS, _extension_pending),
    (S.ACCEPTED, "deny_extension"): Transition(None, OPS, _extension_pending),
    (S.ACCEPTED, "handle"): Transition(S.HANDLED, ASSIGNEES, _is_assignee),
    (S.ACCEPTED, "supervise"): Transition(None, OPS),
    (S.ACCEPTED, "urge"): Transition(None, OPS),
    (S.HANDLED, "verify_close"): Transition(S.CLOSED, OPS, _owns),
    (S.HANDLED, "verify_rework"): Transition(S.DISPATCHED, OPS, _owns),
    (S.CLOSED, "rate"): Transition(None, OPS, _not_rated),
}

ACTION_SPECS = {
    "register": Action(pgettext_lazy("case action", "Register"), ("note",)),
    "reject": Action(pgettext_lazy("case action", "Reject"), ("reason",)),
    "dispatch": Action(pgettext_lazy("case action", "Dispatch"), ("department", "region", "note")),
    "accept": Action(pgettext_lazy("case action", "Accept")),
    "return": Action(pgettext_lazy("case action", "Return"), ("reason",)),
    "request_extension": Action(pgettext_lazy("case action", "Request an extension"), ("days", "reason")),
    "approve_extension": Action(pgettext_lazy("case action", "Approve the extension"), ("note",)),
    "deny_extension": Action(pgettext_lazy("case action", "Deny the extension"), ("reason",)),
    "handle": Action(pgettext_lazy("case action", "Report the handling"), ("feedback",)),
    "verify_close": Action(pgettext_lazy("case action", "Verify and close"), ("note",)),
    "verify_rework": Action(pgettext_lazy("case action", "Verify: rework"), ("reason",)),
    "escalate": Action(pgettext_lazy("case action", "Escalate"), ("reason",)),
    "supervise": Action(pgettext_lazy("case action", "Supervise"), ("note",)),
    "urge": Action(pgettext_lazy("case action", "Urge"), ("note",)),
    "merge": Action(pgettext_lazy("case action", "Merge into the original"), ("into",)),
    "rate": Action(pgettext_lazy("case action", "Follow-up rating"), ("rating", "note")),
    "self_resolve": Action(pgettext_lazy("case action", "Resolve on the spot"), ("resolution",)),
}
# Timeline rows that are not actions of the table.
EVENTS = {
    "report": pgettext_lazy("case action", "Report"),
    "add_photos": pgettext_lazy("case action", "Add photos"),
    "flag_unsigned": pgettext_lazy("case action", "Not accepted in time (system)"),
    "flag_overdue": pgettext_lazy("case action", "Overdue (system)"),
    # Not a row of its own: the case page's one-step register-and-dispatch (services.do_register_and_dispatch),
    # which writes a register row and a dispatch row; named here so its form and its refusals have a label.
    "register_dispatch": pgettext_lazy("case action", "Register and dispatch"),
}
# The parameters of that one-step form: where to dispatch, and the instructions that go with the case.
REGISTER_DISPATCH_PARAMS = ("department", "region", "note")
# The usual next action first on the case page (the rest in the table's order).
USUAL_FIRST = ("handle", "accept", "register_dispatch", "verify_close", "dispatch", "rate", "approve_extension")


def _actor_name(actor, case, action) -> str:
    return getattr(actor, "username", "") or ("citizen" if case.channel == Channel.CITIZEN else "system")


FLOW = Workflow(Case, TRANSITIONS, ACTION_SPECS, noun=pgettext_lazy("noun", "case"), event_model=CaseEvent,
                event_field="case", audit_prefix="cases", events=EVENTS, actor_name=_actor_name,
                related=("category", "grid", "owner_region", "assignee_department", "assignee_region"),
                notify=notifications.case_event, notifies=notifications.may_notify)
ACTIONS = FLOW.names
check = FLOW.check
allowed_actions = FLOW.allowed_actions
