"""The citizen portal (群众门户): report a problem, track it, rate it, find the grid's team. No account.

Nothing here reads scoped data for a user: the pages show public geography (grid names and outlines,
docs/decisions/0002), a case only to whoever holds its tracking code and only through `public.public_view`,
and a grid's team as publicly posted (公示). See docs/guide/portal.md.
"""
import hashlib
import re
import uuid

from django.db.models import Count, Max, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import (
    condition,
    require_GET,
    require_http_methods,
    require_POST,
)

from wangge.areas.crs import CRSError, to_wgs84
from wangge.areas.models import GridTeamMember, Level, Region, TeamRole
from wangge.areas.services import locate_point
from wangge.cases import services
from wangge.cases.duplicates import find_duplicates
from wangge.cases.models import OPEN_STATES, Case, Category
from wangge.core.services import OperationError
from wangge.portal import forms, public, ratelimit

TRACKING_CODE = re.compile(r"^[0-9A-Z]{6,16}$")
# Service errors name their input; the form shows them at these fields (the map carries lng/lat).
FIELD_OF = {"location": "lng", "category": "category", "title": "title", "reporter_phone": "reporter_phone",
            "photos": "photos", "crs": "crs"}
# 公示: a grid team is posted in its community. The team table does not tell a work phone from a private
# one, so only the two posts whose job is to be reached by residents show a number (docs/guide/portal.md).
PHONE_SHOWN_ROLES = frozenset({TeamRole.GRID_LEADER, TeamRole.GRID_WORKER})
TEAM_ORDER = {role: i for i, role in enumerate(TeamRole.values)}
# The public's words for the posts. (TeamRole's own labels carry the Chinese in their English msgid, e.g.
# "Grid leader (网格长)", which an English page should not show; changing them is a migration of their own.)
TEAM_ROLE_WORDS = {
    TeamRole.GRID_LEADER: gettext_lazy("Grid leader"), TeamRole.GRID_WORKER: gettext_lazy("Grid worker"),
    TeamRole.PARTY_LEADER: gettext_lazy("Party group leader"), TeamRole.COUNCIL_HEAD: gettext_lazy("Council head"),
    TeamRole.SUPERVISOR_HEAD: gettext_lazy("Supervisory head"), TeamRole.POLICE_HEAD: gettext_lazy("Police officer"),
    TeamRole.VOLUNTEER: gettext_lazy("Volunteer"),
}


# ------------------------------------------------------------------ home


@require_GET
def index(request):
    return render(request, "portal/index.html", {"track_form": forms.TrackForm()})


# ------------------------------------------------------------------ report


