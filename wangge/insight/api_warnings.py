"""The early warnings, the concentration curve and the 研判 reports over the API (docs/early-warning.md,
docs/insight-report.md). Mounted at /api/v1/.

Reads go through `visible_to` (outside the caller's area: 404); writes through the operations in services.py,
whose refusals map to statuses in wangge/core/refusals.py (a closed warning 409, a stale version 409, bad input
422 naming the field). Query filters are checked once (queries.read_filters): an unknown kind or category, a date
range backwards or longer than 366 days is a 422 naming the field.
"""
from datetime import date, datetime

from django.http import Http404
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from wangge.areas.models import Region
from wangge.core.api_errors import field_errors
from wangge.core.numbers import RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.refusals import require
from wangge.insight import queries, services
from wangge.insight.models import EarlyWarning, Report
from wangge.insight.workflow import FLOW

router = Router(tags=["insight"])


class WarningOut(Schema):
    id: int
    number: str
    kind: str
    source: str
    category: str
    severity: str
    state: str
    title: str
    area: str = Field(description="region code of the warning's area")
    grid: str = Field(description="grid code where a case handed down from it goes")
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    strength: float = Field(description="within its kind: a hot spot's z score, a spike's ratio, else the records")
    version: int
    case: str | None = Field(None, description="case number, when handed down")
    details: dict = Field(description="the numbers behind it (observed, expected, z, p, q, …)")
    records: list = Field(description="[[source, id, number], …] the records behind it")


class WarningDetail(WarningOut):
    allowed_actions: list[str]
    timeline: list[dict]


def _out(w: EarlyWarning) -> dict:
    return {"id": w.pk, "number": w.number, "kind": w.kind, "source": w.source, "category": w.category,
            "severity": w.severity, "state": w.state, "title": w.title, "area": w.region.code, "grid": w.grid.code,
            "first_seen": w.first_seen, "last_seen": w.last_seen, "times_seen": w.times_seen,
            "strength": w.strength, "version": w.version,
            "case": w.case.number if w.case_id else None, "details": w.details, "records": w.records}


class WarningFilters(Schema):
    kind: str | None = Field(None, description="hotspot, spike, repeat_caller, repeat_place, near_repeat")
    source: str | None = Field(None, description="case, dispute, alert")
    category: str | None = Field(None, description="a case major category code, a dispute type, an alert type")
    state: str | None = Field(None, description="active, acknowledged, closed, open (default), all")
    severity: str | None = None
    area: str | None = Field(None, description="region code: warnings in that area")
    from_: date | None = Field(None, alias="from", description="seen on or after (YYYY-MM-DD)")
    to: date | None = Field(None, description="raised on or before (YYYY-MM-DD); at most 366 days after from")


def _area(user, code) -> Region | None:
    if not code:
        return None
    region = Region.objects.visible_to(user).filter(code=str(code).strip()[:20]).first()
    if region is None:
        raise Http404
    return region


def _checked(f: WarningFilters, default_state="open") -> dict:
    params = {"kind": f.kind, "source": f.source, "category": f.category, "state": f.state, "severity": f.severity,
              "area": f.area, "from": f.from_.isoformat() if f.from_ else "", "to": f.to.isoformat() if f.to else ""}
    chosen, errors = queries.read_filters(params, default_state=default_state)
    if errors:
        raise field_errors("query", errors)
    return chosen


@router.get("/insight/warnings", response=list[WarningOut], summary="Early warnings in my area 研判预警")
@paginate(LimitOffsetPagination)
def list_warnings(request, filters: Query[WarningFilters]):
    """Most recently seen first (those of one analysis by kind, strongest first). Filters: kind, source, category,
    state, severity, area, from, to."""
    user = request.user
    require(user, "insight.view")
    chosen = _checked(filters)
    warnings = queries.warnings_for(user, chosen, _area(user, filters.area))
    return [_out(w) for w in warnings.order_by(*queries.SORTS["recent"])]


def _one(user, id) -> EarlyWarning:
    warning = EarlyWarning.objects.visible_to(user).select_related("region", "grid", "case").filter(pk=id).first()
    if warning is None:
        raise Http404
    return warning


