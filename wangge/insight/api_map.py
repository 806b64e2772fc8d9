"""The one map's API (一张图). See docs/api/insight.md.

A region is named by its code and must be one the caller may see (404 otherwise, like one that does not exist);
the range is `from`/`to` (ISO dates, at most 366 days, default the last 30); `major` narrows cases to one major
category. The page draws the outlines from GET /map/<code>.json (the regions' GeoJSON, scoped the same way).
"""
from django.utils.translation import gettext as _
from ninja import Query, Router

from wangge.areas.models import Level, Region
from wangge.cases.models import MajorCategory
from wangge.core.refusals import require
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError
from wangge.insight import onemap

router = Router(tags=["insight"])


def _region(request, code: str) -> Region:
    require(request.user, "insight.view")
    return get_visible_or_404(Region.objects.defer("polygon"), request.user, code=code.strip()[:20])


def _major(value: str | None) -> str:
    value = (value or "").strip()[:8]
    if value and not MajorCategory.objects.filter(code=value).exists():
        raise OperationError(_("No such major category."), field="major")
    return value


@router.get("/insight/map/{code}", summary="The one map: a region and its children 一张图")
def region_figures(request, code: str, major: str | None = None,
                   date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD, inclusive"),
                   date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive")):
    """Cases, disputes and alerts (from the rollups) by state and kind, devices by connectivity, key places and
    the buildings' "three ones" coverage, for the region and each child. Query: `from`, `to`, `major`."""
    region = _region(request, code)
    span = onemap.parse_window(date_from, date_to)
    return onemap.figures(request.user, region, span, _major(major))


@router.get("/insight/map/{code}/heat", summary="The one map's heat layer 热力图")
def region_heat(request, code: str, major: str | None = None,
                date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD, inclusive"),
                date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive")):
    """[lng, lat, cases] for each grid under the region with cases in the range (the grid's centre: no
    record's own point), fetched when the heat layer is shown."""
    region = _region(request, code)
    span = onemap.parse_window(date_from, date_to)
    return {"points": onemap.heat(region, span, _major(major))}


@router.get("/insight/map/{code}/rates", summary="Closure rates of a region 结案率、按期结案率")
def region_rates(request, code: str,
                 date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD, inclusive"),
                 date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive")):
    """结案率 and 按期结案率 (both over 应结案数, docs/measures.md) and the share of closures on time, for the
    region over `from`–`to`, from the one measures module."""
    region = _region(request, code)
    span = onemap.parse_window(date_from, date_to)
    return onemap.rates(request.user, region, span)


@router.get("/insight/map/{code}/buildings", summary="A grid's buildings on the one map 楼栋")
def grid_buildings(request, code: str):
    """The grid's buildings as points: residents, open alerts, rental, whether it has all three ones."""
    region = _region(request, code)
    if region.level != Level.GRID:
        raise OperationError(_("Buildings are listed for a grid."), field="code")
    return {"grid": region.code, "buildings": onemap.buildings(request.user, region)}
