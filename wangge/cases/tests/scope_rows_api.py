"""Jurisdiction matrix rows for the cases API (see wangge/core/tests/scope_matrix.py).

`_cases(world)` reports cases in both streets (grid 0 by its grid worker, grid 4 by the other street's) —
one left reported, one registered and dispatched to department CG in each — plus one in the matrix's second
district, so every scoped user has cases inside and outside. A department handler's inside is exactly the
two dispatched to CG; the reported ones are outside for them, wherever they are.
"""
from wangge.areas.models import Region
from wangge.cases import services
from wangge.cases.models import Case
from wangge.cases.testing import act
from wangge.core.models import User
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER)  # cases.view
FAR_GRID = "510108002001001"  # the matrix world's second district
PHONE = "13800002222"


def _cases(world):
    """Cases in both streets and in the second district (idempotent: the world remembers them)."""
    if getattr(world, "cases_api_rows", None):
        return world.cases_api_rows
    operator = world.users[Role.DISTRICT_OPERATOR]
    made = {}
    for key, grid, worker in (("home", world.grids[0], world.users[Role.GRID_WORKER]),
                              ("away", world.grids[4], world.outsiders[Role.GRID_WORKER])):
        lng, lat = world.grid_center(grid)
        reported = services.do_report_case(worker, category="01001", title=f"{key}路边暴露垃圾", lng=lng, lat=lat,
                                           reporter_phone=PHONE)
        dispatched = services.do_report_case(worker, category="01001", title=f"{key}垃圾桶满溢", lng=lng, lat=lat,
                                             reporter_phone=PHONE)
        act(operator, dispatched, "register")
        act(operator, dispatched, "dispatch")  # to CG, the category's department
        made[key] = {"reported": reported, "dispatched": dispatched}
    far_operator = User.objects.get(username="other_district_op")
    made["far"] = services.do_report_case(far_operator, category="01001", title="far井盖缺失",
                                          grid=Region.objects.get(code=FAR_GRID), channel="hotline_12345",
                                          reporter_phone=PHONE)
    world.cases_api_rows = made
    return made


def _records(world, user):
    _cases(world)
    visible = Case.objects.visible_to(user)
    inside = list(visible.order_by("pk").values_list("pk", flat=True)[:3])
    outside = list(Case.objects.exclude(pk__in=visible.values("pk")).order_by("-pk").values_list("pk", flat=True)[:3])
    return inside, outside


def _no_plain_phone(response, ctx):
    assert PHONE not in response.content.decode(), "a reporter's phone in the clear"


def _listed_are_visible(response, ctx):
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Case.objects.visible_to(ctx.user).values_list("pk", flat=True))
    _no_plain_phone(response, ctx)


def _listed_under_region(response, ctx):
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Case.objects.visible_to(ctx.user).filter(grid__path__startswith=ctx.region.path)
                      .values_list("pk", flat=True))


def _duplicates_are_visible(response, ctx):
    ids = {item["id"] for item in response.json()}
    assert ids <= set(Case.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _detail_is_the_record(response, ctx):
    data = response.json()
    assert data["id"] == ctx.record_id
    assert data["reporter_phone"] == "138****2222"
    _no_plain_phone(response, ctx)


def _row(name, url, **kwargs):
    return Row(name, url, setup=_cases, **kwargs)


ROWS = [
    _row("api: categories", "/api/v1/categories"),
    _row("api: cases", "/api/v1/cases?limit=1000", roles=READERS, check=_listed_are_visible),
    _row("api: cases under a region", "/api/v1/cases?region={code}&limit=1000", roles=READERS,
         check=_listed_under_region),
    _row("api: cases filtered", "/api/v1/cases?state=dispatched&category=01&department=CG&q=垃圾", roles=READERS),
    _row("api: case duplicates", "/api/v1/cases/duplicates?category=01001&lng=104.005&lat=30.605&text=暴露垃圾",
         roles=READERS, check=_duplicates_are_visible),
    _row("api: case", "/api/v1/cases/{id}", roles=READERS, objects=_records, check=_detail_is_the_record),
    _row("api: case events", "/api/v1/cases/{id}/events", roles=READERS, objects=_records),
]
