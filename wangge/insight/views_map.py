"""The one map's pages (一张图): a region with its children, figures beside the map, and the wall mode (大屏)."""
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wangge.areas.models import Level, Region
from wangge.areas.views import start_region
from wangge.cases.models import MajorCategory
from wangge.core.refusals import require
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError
from wangge.insight import onemap
from wangge.insight.models import Source

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A figure's records: the list that shows them, filtered to the area, the kind, the state and the range.
RECORD_LISTS = {Source.CASE: "cases:queue", Source.DISPUTE: "mediation:ledger", Source.ALERT: "sensing:alerts"}


def records_url(source: str, area: str, window, *, kind: str = "", state: str = "") -> str:
    """The list behind a figure (the case queue for cases, the ledger for disputes, the board for alerts), filtered
    to the area, the kind, the state and the days first reported (first seen)."""
    params = {"area": area}
    if source == Source.CASE:
        params.update({"from": window.first.isoformat(), "to": window.last.isoformat(), "major": kind,
                       "state": state})
    elif source == Source.DISPUTE:
        params.update({"from": window.first.isoformat(), "to": window.last.isoformat(), "type": kind,
                       "state": state})
    else:
        params.update({"from": window.first.isoformat(), "to": window.last.isoformat(), "type": kind,
                       "state": state or "all"})
    return reverse(RECORD_LISTS[source]) + "?" + urlencode({k: v for k, v in params.items() if v})


@login_required
@require_GET
def onemap_page(request, code=None):
    user = request.user
    require(user, "insight.view")
    region = get_visible_or_404(Region, user, code=code) if code else start_region(user)
    if region is None:
        return render(request, "areas/no_area.html")
    errors = {}
    try:
        window = onemap.parse_window(request.GET.get("from"), request.GET.get("to"))
        major = (request.GET.get("major") or "").strip()[:8]
        if major and not MajorCategory.objects.filter(code=major).exists():
            raise OperationError(_("No such major category."), field="major")
    except OperationError as exc:
        errors[exc.field] = exc.message
        window, major = onemap.parse_window(None, None), ""
    data = onemap.figures(user, region, window, major)
    _attach_links(region, window, major, data)
    context = {
        "region": region, "data": data, "window": window, "major": major, "errors": errors,
        "majors": MajorCategory.objects.filter(active=True).order_by("code"),
        "screen": request.GET.get("screen") == "1",
        "rates": onemap.rates(user, region, window),
        "buildings": onemap.buildings(user, region) if region.level == Level.GRID else [],
        "map_config": {
            "code": region.code, "level": region.level,
            "outline_url": reverse("map_json", args=[region.code]),
            "api_url": reverse("api-v1:region_figures", args=[region.code]),
            "heat_url": reverse("api-v1:region_heat", args=[region.code]),
            "page_url": reverse("insight:onemap_region", args=["000000"]).replace("000000", "CODE"),
            "layer_url": reverse("api-v1:region_population", args=[region.code]),
            "building_url": reverse("sensing:building", args=[0]),
            "query": urlencode({"from": window.first.isoformat(), "to": window.last.isoformat(), "major": major}),
        },
    }
    status = 400 if errors else 200
    return render(request, "insight/onemap.html", context, status=status)




@login_required
@require_GET
def onemap_export(request, code):
    """The map's table as .xlsx (each child and the total), with its audit row."""
    user = request.user
    require(user, "insight.view")
    region = get_visible_or_404(Region.objects.defer("polygon"), user, code=code)
    try:
        window = onemap.parse_window(request.GET.get("from"), request.GET.get("to"))
        major = (request.GET.get("major") or "").strip()[:8]
        if major and not MajorCategory.objects.filter(code=major).exists():
            raise OperationError(_("No such major category."), field="major")
    except OperationError as exc:
        return HttpResponse(f"{exc.field}: {exc.message}", status=400, content_type="text/plain; charset=utf-8")
    name, content = onemap.export_figures(user, region, window, major)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _attach_links(region, window, major, data) -> None:
    """Each figure of the side panel and the children's table carries the URL of the records behind it."""
    for source in Source.values:
        case_kind = major if source == Source.CASE else ""
        totals = data["totals"][source]
        totals["url"] = records_url(source, region.code, window, kind=case_kind)
        for row in totals["by_state"]:
            row["url"] = records_url(source, region.code, window, state=row["code"], kind=case_kind)
        for row in totals["by_kind"]:
            row["url"] = records_url(source, region.code, window, kind=row["code"])
    data["totals"]["places_url"] = reverse("places") + "?" + urlencode({"area": region.code})
    for child in data["children"]:
        code = child["code"]
        child["records_url"] = records_url(Source.CASE, code, window, kind=major)
        child["urls"] = {
            "open": records_url(Source.CASE, code, window, kind=major, state="open"),
            "dispute": records_url(Source.DISPUTE, code, window),
            "alert": records_url(Source.ALERT, code, window),
            "devices": reverse("sensing:devices") + "?" + urlencode({"area": code, "connectivity": "offline"}),
            "places": reverse("places") + "?" + urlencode({"area": code}),
            "coverage": reverse("sensing:coverage") + "?" + urlencode({"area": code}),
        }
