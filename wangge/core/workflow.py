"""The workflow engine (DESIGN.md §2–3): a workflow is a table, and one `act()` takes every action on it.

Cases and disputes run on it; the alerts, tips and appeals to come are tables on the same engine.

How `Workflow.act(actor, record, action, expected_version, **params)` goes, in ONE transaction:

  1. area: the record must be in `model.objects.visible_to(actor)` (else WorkflowError "area", a 404 — before
     the version can tell anything about a record the actor may not know);
  2. version claim: `UPDATE … SET version = version + 1 WHERE pk = … AND version = expected_version`; nothing
     updated means someone acted first (ConflictError, a 409) — never a lost update, on SQLite and PostgreSQL;
  3. `check()`: the table's transition for (state, action), the actor's role and the transition's guard
     (WorkflowError "action", "state", "role" or "guard");
  4. the action's effect: `effect(actor, record, params, now) -> (note, details)` changes the fresh row (and
     may write rows of its own), or raises OperationError naming the input at fault;
  5. the new state (unless the transition keeps it), the row saved;
  6. `record()`: the timeline row and the audit row; the workflow's `notify(event)` runs after the commit
     (`transaction.on_commit`), so nobody hears of a change that was rolled back.

Any refusal rolls the whole transaction back: nothing changes. `wangge/core/refusals.py` turns the refusals into
HTTP statuses, once for the API and once for pages.

Adding a table (an app's workflow.py, read by its pages and API):

    ACTIONS = {
        "acknowledge": Action(pgettext_lazy("alert action", "Acknowledge")),
        "close": Action(pgettext_lazy("alert action", "Close"), params=("resolution",)),
    }
    TRANSITIONS = {
        ("raised", "acknowledge"): Transition("acknowledged", OPS),
        ("acknowledged", "close"): Transition("closed", OPS, guard=_is_handler),
    }
    FLOW = Workflow(Alert, TRANSITIONS, ACTIONS, noun=pgettext_lazy("noun", "alert"), event_model=AlertEvent,
                    event_field="alert", audit_prefix="alerts", notify=notifications.alert_event)

and the effects beside the app's other operations (its services.py), which wraps `FLOW.act` as its `do_act`:

    @FLOW.effect("close")
    def _close(actor, alert, params, now):
        alert.resolution, alert.closed_at = required_text(params, "resolution"), now
        return alert.resolution, {}

    FLOW.assert_complete()  # every action of the table has its effect

The model needs `state` and `version` columns and `objects.visible_to(user)`; the event model needs the fields
`at, actor, actor_name, action, from_state, to_state, note, details` and a foreign key named `event_field`.
Pollers that record something that moves no state call `FLOW.record(None, row, "flag_overdue", note=…)`.
A test walks the table (wangge/core/tests/test_workflow_engine.py shows a tiny one end to end).
"""
from dataclasses import dataclass, field
from typing import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.services import OperationError


