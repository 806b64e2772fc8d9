"""The measures read what the operations write: cases taken through the real workflow (services.do_act)."""
from datetime import timedelta

from django.utils import timezone

from wangge.cases import testing
from wangge.cases.measures import case_stats, parse_query
from wangge.core.roles import Role


def stats(user, now):
    today = timezone.localtime(now).date()
    query = parse_query(user, {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
                        today=today)
    return case_stats(user, query, now=now)


def test_every_state_counts_as_documented(world):
    cases = {v: testing.case_in(world, v) for v in ("reported", "registered", "rejected", "dispatched",
                                                    "accepted_pending", "handled", "closed", "merged")}
    grid_worker = world.users[Role.GRID_WORKER]
    resolved = testing.report(world)
    testing.act(grid_worker, resolved, "self_resolve", **testing.PARAMS["self_resolve"])
    op = world.users[Role.DISTRICT_OPERATOR]
    testing.act(op, cases["closed"], "rate", rating="basically")
    # returned by the department: back to registered, still counted as dispatched once
    returned = testing.case_in(world, "dispatched")
    testing.act(world.users[Role.DEPARTMENT_HANDLER], returned, "return", **testing.PARAMS["return"])
    # escalated by the grid worker before dispatch: not registered until the level above registers it
    escalated = testing.case_in(world, "registered")
    testing.act(grid_worker, escalated, "escalate", reason="需街道协调")

    total = stats(op, timezone.now() + timedelta(minutes=1))["total"]
    counts = total["counts"]
    # case_in("merged") reports an original too (left reported): 8 variants + their original + self-resolved
    # + returned + escalated
    assert counts["received"] == 12
    assert (counts["merged"], counts["rejected"], counts["self_resolved"]) == (1, 1, 1)
    # registered: registered, dispatched, accepted_pending, handled, closed, returned
    assert counts["registered"] == 6
    assert counts["dispatched"] == 5  # all but the plain registered one
    assert total["measures"]["register_rate"] == {"numerator": 6, "denominator": 10, "rate": 0.6}
    assert counts["closed"] == 2 and counts["closed_on_time"] == 2  # verified close and self-resolved
    assert counts["rated"] == 1 and total["measures"]["satisfaction_rate"]["rate"] == 1.0
    assert total["measures"]["self_resolve_rate"] == {"numerator": 1, "denominator": 12, "rate": 0.0833}
    assert total["measures"]["close_hours"]["denominator"] == 1  # the self-resolved one is not timed
    assert total["measures"]["accept_hours"]["denominator"] == 3  # accepted_pending, handled, closed


def test_a_rework_and_an_extension_show_in_the_rates(world):
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[Role.DEPARTMENT_HANDLER]
    case = testing.case_in(world, "handled")
    testing.act(op, case, "verify_rework", **testing.PARAMS["verify_rework"])
    testing.act(dept, case, "accept")
    testing.act(dept, case, "request_extension", **testing.PARAMS["request_extension"])
    testing.act(op, case, "approve_extension")
    testing.act(dept, case, "handle", **testing.PARAMS["handle"])
    testing.act(op, case, "verify_close")
    testing.case_in(world, "closed")
    total = stats(op, timezone.now() + timedelta(minutes=1))["total"]
    assert total["measures"]["rework_rate"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert total["measures"]["extension_rate"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert total["measures"]["on_time_rate"] == {"numerator": 2, "denominator": 2, "rate": 1.0}


def test_an_overdue_case_counts_once_its_deadline_has_passed(world):
    case = testing.case_in(world, "dispatched")
    case.refresh_from_db()
    op = world.users[Role.DISTRICT_OPERATOR]
    before = stats(op, case.handle_by - timedelta(minutes=1))["total"]["counts"]
    after_time = case.handle_by + timedelta(minutes=1)
    query = parse_query(op, {"from": timezone.localtime(case.reported_at).date().isoformat(),
                             "to": timezone.localtime(after_time).date().isoformat()},
                        today=timezone.localtime(after_time).date())
    after = case_stats(op, query, now=after_time)["total"]
    assert before["overdue_open"] == 0
    assert after["counts"]["overdue_open"] == 1 and after["counts"]["due"] == 1
    assert after["measures"]["close_rate"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
