"""The assessment API (考核): schemes, periods and their rankings, scores with the records behind them, spot checks,
appeals and exclusions, allowances and the files. See docs/assessment.md.

Reads go through `visible_to` (a scheme, period, score or appeal outside the caller's area answers 404); writes
through the operations in services.py, whose refusals become statuses in wangge/core/refusals.py (a finalised period
409, an appeal out of time 409, someone else's score 403, bad input 422 naming the field). Nothing changes on a
refusal.
"""
from datetime import date, datetime
from typing import Annotated

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from wangge.areas.models import Region
from wangge.core.api_errors import query_choice
from wangge.core.numbers import Count, RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.refusals import require
from wangge.core.scoping import get_visible_or_404
from wangge.insight.assessment import reading, services
from wangge.insight.assessment.exports import DOCX, XLSX
from wangge.insight.assessment.indicators import REGISTRY
from wangge.insight.assessment.models import Appeal, Period, PeriodState, Scheme, Score, TargetType
from wangge.insight.assessment.workflow import FLOW

router = Router(tags=["assessment"])


class SchemeOut(Schema):
    id: int
    name: str
    target_type: str
    period_unit: str
    region: str
    region_name: str
    indicators: list[dict]
    allowance_rule: dict
    appeal_days: int
    active: bool
    version: int


class SchemeIn(Schema):
    name: str
    region: str | None = None  # a region code; on create only
    target_type: str | None = None  # on create only
    indicators: list[dict]
    allowance_rule: dict = {}
    appeal_days: Count = 5
    active: bool = True
    version: Count | None = None


class PeriodOut(Schema):
    id: int
    scheme: int
    scheme_name: str
    target_type: str
    label: str
    start: date
    end: date
    state: str
    computed_at: datetime | None = None
    published_at: datetime | None = None
    appeal_until: datetime | None = None
    finalised_at: datetime | None = None
    version: int


class ScoreOut(Schema):
    id: int
    period: int
    target_type: str
    label: str
    total: float | None = None
    rating: str
    rank: int | None = None
    allowance: float | None = None
    indicators: dict


class PeriodDetail(PeriodOut):
    scores: list[ScoreOut]


class PeriodIn(Schema):
    scheme: RowId
    start: str


class RecordOut(Schema):
    kind: str
    id: int
    number: str
    title: str
    url: str
    counted: bool


class AppealOut(Schema):
    id: int
    number: str
    score: int
    kind: str
    state: str
    reason: str
    records: list[dict]
    submitted_at: datetime
    decided_at: datetime | None = None
    decision: str
    total_before: float | None = None
    total_after: float | None = None
    version: int


class AppealDetail(AppealOut):
    allowed_actions: list[str]
    timeline: list[dict]


class AppealIn(Schema):
    kind: str = "appeal"
    reason: str
    records: list[dict] = []


class ActionIn(Schema):
    version: Count
    decision: str = ""


class PeriodFilters(Schema):
    target_type: str | None = None
    state: str | None = None


class YearQuery(Schema):
    year: Annotated[int, Field(ge=2000, le=2100)] | None = None


def _float(value):
    return None if value is None else float(value)


def _scheme_out(s: Scheme) -> dict:
    return {"id": s.pk, "name": s.name, "target_type": s.target_type, "period_unit": s.period_unit,
            "region": s.region.code, "region_name": s.region.name, "indicators": s.indicators,
            "allowance_rule": s.allowance_rule, "appeal_days": s.appeal_days, "active": s.active, "version": s.version}


def _period_out(p: Period) -> dict:
    return {"id": p.pk, "scheme": p.scheme_id, "scheme_name": p.scheme.name, "target_type": p.scheme.target_type,
            "label": p.label, "start": p.start, "end": p.end, "state": p.state, "computed_at": p.computed_at,
            "published_at": p.published_at, "appeal_until": p.appeal_until, "finalised_at": p.finalised_at,
            "version": p.version}


def _score_out(s: Score) -> dict:
    return {"id": s.pk, "period": s.period_id, "target_type": s.target_type, "label": s.label,
            "total": _float(s.total), "rating": s.rating, "rank": s.rank, "allowance": _float(s.allowance),
            "indicators": s.indicators}


def _appeal_out(a: Appeal) -> dict:
    return {"id": a.pk, "number": a.number, "score": a.score_id, "kind": a.kind, "state": a.state,
            "reason": a.reason, "records": a.records, "submitted_at": a.submitted_at, "decided_at": a.decided_at,
            "decision": a.decision, "total_before": _float(a.total_before), "total_after": _float(a.total_after),
            "version": a.version}