class WorkflowError(OperationError):
    """The action is not allowed: `reason` is "action", "state", "role", "area" or "guard"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, field="action")
        self.reason = reason


class ConflictError(OperationError):
    """Someone else changed the record first (optimistic concurrency): reload and try again."""

    reason = "version"

    def __init__(self, noun=""):
        super().__init__(_("The %(noun)s was changed by someone else; reload and try again.") % {"noun": noun},
                         field="version")


def action_done_message(number: str, label) -> str:
    """What a page says after an action: "WG20240930000001: Register done"."""
    return _("%(number)s: %(action)s done") % {"number": number, "action": label}


def no_effect(actor, record, params, now) -> tuple[str, dict]:
    """An action that only moves the state (and is recorded)."""
    return "", {}


@dataclass(frozen=True)
class Action:
    """An action, whatever the state it is taken in; its effect is registered with `Workflow.effect`."""

    label: str  # a gettext_lazy label: buttons, the timeline, success messages
    params: tuple = ()  # the inputs it takes: a page's form fields, the API body's names


@dataclass(frozen=True)
class Transition:
    to_state: str | None  # None: the action is recorded but the state does not move
    roles: frozenset
    guard: Callable | None = None  # guard(record, user) -> an error message, or None when allowed


def _default_actor_name(actor, record, action) -> str:
    return getattr(actor, "username", "") or "system"


@dataclass
class Workflow:
    model: type
    transitions: dict  # {(state, action): Transition}
    actions: dict  # {action: Action}
    noun: str  # "case", "dispute" (lazy): how refusals name the record
    event_model: type | None = None  # the timeline's rows
    event_field: str = ""  # the event's foreign key to the record
    audit_prefix: str = ""  # audit operations are "<prefix>.<action>"
    related: tuple = ()  # select_related for the row the effects work on
    notify: Callable | None = None  # notify(event_id), run after the commit
    notifies: Callable = lambda action, record: True  # whether an event of `action` on `record` tells anyone
    actor_name: Callable = _default_actor_name  # actor_name(actor, record, action) for rows without a user
    events: dict = field(default_factory=dict)  # labels of timeline rows that are not actions (report, flags…)
    effects: dict = field(default_factory=dict)  # {action: effect(actor, record, params, now) -> (note, details)}
    names: list = field(init=False)

    def __post_init__(self):
        self.names = sorted({action for _state, action in self.transitions})
        missing = set(self.names) - set(self.actions)
        assert not missing, f"actions of the table without a label: {sorted(missing)}"

    def effect(self, *actions: str):
        """Decorator: `@FLOW.effect("close")` registers what the action does (one function may serve several)."""
        unknown = [action for action in actions if action not in self.actions]
        assert not unknown, f"not actions of the table: {unknown}"

        def register(function):
            for action in actions:
                self.effects[action] = function
            return function
        return register

    def assert_complete(self):
        missing = set(self.names) - set(self.effects)
        assert not missing, f"actions of the table without an effect: {sorted(missing)}"

    # --- reading the table -------------------------------------------------------------------------

    def label(self, action: str) -> str:
        """The action's (or timeline event's) label; the code itself for anything unknown."""
        found = self.actions.get(action)
        return found.label if found else self.events.get(action, action)

    def params(self, action: str) -> tuple:
        return self.actions[action].params

    def visible(self, record, user) -> bool:
        return self.model.objects.visible_to(user).filter(pk=record.pk).exists()

    def check(self, record, user, action: str) -> Transition:
        """The transition for `action` on `record` by `user`, or WorkflowError saying why not."""
        if action not in self.names:
            raise WorkflowError(_("Unknown action: %(action)s") % {"action": action}, "action")
        if not self.visible(record, user):
            raise WorkflowError(_("The %(noun)s is outside your area.") % {"noun": self.noun}, "area")
        transition = self.transitions.get((record.state, action))
        if transition is None:
            raise WorkflowError(_("This action (%(action)s) is not allowed in the current state.")
                                % {"action": self.label(action)}, "state")
        if not getattr(user, "is_active", False) or user.role not in transition.roles:
            raise WorkflowError(_("Your role may not take this action (%(action)s).")
                                % {"action": self.label(action)}, "role")
        if transition.guard is not None:
            message = transition.guard(record, user)
            if message:
                raise WorkflowError(message, "guard")
        return transition

    def allowed_actions(self, record, user) -> list[str]:
        """The actions `user` may take on `record` now: the buttons and the API's `allowed_actions`."""
        if not self.visible(record, user):
            return []
        allowed = []
        for (state, action), transition in self.transitions.items():
            if state != record.state or user.role not in transition.roles:
                continue
            if transition.guard is None or transition.guard(record, user) is None:
                allowed.append(action)
        return allowed

    # --- writing -----------------------------------------------------------------------------------

    def act(self, actor, record, action: str, expected_version: int, /, *, now=None, **params):
        """Take `action` on `record` as of `expected_version` (see the module docstring). Returns the new row.

        The first four are positional-only: an action's inputs may be called "record" (record_session's is)."""
        now = now or timezone.now()
        with transaction.atomic():
            if not self.visible(record, actor):
                raise WorkflowError(_("The %(noun)s is outside your area.") % {"noun": self.noun}, "area")
            claimed = self.model.objects.filter(pk=record.pk, version=expected_version).update(
                version=F("version") + 1)
            if not claimed:
                raise ConflictError(self.noun)
            fresh = self.model.objects.select_related(*self.related).get(pk=record.pk)
            transition = self.check(fresh, actor, action)
            from_state = fresh.state
            note, details = self.effects[action](actor, fresh, params, now)
            if transition.to_state is not None:
                fresh.state = transition.to_state
            fresh.save()
            self.record(actor, fresh, action, from_state=from_state, note=note, details=details, now=now)
        return fresh

    def record(self, actor, record, action: str, /, *, from_state=None, to_state=None, note="", details=None,
               now=None, actor_name=None):
        """A timeline row and an audit row, in the caller's transaction; the notification after its commit.

        For what moves no state (a poller's flag, photos added, a citizen's rating) the states default to the
        record's own. Returns the event row."""
        now = now or timezone.now()
        details = details or {}
        from_state = record.state if from_state is None else from_state
        to_state = record.state if to_state is None else to_state
        user = actor if getattr(actor, "pk", None) else None
        event = self.event_model.objects.create(
            **{self.event_field: record}, at=now, actor=user,
            actor_name=actor_name or self.actor_name(actor, record, action), action=action, from_state=from_state,
            to_state=to_state, note=note, details=details)
        audit.record(actor, f"{self.audit_prefix}.{action}", record, from_state=from_state, to_state=to_state,
                     note=note, **details)
        if self.notify is not None and self.notifies(action, record):
            # Who hears about it is decided after the commit, never inside it.
            # robust: a notification that fails (a gateway down) is logged, and never undoes or breaks what
            # committed (an ingestion batch, a citizen's report).
            transaction.on_commit(lambda: self.notify(event.pk), robust=True)
        return event
