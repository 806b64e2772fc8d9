"""Cases in every state for tests: reported in grid 0 of `wangge.testing.build_world` by its grid worker,
taken through the workflow by the district operator and the department handler (department CG)."""
from wangge.cases import services
from wangge.cases.models import Category
from wangge.core.roles import Role

GRID, DEPT = Role.GRID_WORKER, Role.DEPARTMENT_HANDLER

PARAMS = {"reject": {"reason": "不属于受理范围"}, "return": {"reason": "非本部门职责"},
          "request_extension": {"days": 3, "reason": "需协调产权单位"}, "deny_extension": {"reason": "可按期完成"},
          "handle": {"feedback": "已清理"}, "verify_rework": {"reason": "仍有垃圾"}, "supervise": {"note": "请加快"},
          "urge": {"note": "请尽快签收"}, "rate": {"rating": "satisfied"}, "self_resolve": {"resolution": "当场劝离"}}


def category():
    return Category.objects.get(major__code="01", code="001")


def report(world, **extra):
    lng, lat = world.grid_center(world.grids[0])
    return services.do_report_case(world.users[GRID], category=category(), title="路边暴露垃圾", lng=lng, lat=lat,
                                   **extra)


def act(user, case, action, **params):
    case.refresh_from_db()
    return services.do_act(user, case, action, expected_version=case.version, **params)


def case_in(world, variant):
    """A new case brought to `variant`: a state name, or accepted_pending (an extension asked)."""
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[DEPT]
    case = report(world)
    steps = {
        "reported": [],
        "registered": [(op, "register", {})],
        "rejected": [(op, "reject", PARAMS["reject"])],
        "dispatched": [(op, "register", {}), (op, "dispatch", {})],
        "accepted": [(op, "register", {}), (op, "dispatch", {}), (dept, "accept", {})],
        "accepted_pending": [(op, "register", {}), (op, "dispatch", {}), (dept, "accept", {}),
                             (dept, "request_extension", PARAMS["request_extension"])],
        "handled": [(op, "register", {}), (op, "dispatch", {}), (dept, "accept", {}),
                    (dept, "handle", PARAMS["handle"])],
        "closed": [(op, "register", {}), (op, "dispatch", {}), (dept, "accept", {}), (dept, "handle", PARAMS["handle"]),
                   (op, "verify_close", {})],
        "merged": [(op, "merge", {})],
    }[variant]
    for user, action, params in steps:
        if action == "merge":
            params = {"into": report(world)}
        case = act(user, case, action, **params)
    return case


