"""The workflow table walked whole: every (state, action) pair for every role, allowed and refused."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import services, workflow
from wangge.cases.models import Case, CaseEvent, State
from wangge.cases.testing import PARAMS, act, case_in, category, report
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.workflow import ConflictError

pytestmark = pytest.mark.django_db

OPS = {Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR}
GRID, DEPT = Role.GRID_WORKER, Role.DEPARTMENT_HANDLER

# What the table must allow, for world.users (all bound where the case in grid 0 is theirs; the case is
# reported by the grid worker and dispatched to department CG). Written out by hand, not read from the table.
EXPECTED = {
    "reported": {"register": OPS, "reject": OPS, "self_resolve": {GRID}, "escalate": OPS | {GRID}, "merge": OPS},
    "registered": {"dispatch": OPS, "escalate": OPS | {GRID}, "merge": OPS},
    "rejected": {},
    "dispatched": {"accept": {DEPT}, "return": {DEPT}, "supervise": OPS, "urge": OPS},
    "accepted": {"return": {DEPT}, "request_extension": {DEPT}, "handle": {DEPT}, "supervise": OPS, "urge": OPS},
    "accepted_pending": {"return": {DEPT}, "handle": {DEPT}, "supervise": OPS, "urge": OPS,
                         "approve_extension": OPS, "deny_extension": OPS},
    "handled": {"verify_close": OPS, "verify_rework": OPS},
    "closed": {"rate": OPS},
    "merged": {},
}

RESULT = {"register": "registered", "reject": "rejected", "self_resolve": "closed", "escalate": "reported",
          "merge": "merged", "dispatch": "dispatched", "accept": "accepted", "return": "registered",
          "handle": "handled", "verify_close": "closed", "verify_rework": "dispatched"}

@pytest.mark.parametrize("variant", list(EXPECTED))
def test_every_action_for_every_role(world, variant):
    for action in workflow.ACTIONS:
        for role, user in world.users.items():
            case = case_in(world, variant)
            params = dict(PARAMS.get(action, {}))
            if action == "merge":
                params["into"] = report(world)
            before_events = CaseEvent.objects.filter(case=case).count()
            allowed = role in EXPECTED[variant].get(action, set())
            assert (action in workflow.allowed_actions(case, user)) == allowed, (variant, action, role)
            if allowed:
                done = act(user, case, action, **params)
                assert done.state == RESULT.get(action, case.state), (variant, action, role)
                assert done.version == case.version + 1
                event = CaseEvent.objects.filter(case=case).order_by("-id").first()
                assert (event.action, event.from_state, event.to_state) == (action, case.state, done.state)
                assert AuditEntry.objects.filter(operation=f"cases.{action}", object_id=str(case.pk)).exists()
            else:
                with pytest.raises(workflow.WorkflowError):
                    act(user, case, action, **params)
                after = Case.objects.get(pk=case.pk)
                assert (after.state, after.version) == (case.state, case.version), (variant, action, role)
                assert CaseEvent.objects.filter(case=case).count() == before_events


def test_every_table_row_is_walked():
    walked = {(variant.replace("_pending", ""), action) for variant, actions in EXPECTED.items()
              for action in actions}
    assert walked == set(workflow.TRANSITIONS)


def test_refusals_name_the_reason(world):
    case = report(world)
    with pytest.raises(workflow.WorkflowError) as exc:
        act(world.outsiders[Role.STREET_OPERATOR], case, "register")
    assert exc.value.reason == "area"
    with pytest.raises(workflow.WorkflowError) as exc:
        act(world.users[Role.MEDIATOR], case, "register")
    assert exc.value.reason == "role"
    with pytest.raises(workflow.WorkflowError) as exc:
        act(world.users[Role.DISTRICT_OPERATOR], case, "verify_close")
    assert exc.value.reason == "state"
    assert Case.objects.get(pk=case.pk).state == State.REPORTED


def test_stale_version_is_a_conflict_and_changes_nothing(world):
    case = report(world)
    op = world.users[Role.DISTRICT_OPERATOR]
    services.do_act(op, case, "register", expected_version=case.version)
    events = CaseEvent.objects.count()
    with pytest.raises(ConflictError):
        services.do_act(op, case, "reject", expected_version=case.version, reason="重复")
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (State.REGISTERED, case.version + 1)
    assert CaseEvent.objects.count() == events


def test_a_bad_parameter_changes_nothing(world):
    case = report(world)
    with pytest.raises(services.OperationError) as exc:
        act(world.users[Role.DISTRICT_OPERATOR], case, "reject", reason="  ")
    assert exc.value.field == "reason"
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (State.REPORTED, case.version)


def test_department_handler_sees_only_what_is_dispatched_to_them(world):
    handler = world.users[DEPT]
    waiting, dispatched = report(world), case_in(world, "dispatched")
    visible = set(Case.objects.visible_to(handler).values_list("pk", flat=True))
    assert visible == {dispatched.pk}
    assert waiting.pk not in visible
    assert set(Case.objects.visible_to(world.outsiders[Role.STREET_OPERATOR])) == set()
    assert set(Case.objects.visible_to(world.users[GRID]).values_list("pk", flat=True)) == {waiting.pk, dispatched.pk}


def test_dispatch_to_a_lower_level_and_the_grid_worker_accepts(world):
    op, gridder = world.users[Role.STREET_OPERATOR], world.users[GRID]
    case = act(op, report(world), "register")
    with pytest.raises(services.OperationError):
        act(op, case, "dispatch", region=world.grids[4])  # another street's grid
    case = act(op, case, "dispatch", region=world.grids[0])
    assert case.assignee_region == world.grids[0] and case.assignee_department is None
    assert workflow.allowed_actions(case, gridder) == ["accept", "return"]
    assert act(gridder, case, "accept").state == State.ACCEPTED


def test_escalate_moves_the_case_up_level_by_level(world):
    case = report(world)
    case = act(world.users[GRID], case, "escalate", reason="需社区协调")
    assert case.owner_region == world.communities[0] and case.state == State.REPORTED
    assert "register" not in workflow.allowed_actions(case, world.users[GRID])
    case = act(world.users[Role.COMMUNITY_OPERATOR], case, "escalate")
    case = act(world.users[Role.STREET_OPERATOR], case, "escalate")
    assert case.owner_region == world.district
    with pytest.raises(workflow.WorkflowError):
        act(world.users[Role.COMMUNITY_OPERATOR], case, "register")  # the district's now
    with pytest.raises(workflow.WorkflowError):
        act(world.users[Role.DISTRICT_OPERATOR], case, "escalate")
    assert act(world.users[Role.DISTRICT_OPERATOR], case, "register").state == State.REGISTERED


def test_full_loop_with_rework_extension_and_rating(world):
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[DEPT]
    case = case_in(world, "accepted_pending")
    handle_by = case.handle_by
    case = act(op, case, "approve_extension")
    assert case.handle_by > handle_by and case.extension_count == 1 and case.extension_requested_days is None
    case = act(dept, case, "handle", feedback="已清理")
    case = act(op, case, "verify_rework", reason="未清理干净")
    assert (case.state, case.rework_count) == (State.DISPATCHED, 1)
    case = act(dept, case, "accept")
    case = act(dept, case, "handle", feedback="已彻底清理")
    case = act(op, case, "verify_close")
    assert case.on_time is True and case.closed_at
    with pytest.raises(services.OperationError):
        act(op, case, "rate", rating="great")
    case = act(op, case, "rate", rating="basically")
    assert case.rating == "basically"
    with pytest.raises(workflow.WorkflowError):
        act(op, case, "rate", rating="satisfied")
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "register", "dispatch", "accept", "request_extension", "approve_extension",
                       "handle", "verify_rework", "accept", "handle", "verify_close", "rate"]


def test_late_close_is_not_on_time(world):
    op = world.users[Role.DISTRICT_OPERATOR]
    case = case_in(world, "handled")
    late = case.handle_by.replace(year=case.handle_by.year + 1)
    case.refresh_from_db()
    case = services.do_act(op, case, "verify_close", expected_version=case.version, now=late)
    assert case.on_time is False


def test_self_resolved_at_intake(world):
    case = act(world.users[GRID], report(world), "self_resolve", resolution="当场劝离")
    assert case.state == State.CLOSED and case.self_resolved and case.on_time


def test_rate_refused_on_an_open_case(world):
    case = case_in(world, "handled")
    with pytest.raises(workflow.WorkflowError) as exc:
        act(world.users[Role.DISTRICT_OPERATOR], case, "rate", rating="satisfied")
    assert exc.value.reason == "state"


def test_deadlines_skip_national_day(world):
    tz = ZoneInfo("Asia/Shanghai")
    cat = category()
    cat.handle_within_days, cat.accept_within_hours = 5, 2
    cat.save()
    lng, lat = world.grid_center(world.grids[0])
    case = services.do_report_case(world.users[GRID], category=cat, title="暴露垃圾", lng=lng, lat=lat,
                                   now=datetime(2024, 9, 30, 17, 0, tzinfo=tz))
    # 10-01..10-07 are 国庆 holidays; 10-12 (Saturday) is a 调休 working day.
    assert case.handle_by.astimezone(tz) == datetime(2024, 10, 12, 18, 0, tzinfo=tz)
    assert case.accept_by.astimezone(tz).date() == datetime(2024, 10, 8).date()
    assert case.number.startswith("WG20240930")


def test_report_outside_every_grid_or_unknown_category_is_refused(world):
    with pytest.raises(services.OperationError) as exc:
        services.do_report_case(world.users[GRID], category=category(), title="x", lng=90.0, lat=30.0)
    assert exc.value.field == "location"
    with pytest.raises(services.OperationError) as exc:
        services.do_report_case(world.users[GRID], category=999999, title="x", grid=world.grids[0])
    assert exc.value.field == "category"
    assert not Case.objects.exists()


def test_numbers_are_sequential_per_day(world):
    first, second = report(world), report(world)
    assert first.number[:10] == second.number[:10]
    assert int(second.number[10:]) == int(first.number[10:]) + 1


def test_timeline_is_append_only(world):
    case = report(world)
    event = CaseEvent.objects.get(case=case)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(case=case).delete()


def test_a_missing_reason_is_named_in_the_readers_language(world):
    """Each action's required text is named ("请填写退回理由"), in English for an English reader."""
    from django.utils import translation

    from wangge.core.services import OperationError

    case = case_in(world, "dispatched")
    handler = world.users[Role.DEPARTMENT_HANDLER]
    with pytest.raises(OperationError) as refused:
        act(handler, case, "return", reason="  ")
    assert (refused.value.field, str(refused.value)) == ("reason", "请填写退回理由")
    with translation.override("en"), pytest.raises(OperationError) as refused:
        act(handler, case, "return")
    assert str(refused.value) == "Please fill in the reason for returning"
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
