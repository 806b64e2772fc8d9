"""Jurisdiction matrix rows for the early warnings and the 研判 reports (API and pages); see
wangge/core/tests/scope_matrix.py.

`_warnings(world)` raises a hot spot in a grid of each street (and of the second district) and makes last month's
report of each street. (A report's .docx is binary, which the matrix cannot read as text: test_report covers its
scoping.)"""
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS)


def _warnings(world):
    if getattr(world, "warning_rows", None):
        return world.warning_rows
    from django.utils import timezone

    from wangge.areas.models import Region
    from wangge.insight import report, services
    from wangge.insight.tests.testing import raise_hotspot
    from wangge.registry.tests.scope_rows import FAR_GRID, _registry

    _registry(world)  # the second district's grid
    far = Region.objects.get(code=FAR_GRID)
    made = {"warnings": [raise_hotspot(world.grids[0], neighbour=world.grids[1]),
                         raise_hotspot(world.grids[4], neighbour=world.grids[5]), raise_hotspot(far)]}
    start, end = report.previous_month(timezone.localdate())
    made["reports"] = [services.do_make_report(None, area, start, end, kind="monthly")
                       for area in (*world.streets, far.parent.parent)]
    world.warning_rows = made
    return made


def _records(model_name):
    def objects(world, user):
        from wangge.insight import models

        _warnings(world)
        model = getattr(models, model_name)
        visible = model.objects.visible_to(user)
        inside = list(visible.order_by("pk").values_list("pk", flat=True)[:2])
        outside = list(model.objects.exclude(pk__in=visible.values("pk")).order_by("-pk")
                       .values_list("pk", flat=True)[:2])
        return inside, outside
    return objects


def _listed_warnings_are_visible(response, ctx):
    from wangge.insight.models import EarlyWarning

    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(EarlyWarning.objects.visible_to(ctx.user).open().values_list("pk", flat=True))


def _listed_reports_are_visible(response, ctx):
    from wangge.insight.models import Report

    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Report.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _row(name, url, **kwargs):
    return Row(name, url, setup=_warnings, roles=READERS, **kwargs)


ROWS = [
    _row("api: early warnings", "/api/v1/insight/warnings?limit=1000", check=_listed_warnings_are_visible),
    _row("api: early warnings in an area", "/api/v1/insight/warnings?area={code}&state=all"),
    _row("api: early warning", "/api/v1/insight/warnings/{id}", objects=_records("EarlyWarning")),
    _row("api: concentration curve", "/api/v1/insight/concentration"),
    _row("api: concentration curve of an area", "/api/v1/insight/concentration?area={code}&source=case"),
    _row("api: reports", "/api/v1/insight/reports?limit=1000", check=_listed_reports_are_visible),
    _row("api: reports of an area", "/api/v1/insight/reports?area={code}"),
    _row("api: report", "/api/v1/insight/reports/{id}", objects=_records("Report")),
    _row("page: early warnings", "/insight/warnings/"),
    _row("page: early warnings of an area", "/insight/warnings/?area={code}&state=all"),
    _row("page: early warning", "/insight/warnings/{id}/", objects=_records("EarlyWarning")),
    _row("page: reports", "/insight/reports/"),
    _row("page: reports of an area", "/insight/reports/?area={code}"),
]
FORBIDDEN = []
