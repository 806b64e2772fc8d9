"""The workflow engine itself (wangge/core/workflow.py): a tiny table of its own walked end to end, every kind
of refusal with nothing changed, and the one refusal mapping — the API and the pages answer the same status
for the same refusal (wangge/core/refusals.py)."""
import ast
import json
from pathlib import Path

import pytest
from django.test import Client

from wangge.cases.models import Case, CaseEvent, Priority, State
from wangge.cases.testing import report
from wangge.core import pollers
from wangge.core.models import AuditEntry
from wangge.core.refusals import STATUS_BY_REASON, refusal_status
from wangge.core.roles import Role
from wangge.core.services import NotInArea, OperationError
from wangge.core.workflow import Action, ConflictError, Transition, Workflow, WorkflowError, no_effect

pytestmark = pytest.mark.django_db

OPS = frozenset({Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR})


def _normal_only(case, user):
    return None if case.priority == Priority.NORMAL else "only normal cases are poked"


# A tiny table over the case rows and their timeline: reported --open--> registered --close--> closed, and
# "poke" that moves nothing, allowed by a guard.
TRANSITIONS = {
    (State.REPORTED, "open"): Transition(State.REGISTERED, OPS),
    (State.REGISTERED, "poke"): Transition(None, OPS, _normal_only),
    (State.REGISTERED, "close"): Transition(State.CLOSED, OPS),
}
ACTIONS = {"open": Action("Open", ("note",)), "poke": Action("Poke"), "close": Action("Close", ("reason",))}


def tiny_flow(told: list) -> Workflow:
    flow = Workflow(Case, TRANSITIONS, ACTIONS, noun="thing", event_model=CaseEvent, event_field="case",
                    audit_prefix="tiny", events={"flag": "Flagged"}, notify=told.append,
                    notifies=lambda action, case: action != "poke")

    @flow.effect("open")
    def _open(actor, case, params, now):
        case.registered_at = now
        return str(params.get("note") or ""), {"opened": True}

    @flow.effect("close")
    def _close(actor, case, params, now):
        reason = str(params.get("reason") or "").strip()
        if not reason:
            raise OperationError("give a reason", field="reason")
        case.closed_at = now
        return reason, {}

    flow.effect("poke")(no_effect)
    flow.assert_complete()
    return flow


def _state(case):
    fresh = Case.objects.get(pk=case.pk)
    return fresh.state, fresh.version, CaseEvent.objects.filter(case=case).count(), AuditEntry.objects.count()


def test_a_tiny_table_walked_end_to_end(world, django_capture_on_commit_callbacks):
    told = []
    flow = tiny_flow(told)
    op = world.users[Role.DISTRICT_OPERATOR]
    case = report(world)
    assert flow.allowed_actions(case, op) == ["open"]
    assert flow.allowed_actions(case, world.users[Role.GRID_WORKER]) == []
    with django_capture_on_commit_callbacks(execute=True):
        case = flow.act(op, case, "open", case.version, note="looks right")
        assert told == []  # told after the commit, never inside it
    assert (case.state, case.version) == (State.REGISTERED, 2) and case.registered_at is not None
    assert sorted(flow.allowed_actions(case, op)) == ["close", "poke"]
    with django_capture_on_commit_callbacks(execute=True):
        case = flow.act(op, case, "poke", case.version)
    assert (case.state, case.version) == (State.REGISTERED, 3)
    with django_capture_on_commit_callbacks(execute=True):
        case = flow.act(op, case, "close", case.version, reason="done")
    assert (case.state, case.version) == (State.CLOSED, 4) and case.closed_at is not None
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in events[1:]] == [
        ("open", State.REPORTED, State.REGISTERED, op.pk), ("poke", State.REGISTERED, State.REGISTERED, op.pk),
        ("close", State.REGISTERED, State.CLOSED, op.pk)]
    assert events[1].note == "looks right" and events[1].details == {"opened": True}
    assert list(AuditEntry.objects.filter(operation__startswith="tiny.").order_by("id")
                .values_list("operation", flat=True)) == ["tiny.open", "tiny.poke", "tiny.close"]
    # poke tells no one; open and close were told after their commits, by event id
    assert told == [events[1].pk, events[3].pk]
    assert flow.label("open") == "Open" and flow.label("flag") == "Flagged" and flow.label("nope") == "nope"
    assert flow.params("close") == ("reason",)


def test_record_writes_a_timeline_and_audit_row_that_keeps_the_state(world):
    flow = tiny_flow([])
    case = report(world)
    event = flow.record(None, case, "flag", note="late", details={"by": "clock"}, actor_name="system")
    assert (event.from_state, event.to_state, event.actor_id, event.actor_name) == (State.REPORTED, State.REPORTED,
                                                                                    None, "system")
    assert AuditEntry.objects.filter(operation="tiny.flag", object_id=str(case.pk)).exists()
    assert Case.objects.get(pk=case.pk).version == case.version  # recording is not an edit