@require_http_methods(["GET", "POST"])
def report(request):
    """群众上报: the form; on POST the case and its photos are stored together or not at all."""
    if request.method == "GET":
        return render(request, "portal/report.html",
                      {"form": forms.ReportForm(initial={"submission_key": uuid.uuid4().hex})})
    ip = ratelimit.client_ip(request)
    if ratelimit.is_limited(ip):
        response = render(request, "portal/too_many.html", {"limit": ratelimit.reports_per_hour()}, status=429)
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
        return response
    form = forms.ReportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # The case and its photos in one transaction (photos are checked and re-encoded first): one bad
            # photo and nothing is kept, files included.
            case = services.do_report_public(
                category=data["category"], title=data["title"], description=data["description"],
                lng=data["lng"], lat=data["lat"], crs=data["crs"] or "wgs84", address=data["address"],
                reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                anonymous=data["anonymous"], photos=data["photos"], submission_key=data["submission_key"])
        except OperationError as exc:
            field = FIELD_OF.get(exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            ratelimit.count_report(ip)
            return redirect("portal:receipt", code=case.tracking_code)
    return render(request, "portal/report.html", {"form": form}, status=400)


@require_GET
def similar(request):
    """Open cases like the one being typed (htmx partial): title and tracking code only, to follow instead."""
    items = []
    category = Category.objects.filter(pk=_int(request.GET.get("category")), active=True).first()
    point = _point(request.GET)
    if category is not None and point is not None:
        text = " ".join(request.GET.get(name, "") for name in ("title", "description")).strip()
        for duplicate in find_duplicates(category, point[0], point[1], text):
            case = duplicate.case
            if case.state in OPEN_STATES and case.tracking_code:
                items.append({"title": case.title, "tracking_code": case.tracking_code,
                              "status": public.status_of(case)[0]})
    return render(request, "portal/_similar.html", {"items": items})


@require_GET
def receipt(request, code):
    case = _case_by_code(code)
    if case is None:
        return _not_found(request)
    return render(request, "portal/receipt.html", {"case": public.public_view(case)})


# ------------------------------------------------------------------ track and rate


@require_GET
def track(request):
    """Enter a tracking code (GET ?code= goes straight to the case's page)."""
    if "code" not in request.GET:
        return render(request, "portal/track.html", {"form": forms.TrackForm()})
    form = forms.TrackForm(request.GET)
    if form.is_valid():
        return redirect("portal:case", code=form.cleaned_data["code"])
    return render(request, "portal/track.html", {"form": form}, status=400)


@require_GET
def case_page(request, code):
    case = _case_by_code(code)
    if case is None:
        return _not_found(request)
    return _render_case(request, case, forms.RatingForm())


@require_POST
def rate(request, code):
    """回访评价 by the citizen: once, after close."""
    case = _case_by_code(code)
    if case is None:
        return _not_found(request)
    form = forms.RatingForm(request.POST)
    if form.is_valid():
        try:
            services.do_rate_public(case.tracking_code, rating=form.cleaned_data["rating"],
                                    note=form.cleaned_data["note"])
        except OperationError as exc:
            form.add_error("rating" if exc.field in ("rating", "tracking_code") else None, exc.message)
        else:
            return redirect(reverse("portal:case", args=[case.tracking_code]) + "?rated=1#rating")
    case.refresh_from_db()
    return _render_case(request, case, form, status=400)


def _render_case(request, case, rating_form, status=200):
    context = {"case": public.public_view(case), "rating_form": rating_form, "just_rated": "rated" in request.GET}
    return render(request, "portal/case.html", context, status=status)


def _case_by_code(code):
    code = "".join(str(code or "").split()).upper()
    if not TRACKING_CODE.match(code):
        return None
    return (Case.objects.select_related("category__major", "grid", "merged_into")
            .filter(tracking_code=code).first())


def _not_found(request):
    return render(request, "portal/not_found.html", status=404)


# ------------------------------------------------------------------ find my grid worker


@require_GET
def grid_worker(request):
    """找网格员: the map and the browser's position; with ?lng=&lat= the answer is on the page itself."""
    context = {}
    status = 200
    if "lng" in request.GET or "lat" in request.GET:
        context, status = _grid_answer(request.GET)
    return render(request, "portal/grid_worker.html", context, status=status)


@require_GET
def grid_worker_lookup(request):
    """The answer alone (htmx partial)."""
    context, status = _grid_answer(request.GET)
    return render(request, "portal/_grid_team.html", context, status=status)


def _grid_answer(params) -> tuple[dict, int]:
    form = forms.LocationForm(params)
    if not form.is_valid():
        return {"error": _("Click a place on the map, or let the browser share your location.")}, 400
    try:
        grid, _lng, _lat = locate_point(form.cleaned_data["lng"], form.cleaned_data["lat"],
                                     form.cleaned_data["crs"] or "wgs84")
    except OperationError:
        return {"error": _("This place is in none of the platform's grids; please choose again.")}, 422
    return {"grid": _public_grid(grid)}, 200


def _public_grid(grid) -> dict:
    path = [r for r in grid.ancestors_and_self() if r.level in (Level.STREET, Level.COMMUNITY)]
    members = sorted(GridTeamMember.objects.filter(grid=grid).only("role", "name", "phone", "grid_id"),
                     key=lambda m: (TEAM_ORDER.get(m.role, 99), m.pk))
    team = [{"role": TEAM_ROLE_WORDS.get(m.role, m.role), "name": m.name,
             "phone": m.phone if m.role in PHONE_SHOWN_ROLES else ""} for m in members]
    return {"name": grid.name, "code": grid.code, "path": [r.name for r in path], "team": team}


# ------------------------------------------------------------------ public map outline


def _outline_etag(request):
    stamp = Region.objects.aggregate(n=Count("pk", filter=Q(level=Level.GRID, polygon__isnull=False)),
                                     at=Max("updated_at"))
    return hashlib.sha256(f"portal-outline|{stamp['n']}|{stamp['at']}".encode()).hexdigest()[:32]


@require_GET
@condition(etag_func=_outline_etag)
def map_outline(request):
    """GeoJSON of every grid: outline and name only (public geography, docs/decisions/0002); no counts."""
    features = []
    for code, name, polygon in (Region.objects.filter(level=Level.GRID, polygon__isnull=False)
                                .order_by("code").values_list("code", "name", "polygon")):
        if not isinstance(polygon, dict) or "coordinates" not in polygon:
            continue
        features.append({"type": "Feature", "properties": {"code": code, "name": name},
                         "geometry": {"type": polygon.get("type"), "coordinates": _rounded(polygon["coordinates"])}})
    response = JsonResponse({"type": "FeatureCollection", "features": features},
                            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    patch_cache_control(response, public=True, max_age=300)
    return response


def _rounded(coords):
    """Six decimals (about 10 cm) are plenty for drawing and halve the payload."""
    if coords and isinstance(coords[0], (int, float)):
        return [round(c, 6) for c in coords]
    return [_rounded(c) for c in coords]


# ------------------------------------------------------------------ helpers


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _point(params):
    """(lng, lat) in WGS-84 from lng/lat/crs parameters, or None."""
    try:
        return to_wgs84(float(params.get("lng")), float(params.get("lat")), params.get("crs") or "wgs84")
    except (TypeError, ValueError, CRSError):
        return None