def _detail(user, w) -> dict:
    return {**_out(w), "allowed_actions": FLOW.allowed_actions(w, user),
            "timeline": [{"at": e.at.isoformat(), "actor": e.actor_name, "action": e.action,
                          "from_state": e.from_state, "to_state": e.to_state, "note": e.note, "details": e.details}
                         for e in w.events.order_by("at", "id")]}


@router.get("/insight/warnings/{int:id}", response=WarningDetail, summary="One early warning with its timeline")
def get_warning(request, id: RowId):
    require(request.user, "insight.view")
    return _detail(request.user, _one(request.user, id))


class WarningActionIn(Schema):
    """The version the caller last saw, and the action's own inputs."""

    version: int
    note: str | None = None
    category: str | None = Field(None, description="hand_down: the case category (5-digit code or id)")
    assignee: int | None = Field(None, description="assign: a user id")


@router.post("/insight/warnings/{int:id}/actions/{action}", response=WarningDetail,
             summary="Act on an early warning (acknowledge, assign, hand down as a case 交办, comment, close)")
def act_on_warning(request, id: RowId, action: str, payload: WarningActionIn):
    user = request.user
    require(user, "insight.view")
    warning = _one(user, id)
    params = {name: getattr(payload, name) for name in FLOW.params(action)} if action in FLOW.actions else {}
    done = services.do_act(user, warning, action, expected_version=payload.version, **params)
    return _detail(user, _one(user, done.pk))


class CurveFilters(Schema):
    source: str = Field("case", description="case, dispute, alert")
    category: str | None = Field(None, description="a category of the source (none: all)")
    area: str | None = Field(None, description="region code (default: your own area)")
    from_: date | None = Field(None, alias="from")
    to: date | None = None


@router.get("/insight/concentration", summary="Concentration curve: what share of grids holds half the incidents")
def concentration(request, filters: Query[CurveFilters]):
    user = request.user
    require(user, "insight.view")
    params = {"source": filters.source, "category": filters.category or "", "from": filters.from_.isoformat()
              if filters.from_ else "", "to": filters.to.isoformat() if filters.to else ""}
    chosen, errors = queries.read_filters(params)
    if errors:
        raise field_errors("query", errors)
    area = _area(user, filters.area) or queries.home_area(user)
    if area is None:
        raise Http404
    start, end = queries.curve_window(chosen)
    return queries.concentration(area, chosen["source"], chosen["category"], start, end)


# --- reports ------------------------------------------------------------------------------------------------


class ReportOut(Schema):
    id: int
    area: str
    area_name: str
    kind: str
    period_start: date
    period_end: date
    created_at: datetime
    figures: dict
    download: str = Field(description="the .docx (a page URL: a file, not JSON; scoped like the report)")


def _report_out(r: Report) -> dict:
    return {"id": r.pk, "area": r.region.code, "area_name": r.region.name, "kind": r.kind,
            "period_start": r.period_start, "period_end": r.period_end, "created_at": r.created_at,
            "figures": r.figures, "download": reverse("insight:report_file", args=[r.pk])}


@router.get("/insight/reports", response=list[ReportOut], summary="研判 reports of my area")
@paginate(LimitOffsetPagination)
def list_reports(request, area: str | None = None):
    user = request.user
    require(user, "insight.view")
    reports = Report.objects.visible_to(user).select_related("region")
    region = _area(user, area)
    if region is not None:
        reports = reports.filter(path__startswith=region.path)
    return [_report_out(r) for r in reports.order_by("-created_at", "-id")]


class ReportIn(Schema):
    area: str = Field(description="region code: a district, a street or a community in your area")
    from_: date = Field(alias="from")
    to: date


@router.post("/insight/reports", response={201: ReportOut}, summary="Make a 研判 report now (on demand)")
def make_report(request, payload: ReportIn):
    user = request.user
    require(user, "insight.view")
    region = _area(user, payload.area)
    made = services.do_make_report(user, region, payload.from_, payload.to)
    return 201, _report_out(made)


@router.get("/insight/reports/{int:id}", response=ReportOut, summary="One 研判 report")
def get_report(request, id: RowId):
    require(request.user, "insight.view")
    found = Report.objects.visible_to(request.user).select_related("region").filter(pk=id).first()
    if found is None:
        raise Http404
    return _report_out(found)