def test_every_refusal_changes_nothing(world):
    flow = tiny_flow([])
    op = world.users[Role.DISTRICT_OPERATOR]
    case = report(world)
    before = _state(case)
    refusals = [
        (op, "explode", case.version, "action"),
        (op, "close", case.version, "state"),
        (world.users[Role.GRID_WORKER], "open", case.version, "role"),
        (world.outsiders[Role.STREET_OPERATOR], "open", case.version, "area"),
    ]
    for user, action, version, reason in refusals:
        with pytest.raises(WorkflowError) as refused:
            flow.act(user, case, action, version)
        assert refused.value.reason == reason, action
        assert _state(case) == before, action
    with pytest.raises(ConflictError) as stale:
        flow.act(op, case, "open", case.version + 5)
    assert stale.value.field == "version" and _state(case) == before
    case = flow.act(op, case, "open", case.version)
    before = _state(case)
    with pytest.raises(OperationError) as bad:  # the effect refuses: the version claim is rolled back too
        flow.act(op, case, "close", case.version, reason="  ")
    assert bad.value.field == "reason" and _state(case) == before
    Case.objects.filter(pk=case.pk).update(priority=Priority.URGENT)
    with pytest.raises(WorkflowError) as guarded:
        flow.act(op, case, "poke", case.version)
    assert guarded.value.reason == "guard" and str(guarded.value) == "only normal cases are poked"
    assert _state(case) == before


def test_a_table_needs_a_label_and_an_effect_for_every_action():
    with pytest.raises(AssertionError):
        Workflow(Case, TRANSITIONS, {"open": ACTIONS["open"]}, noun="thing")
    flow = Workflow(Case, TRANSITIONS, ACTIONS, noun="thing")
    flow.effect("open")(no_effect)
    with pytest.raises(AssertionError):
        flow.assert_complete()
    with pytest.raises(AssertionError):
        flow.effect("explode")


def test_one_mapping_from_refusal_to_status():
    assert refusal_status(WorkflowError("x", "area")) == 404
    assert refusal_status(NotInArea("x", field="case")) == 404
    assert refusal_status(WorkflowError("x", "role")) == 403
    assert refusal_status(OperationError("not allowed")) == 403
    for reason in ("state", "guard", "action"):
        assert refusal_status(WorkflowError("x", reason)) == 409
    assert refusal_status(ConflictError("case")) == 409
    assert refusal_status(OperationError("bad", field="title")) == 422
    assert set(STATUS_BY_REASON) == {"area", "role", "state", "guard", "action", "version"}


# --- the same refusal, the same status, on a page and in the API ---------------------------------------

def _api(client, case, action, version, **body):
    return client.post(f"/api/v1/cases/{case.pk}/actions/{action}", json.dumps({"version": version, **body}),
                       content_type="application/json")


def _page(client, case, action, version, **body):
    return client.post(f"/cases/{case.pk}/act/{action}/", {"version": version, **body})


@pytest.mark.parametrize("refusal", ["version", "state", "role", "area", "input"])
def test_pages_and_the_api_answer_the_same_status(world, refusal):
    case = report(world)
    op = world.users[Role.DISTRICT_OPERATOR]
    user, action, version, body, status = {
        "version": (op, "register", case.version + 5, {}, 409),
        "state": (op, "accept", case.version, {}, 409),
        "role": (world.users[Role.GRID_WORKER], "register", case.version, {}, 403),
        "area": (world.outsiders[Role.STREET_OPERATOR], "register", case.version, {}, 404),
        "input": (op, "reject", case.version, {"reason": ""}, 422),
    }[refusal]
    client = Client()
    client.force_login(user)
    before = _state(case)
    api = _api(client, case, action, version, **body)
    page = _page(client, case, action, version, **body)
    assert (api.status_code, page.status_code) == (status, status), refusal
    if status == 409:
        assert api.json()["code"] == refusal
    if refusal == "version":
        assert "已被他人修改，请刷新后重试" in api.json()["detail"]
        assert "已被他人修改，请刷新后重试" in page.content.decode()
    assert _state(case) == before


def test_a_dispute_stale_version_is_409_in_the_api_and_on_the_page(world):
    from wangge.mediation.testing import register

    dispute = register(world)
    client = Client()
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    api = client.post(f"/api/v1/disputes/{dispute.pk}/actions/withdraw",
                      json.dumps({"version": dispute.version + 5, "reason": "x"}), content_type="application/json")
    page = client.post(f"/mediation/{dispute.pk}/act/withdraw/", {"version": dispute.version + 5, "reason": "x"})
    assert (api.status_code, page.status_code) == (409, 409)
    assert api.json()["code"] == "version" and "已被他人修改" in page.content.decode()


# --- the worker's pollers: registered by the apps, and core imports no app -----------------------------

def test_the_apps_register_their_pollers_with_the_worker():
    names = pollers.registered()
    assert {"cases", "mediation", "pending_uploads"} <= set(names)
    assert names.index("cases") < names.index("mediation")


def test_core_imports_no_app():
    core = Path(__file__).resolve().parents[1]
    offenders = []
    for path in core.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.name}: {name}" for name in names
                          if name.startswith(("wangge.cases", "wangge.mediation", "wangge.registry",
                                              "wangge.portal", "wangge.demo"))]
    assert offenders == []
