"""Jurisdiction matrix rows for the case workbenches (see wangge/core/tests/scope_matrix.py).

They reuse the API rows' cases (`scope_rows_api._cases`: a reported and a dispatched case in each street,
one in the second district; the dispatched ones went to department CG), so a department handler's inside is
exactly the two cases dispatched to CG. Every row also checks that no case outside the user's area shows
up by its number or tracking code, and that no reporter's phone is shown in the clear.
"""
import re

from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

VIEWERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER)  # cases.view
SUPERVISORS = (Role.ADMINISTRATOR, *OPERATORS)  # cases.supervise
REPORTERS = (*OPERATORS, Role.GRID_WORKER)  # cases.report, people only (a system reports by API)
LISTED = re.compile(r'<li class="case-item"[^>]*? data-case="(\d+)"')


def _setup(world):
    from wangge.cases.tests.scope_rows_api import _cases

    return _cases(world)


def _records(world, user):
    from wangge.cases.tests.scope_rows_api import _records as records

    inside, outside = records(world, user)
    if user.role == Role.DEPARTMENT_HANDLER:
        from wangge.cases.models import Case

        # A handler's cases are exactly those dispatched to the department, nothing else in the district.
        assert set(inside) == set(Case.objects.filter(assignee_department_id=user.department_id)
                                  .values_list("pk", flat=True))
    return inside, outside


def _nothing_outside(response, ctx):
    from wangge.cases.models import Case
    from wangge.cases.tests.scope_rows_api import PHONE

    body = response.content.decode()
    assert PHONE not in body, "a reporter's phone in the clear"
    hidden = Case.objects.exclude(pk__in=Case.objects.visible_to(ctx.user).values("pk"))
    for number, code in hidden.values_list("number", "tracking_code"):
        assert number not in body, f"shows case {number}, which is outside the area"
        assert not code or code not in body, f"shows the tracking code of {number}"


def _lists_visible(response, ctx):
    """A list shows only visible cases; on one page (the matrix world is small), all of them."""
    from wangge.cases.models import Case

    _nothing_outside(response, ctx)
    listed = {int(pk) for pk in LISTED.findall(response.content.decode())}
    visible = Case.objects.visible_to(ctx.user)
    if ctx.region is not None:
        visible = visible.filter(grid__path__startswith=ctx.region.path)
    assert listed == set(visible.values_list("pk", flat=True))


def _inbox_is_assigned(response, ctx):
    from wangge.cases.models import Case

    _nothing_outside(response, ctx)
    listed = {int(pk) for pk in LISTED.findall(response.content.decode())}
    user = ctx.user
    for case in Case.objects.filter(pk__in=listed):
        assert (case.assignee_department_id and case.assignee_department_id == user.department_id) or \
               (case.assignee_region_id and case.assignee_region_id == user.region_id)
    if user.role == Role.DEPARTMENT_HANDLER:
        assert listed == set(Case.objects.filter(assignee_department_id=user.department_id, state="dispatched")
                             .values_list("pk", flat=True))


def _row(name, url, **kwargs):
    return Row(name, url, setup=_setup, check=kwargs.pop("check", _nothing_outside), **kwargs)


ROWS = [
    _row("page: case queue", "/cases/", roles=VIEWERS, check=_lists_visible),
    _row("page: case queue by area", "/cases/?area={code}", roles=VIEWERS, check=_lists_visible),
    _row("page: case queue search", "/cases/?q=垃圾&state=open&sort=deadline", roles=VIEWERS),
    _row("page: supervision board", "/cases/supervision/", roles=SUPERVISORS),
    _row("page: case inbox", "/cases/inbox/", roles=VIEWERS, check=_inbox_is_assigned),
    _row("page: my cases", "/cases/mine/", roles=REPORTERS),
    _row("page: report a case", "/cases/report/", roles=REPORTERS),
    _row("page: report duplicates", "/cases/report/duplicates/?code=01001&lng=104.005&lat=30.605&title=路边垃圾",
         roles=REPORTERS),
    _row("page: case", "/cases/{id}/", objects=_records, roles=VIEWERS),
]
