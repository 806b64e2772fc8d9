"""A workflow as one table (DESIGN.md §3), shared by cases and disputes.

Each app writes its table, `{(state, action): Transition(to_state, roles, guard)}`, and wraps it in a
`Workflow` with its model: `check()` is the one place an action is refused, with the reason ("action", "state",
"role", "area" or "guard") that pages and the API turn into 400/409/403/404, and `allowed_actions()` is what
the buttons and the API offer. The area rule is the model's `visible_to`, the one scoping path.
"""
from dataclasses import dataclass
from typing import Callable

from wangge.core.services import OperationError


class WorkflowError(OperationError):
    """The action is not allowed: `reason` is "action", "state", "role", "area" or "guard"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, field="action")
        self.reason = reason


@dataclass(frozen=True)
class Transition:
    to_state: str | None  # None: the action is recorded but the state does not move
    roles: frozenset
    guard: Callable | None = None  # guard(record, user) -> an error message, or None when allowed


class Workflow:
    def __init__(self, model, transitions: dict, noun: str):
        self.model = model
        self.transitions = transitions
        self.noun = noun  # "事件", "纠纷": how refusals name the record
        self.actions = sorted({action for _, action in transitions})

    def visible(self, record, user) -> bool:
        return self.model.objects.visible_to(user).filter(pk=record.pk).exists()

    def check(self, record, user, action: str) -> Transition:
        """The transition for `action` on `record` by `user`, or WorkflowError saying why not."""
        if action not in self.actions:
            raise WorkflowError(f"未知操作 / unknown action {action!r}", "action")
        if not self.visible(record, user):
            raise WorkflowError(f"{self.noun}不在辖区内 / outside your area", "area")
        transition = self.transitions.get((record.state, action))
        if transition is None:
            raise WorkflowError(f"当前状态不允许此操作 / {action!r} is not allowed in state {record.state!r}",
                                "state")
        if not getattr(user, "is_active", False) or user.role not in transition.roles:
            raise WorkflowError(f"当前角色不能执行此操作 / role {user.role!r} may not {action!r}", "role")
        if transition.guard is not None:
            message = transition.guard(record, user)
            if message:
                raise WorkflowError(message, "guard")
        return transition

    def allowed_actions(self, record, user) -> list[str]:
        """The actions `user` may take on `record` now."""
        if not self.visible(record, user):
            return []
        allowed = []
        for (state, action), transition in self.transitions.items():
            if state != record.state or user.role not in transition.roles:
                continue
            if transition.guard is None or transition.guard(record, user) is None:
                allowed.append(action)
        return allowed
