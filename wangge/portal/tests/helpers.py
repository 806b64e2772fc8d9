"""Shared bits for the portal tests: a case with distinctive people around it, and the privacy check."""
from wangge.areas.models import GridTeamMember, TeamRole
from wangge.cases import services
from wangge.cases.models import Category
from wangge.cases.testing import act
from wangge.core.roles import Role

# Distinctive enough that finding one in a page cannot be a coincidence.
REPORTER_NAME, REPORTER_PHONE = "郝报人甲", "13912345678"
STAFF_NAMES = {Role.DISTRICT_OPERATOR: "钱值班员乙", Role.DEPARTMENT_HANDLER: "孙承办员丙",
               Role.GRID_WORKER: "李网格员丁"}
STAFF_PHONES = {Role.DISTRICT_OPERATOR: "13600000001", Role.DEPARTMENT_HANDLER: "13600000002",
                Role.GRID_WORKER: "13600000003"}
VOLUNTEER_NAME, VOLUNTEER_PHONE = "周志愿者戊", "13700009999"
LEADER_NAME, LEADER_PHONE = "吴网格长己", "13800001234"
WORKER_NAME, WORKER_PHONE = "郑网格员庚", "13800005678"
INTERNAL_NOTES = ["内部退回理由XYZ", "延期理由内部ABC", "催办意见内部QRS"]


def category():
    return Category.objects.get(major__code="01", code="001")


def dress_staff(world):
    """Give the world's staff distinctive full names and phones."""
    for role, name in STAFF_NAMES.items():
        user = world.users[role]
        user.full_name, user.phone = name, STAFF_PHONES[role]
        user.save()


def citizen_case(world, grid_index=0, **extra):
    lng, lat = world.grid_center(world.grids[grid_index])
    params = dict(category=category(), title="小区门口垃圾堆放", description="已经三天没人清运", lng=lng, lat=lat,
                  reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE)
    params.update(extra)
    return services.do_report_public(**params)


def closed_case(world, **extra):
    """A citizen's case taken through every step, internal ones included, to a close."""
    dress_staff(world)
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[Role.DEPARTMENT_HANDLER]
    case = citizen_case(world, **extra)
    case = act(op, case, "register", note="立案备注")
    case = act(op, case, "dispatch")
    case = act(dept, case, "return", reason=INTERNAL_NOTES[0])
    case = act(op, case, "dispatch")
    case = act(op, case, "urge", note=INTERNAL_NOTES[2])
    case = act(dept, case, "accept")
    case = act(dept, case, "request_extension", days=2, reason=INTERNAL_NOTES[1])
    case = act(op, case, "approve_extension")
    case = act(dept, case, "handle", feedback="垃圾已全部清运")
    case = act(op, case, "verify_close", note="现场核查")
    return case


def dress_team(world, grid_index=0):
    grid = world.grids[grid_index]
    GridTeamMember.objects.create(grid=grid, role=TeamRole.GRID_LEADER, name=LEADER_NAME, phone=LEADER_PHONE)
    GridTeamMember.objects.create(grid=grid, role=TeamRole.GRID_WORKER, name=WORKER_NAME, phone=WORKER_PHONE,
                                  user=world.users[Role.GRID_WORKER])
    GridTeamMember.objects.create(grid=grid, role=TeamRole.VOLUNTEER, name=VOLUNTEER_NAME, phone=VOLUNTEER_PHONE)


def assert_no_people(html: str, world, *, allow=()):
    """No reporter, staff name, username or phone appears in `html` (except names listed in `allow`)."""
    forbidden = [REPORTER_NAME, REPORTER_PHONE, *STAFF_NAMES.values(), *STAFF_PHONES.values(), *INTERNAL_NOTES,
                 VOLUNTEER_PHONE]
    forbidden += [u.username for u in (*world.users.values(), *world.outsiders.values())]
    for text in forbidden:
        if text in allow:
            continue
        assert text not in html, f"{text!r} is on a public page"
    # Phones in any masked form either: the last four digits of the reporter's phone with the mask.
    assert REPORTER_PHONE[:3] + "****" + REPORTER_PHONE[-4:] not in html