def _file(content: bytes, name: str, kind: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _visible(request, model, id):
    require(request.user, "assessment.view")
    return get_visible_or_404(model.objects.select_related(*_related(model)), request.user, pk=id)


def _related(model):
    return {Scheme: ("region",), Period: ("scheme__region",), Score: ("period__scheme__region", "user__region"),
            Appeal: ("score__period__scheme__region",)}[model]


def scores_of(user, period):
    return (Score.objects.visible_to(user).filter(period=period).select_related("user__region", "period__scheme")
            .order_by("rank", "label", "id"))


# --- schemes -------------------------------------------------------------------------------------------------------

@router.get("/assessment/indicators", summary="The indicators a scheme may weigh 考核指标")
def list_indicators(request):
    require(request.user, "assessment.view")
    return [{"code": i.code, "label": str(i.label), "unit": i.unit, "target_types": sorted(i.by) if i.by
             else list(TargetType.values), "description": str(i.description)} for i in REGISTRY.values()]


@router.get("/assessment/schemes", response=list[SchemeOut], summary="Assessment schemes 考核方案")
def list_schemes(request):
    require(request.user, "assessment.view")
    return [_scheme_out(s) for s in Scheme.objects.visible_to(request.user).select_related("region")]


@router.get("/assessment/schemes/{int:id}", response=SchemeOut, summary="One scheme")
def get_scheme(request, id: RowId):
    return _scheme_out(_visible(request, Scheme, id))


@router.post("/assessment/schemes", response={201: SchemeOut}, summary="Create a scheme 新建考核方案")
def create_scheme(request, body: SchemeIn):
    require(request.user, "assessment.manage")
    region = get_visible_or_404(Region, request.user, code=(body.region or "")[:20])
    scheme = services.do_save_scheme(request.user, name=body.name, region=region, target_type=body.target_type,
                                     indicators=body.indicators, allowance_rule=body.allowance_rule,
                                     appeal_days=body.appeal_days, active=body.active)
    return Status(201, _scheme_out(scheme))


@router.put("/assessment/schemes/{int:id}", response=SchemeOut, summary="Edit a scheme 修改考核方案")
def edit_scheme(request, id: RowId, body: SchemeIn):
    scheme = _visible(request, Scheme, id)
    scheme = services.do_save_scheme(request.user, scheme, name=body.name, indicators=body.indicators,
                                     allowance_rule=body.allowance_rule, appeal_days=body.appeal_days,
                                     active=body.active, expected_version=body.version)
    return _scheme_out(scheme)


# --- periods -------------------------------------------------------------------------------------------------------

@router.get("/assessment/periods", response=list[PeriodOut], summary="Assessment periods 考核期")
@paginate(LimitOffsetPagination)
def list_periods(request, filters: Query[PeriodFilters]):
    require(request.user, "assessment.view")
    periods = Period.objects.visible_to(request.user).select_related("scheme__region")
    if filters.target_type:
        periods = periods.filter(scheme__target_type=query_choice(filters.target_type, TargetType, "target_type"))
    if filters.state:
        periods = periods.filter(state=query_choice(filters.state, PeriodState, "state"))
    return [_period_out(p) for p in periods.order_by("-start", "scheme_id", "id")]


@router.get("/assessment/periods/{int:id}", response=PeriodDetail, summary="A period and its ranking 考核通报")
def get_period(request, id: RowId):
    period = _visible(request, Period, id)
    return {**_period_out(period), "scores": [_score_out(s) for s in scores_of(request.user, period)]}


@router.post("/assessment/periods", response={201: PeriodDetail}, summary="Open and compute a period 开始考核")
def open_period(request, body: PeriodIn):
    scheme = _visible(request, Scheme, body.scheme)
    period = services.do_open_period(request.user, scheme, body.start)
    return Status(201, {**_period_out(period), "scores": [_score_out(s) for s in scores_of(request.user, period)]})


PERIOD_ACTIONS = {"compute": services.do_compute, "publish": services.do_publish, "finalise": services.do_finalise}


@router.post("/assessment/periods/{int:id}/actions/{action}", response=PeriodOut,
             summary="Recompute, publish (通报) or finalise (定稿) a period")
def period_action(request, id: RowId, action: str):
    period = _visible(request, Period, id)
    operation = PERIOD_ACTIONS.get(query_choice(action, list(PERIOD_ACTIONS), "action"))
    return _period_out(operation(request.user, period))


@router.get("/assessment/periods/{int:id}/ranking.xlsx", summary="The ranking as .xlsx")
def ranking_xlsx(request, id: RowId):
    period = _visible(request, Period, id)
    scores = list(scores_of(request.user, period))
    return _file(services.do_export_ranking(request.user, period, scores), f"ranking-{period.pk}.xlsx", XLSX)


@router.get("/assessment/periods/{int:id}/allowances", response=list[ScoreOut],
            summary="Grid workers' allowances of a period 网格员补贴")
def allowances(request, id: RowId):
    period = _visible(request, Period, id)
    return [_score_out(s) for s in scores_of(request.user, period).filter(target_type=TargetType.GRID_WORKER)]


@router.get("/assessment/periods/{int:id}/payroll.xlsx", summary="The allowance payroll sheet 补贴发放表")
def payroll_xlsx(request, id: RowId):
    period = _visible(request, Period, id)
    require(request.user, "assessment.manage")
    scores = list(scores_of(request.user, period))
    return _file(services.do_export_payroll(request.user, period, scores), f"payroll-{period.pk}.xlsx", XLSX)


@router.get("/assessment/periods/{int:id}/report.docx", summary="The finalised assessment 考核结果通报 (.docx)")
def report_docx(request, id: RowId):
    period = _visible(request, Period, id)
    scores = list(scores_of(request.user, period))
    return _file(services.do_export_report(request.user, period, scores), f"assessment-{period.pk}.docx", DOCX)


@router.post("/assessment/periods/{int:id}/spot-checks", response={201: ScoreOut}, summary="A spot check 抽查")
def spot_check(request, id: RowId, target: Form[str], score: Form[str], note: Form[str],
               evidence: File[list[UploadedFile]] = None):
    period = _visible(request, Period, id)
    services.do_spot_check(request.user, period, target[:16], score=score, note=note, files=evidence or [])
    found = get_object_or_404(scores_of(request.user, period), **_target_lookup(target))
    return Status(201, _score_out(found))


def _target_lookup(key: str) -> dict:
    field = {"u": "user_id", "r": "region_id", "d": "department_id"}.get(key[:1], "user_id")
    return {field: int(key[1:]) if key[1:].isdigit() else 0}


# --- scores --------------------------------------------------------------------------------------------------------

@router.get("/assessment/scores/{int:id}", response=ScoreOut, summary="One score with its indicators")
def get_score(request, id: RowId):
    return _score_out(_visible(request, Score, id))


@router.get("/assessment/scores/{int:id}/records", response=list[RecordOut],
            summary="The records behind one indicator of a score (drill-down)")
def score_records(request, id: RowId, indicator: str):
    score = _visible(request, Score, id)
    code = query_choice(indicator, list(score.indicators), "indicator")
    return reading.record_rows(request.user, services.drill_down(score, code))


@router.get("/assessment/scores/{int:id}/appeals", response=list[AppealOut], summary="Appeals on a score")
def score_appeals(request, id: RowId):
    score = _visible(request, Score, id)
    return [_appeal_out(a) for a in score.appeals.order_by("-submitted_at", "-id")]


@router.post("/assessment/scores/{int:id}/appeals", response={201: AppealDetail},
             summary="Appeal (申诉) or ask for an exclusion (免责)")
def submit_appeal(request, id: RowId, body: AppealIn):
    score = _visible(request, Score, id)
    appeal = services.do_submit_appeal(request.user, score, kind=body.kind, reason=body.reason, records=body.records)
    return Status(201, _appeal_detail(request.user, appeal))


# --- appeals -------------------------------------------------------------------------------------------------------

def _appeal_detail(user, appeal) -> dict:
    from wangge.core.staff import timeline_rows

    timeline = [{"at": row["event"].at, "who": str(row["who"]), "action": row["event"].action,
                 "note": row["event"].note, "details": row["event"].details}
                for row in timeline_rows(user, appeal.events.all())]
    return {**_appeal_out(appeal), "allowed_actions": FLOW.allowed_actions(appeal, user), "timeline": timeline}


@router.get("/assessment/appeals", response=list[AppealOut], summary="Appeals and exclusions in my area 申诉")
@paginate(LimitOffsetPagination)
def list_appeals(request):
    require(request.user, "assessment.view")
    return [_appeal_out(a) for a in Appeal.objects.visible_to(request.user).order_by("-submitted_at", "-id")]


@router.get("/assessment/appeals/{int:id}", response=AppealDetail, summary="One appeal with its timeline")
def get_appeal(request, id: RowId):
    return _appeal_detail(request.user, _visible(request, Appeal, id))


@router.post("/assessment/appeals/{int:id}/actions/{action}", response=AppealDetail,
             summary="Accept (recompute) or reject an appeal")
def act_on_appeal(request, id: RowId, action: str, body: ActionIn):
    appeal = _visible(request, Appeal, id)
    appeal = services.do_act(request.user, appeal, action, expected_version=body.version, decision=body.decision)
    return _appeal_detail(request.user, appeal)


# --- the year's best -----------------------------------------------------------------------------------------------

@router.get("/assessment/top-grid-workers", summary="The year's best grid workers 十佳网格员")
def top_grid_workers(request, query: Query[YearQuery]):
    require(request.user, "assessment.view")
    year = _year(query.year)
    return {"year": year, "rows": [{**r, "mean": float(r["mean"])} for r in reading.top_grid_workers(request.user,
                                                                                                      year)]}


def _year(value) -> int:
    from django.utils import timezone

    from wangge.core.api_errors import field_error

    if value is None:
        return timezone.localdate().year
    if not 2000 <= value <= 2100:
        raise field_error("query", "year", _("year must be a number from 2000 to 2100"))
    return value
