"""Jurisdiction matrix rows for the one map (API and page); see wangge/core/tests/scope_matrix.py.

`_cases(world)` reports a case in the home grid and in the other street's grid (the registry rows' places), then
recomputes the rollups, so every level has figures to leak if a scope were wrong."""
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

CENTRES = (Role.ADMINISTRATOR, *OPERATORS)


def _cases(world):
    from wangge.insight import rollups

    if not getattr(world, "onemap_rows", False):
        from wangge.cases.models import Case
        from wangge.cases.testing import category

        for n, grid in enumerate((world.grids[0], world.grids[4])):
            Case.objects.create(number=f"MAP{n:04d}", tracking_code=f"MAPTC{n:04d}", channel="grid_worker",
                                category=category(), title=f"一张图测试{n}", grid=grid, owner_region=grid)
        world.onemap_rows = True
    rollups.rebuild()


def _figures_are_visible(response, ctx):
    from datetime import timedelta

    from django.utils import timezone

    from wangge.cases.models import Case
    from wangge.insight.rollups import local_start

    body = response.json()
    since = local_start(timezone.localdate() - timedelta(days=29))
    cases = Case.objects.visible_to(ctx.user).filter(grid__path__startswith=ctx.region.path, reported_at__gte=since)
    assert body["totals"]["case"]["total"] == cases.count()
    visible = {r.code for r in ctx.visible_regions}
    assert {child["code"] for child in body["children"]} <= visible


ROWS = [
    Row("api: one map", "/api/v1/insight/map/{code}", roles=CENTRES, setup=_cases, check=_figures_are_visible),
    Row("api: one map heat", "/api/v1/insight/map/{code}/heat", roles=CENTRES, setup=_cases),
    Row("api: one map rates", "/api/v1/insight/map/{code}/rates", roles=CENTRES, setup=_cases),
    Row("api: one map buildings", "/api/v1/insight/map/{code}/buildings", levels=("grid",), roles=CENTRES),
    Row("page: one map", "/insight/map/{code}/", roles=CENTRES, setup=_cases),
]
FORBIDDEN = []
