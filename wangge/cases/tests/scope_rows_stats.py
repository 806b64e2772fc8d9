"""Jurisdiction matrix rows for the case measures: the stats API and the stats page.

`setup` puts cases reported in June 2025 in every grid of the shared world and in the second district's
grid, some dispatched to the department. `check` proves the total row counts exactly the cases the user
may see under the region asked about, and every row is a region inside the area.
(The .xlsx export is binary, which the matrix cannot read as text: test_stats_pages covers its scoping.)
"""
from datetime import datetime

from django.utils import timezone

from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS, Role.DEPARTMENT_HANDLER)  # cases.stats
WINDOW = "from=2025-06-01&to=2025-06-30"
PREFIX = "SCOPE-STATS-"


def _setup(world):
    from wangge.areas.models import Level, Region
    from wangge.cases.models import Case, Category, State

    if Case.objects.filter(number__startswith=PREFIX).exists():
        return
    category = Category.objects.get(major__code="01", code="001")
    grids = list(Region.objects.filter(level=Level.GRID).order_by("code"))
    for i, grid in enumerate(grids):
        reported = timezone.make_aware(datetime(2025, 6, 1 + i, 10))
        closed = i % 2 == 0
        Case.objects.create(
            number=f"{PREFIX}{i:03d}", tracking_code=f"SS{i:08d}", channel="grid_worker", category=category,
            title=f"统计测试{i}", grid=grid, owner_region=grid, reported_at=reported,
            state=State.CLOSED if closed else State.DISPATCHED, registered_at=reported,
            dispatched_at=reported, closed_at=reported.replace(hour=16) if closed else None, on_time=closed or None,
            handle_by=reported.replace(day=reported.day + 1),
            assignee_department=world.department if i % 3 else None)


def _visible_june(ctx):
    from wangge.cases.models import Case

    start = timezone.make_aware(datetime(2025, 6, 1))
    end = timezone.make_aware(datetime(2025, 7, 1))
    cases = Case.objects.visible_to(ctx.user).filter(reported_at__gte=start, reported_at__lt=end)
    if ctx.region is not None:
        cases = cases.filter(grid__path__startswith=ctx.region.path)
    return cases


def _totals_are_what_the_user_sees(response, ctx):
    data = response.json()
    cases = _visible_june(ctx)
    if ctx.user.role != Role.DEPARTMENT_HANDLER:
        assert cases.exists(), "setup puts a case in every grid: the check must have something to count"
    assert data["total"]["counts"]["received"] == cases.count()
    assert data["total"]["counts"]["closed"] == cases.filter(state="closed").count()
    if data["group"] in ("region", "department", "period"):
        assert sum(r["counts"]["received"] for r in data["rows"]) == cases.count()
    if data["group"] == "region":
        visible = {r.code for r in ctx.visible_regions}
        assert all(r["code"] in visible for r in data["rows"])


def _page_counts_what_the_user_sees(response, ctx):
    total = response.context["stats"]["total"]
    assert total["counts"]["received"] == _visible_june(ctx).count()


ROWS = [
    Row("api: case measures by region", f"/api/v1/stats/cases?region={{code}}&{WINDOW}", roles=READERS,
        setup=_setup, check=_totals_are_what_the_user_sees),
    Row("api: case measures by department", f"/api/v1/stats/cases?group=department&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_totals_are_what_the_user_sees),
    Row("api: case measures by month", f"/api/v1/stats/cases?group=period&period=month&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_totals_are_what_the_user_sees),
    Row("page: case measures", f"/cases/stats/?region={{code}}&{WINDOW}", roles=READERS, setup=_setup,
        check=_page_counts_what_the_user_sees),
    Row("page: case measures by category", f"/cases/stats/?group=category&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_page_counts_what_the_user_sees),
]
