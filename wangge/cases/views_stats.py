"""统计考核: the case measures page and its .xlsx export. Numbers from `wangge.cases.measures` only."""
from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wangge.areas.models import Level, Region
from wangge.cases.measures import (
    COUNT_LABELS,
    GROUPS,
    PERIODS,
    RATES,
    TREND_LENGTH,
    ParamError,
    StatsQuery,
    back_periods,
    case_stats,
    local_midnight,
    next_period,
    parse_query,
    period_start,
)
from wangge.core.audit import record as audit_record
from wangge.core.roles import can

GROUP_LABELS = {"region": "按区域", "department": "按部门", "category": "按小类", "major": "按大类", "period": "按时间"}
PERIOD_LABELS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年"}
LEVEL_LABELS = {Level.DISTRICT: "区", Level.STREET: "街道", Level.COMMUNITY: "社区", Level.GRID: "网格"}
# The rates on the cards and in the table, in the order a command centre reads them.
CARD_RATES = ("register_rate", "dispatch_rate", "close_rate", "on_time_rate", "rework_rate", "extension_rate",
              "satisfaction_rate", "strict_satisfaction_rate", "self_resolve_rate", "accept_hours", "close_hours")
TABLE_COUNTS = ("received", "registered", "rejected", "merged", "self_resolved", "dispatched", "closed",
                "closed_on_time", "due", "overdue_open")
HOURS = ("accept_hours", "close_hours")


def _require(user):
    if not can(user, "cases.stats"):
        raise PermissionDenied


def _query(request) -> tuple[StatsQuery | None, dict]:
    try:
        return parse_query(request.user, request.GET), {}
    except ParamError as exc:
        fallback = {k: v for k, v in request.GET.items() if k not in exc.errors}
        return parse_query(request.user, fallback), exc.errors


def _with(query: StatsQuery, **changes) -> StatsQuery:
    return StatsQuery(**{**query.__dict__, **changes})


def _trend(user, query: StatsQuery) -> dict:
    """Received and closed by month: the twelve months up to the window's end, or the window if longer."""
    last = period_start(query.date_to, "month")
    first = min(period_start(query.date_from, "month"), back_periods(last, "month", TREND_LENGTH["month"] - 1))
    trend = case_stats(user, _with(query, group="period", period="month", level=None, start=local_midnight(first),
                                   end=local_midnight(next_period(last, "month"))))
    return {"labels": [r["label"] for r in trend["rows"]],
            "received": [r["counts"]["received"] for r in trend["rows"]],
            "closed": [r["counts"]["closed"] for r in trend["rows"]]}


def _pct(measure) -> str:
    return "—" if measure["rate"] is None else f"{measure['rate'] * 100:.1f}%"


def _value(name, measure) -> str:
    if name in HOURS:
        return "—" if measure["rate"] is None else f"{measure['rate']:.1f}"
    return _pct(measure)


def _cards(total: dict) -> list[dict]:
    cards = []
    for name in CARD_RATES:
        m = total["measures"][name]
        if name in HOURS:
            note = f"{m['denominator']} 件，共 {m['numerator']:g} 小时"
        else:
            note = f"{m['numerator']:g} / {m['denominator']}"
        cards.append({"name": name, "label": RATES[name], "value": _value(name, m), "note": note})
    return cards


def _table_rows(stats: dict) -> list[dict]:
    out = []
    for row in [*stats["rows"], stats["total"]]:
        out.append({"label": row["label"], "code": row["code"], "is_total": row["key"] == "total",
                    "counts": [row["counts"][n] for n in TABLE_COUNTS],
                    "rates": [_value(n, row["measures"][n]) for n in CARD_RATES]})
    return out


def _region_choices(user):
    return list(Region.objects.visible_to(user).filter(level__in=(Level.DISTRICT, Level.STREET, Level.COMMUNITY))
                .order_by("path")[:500])


@login_required
@require_GET
def stats(request):
    """统计考核: KPI cards, a monthly trend, a bar chart by the chosen group, a pie by major class, a table."""
    _require(request.user)
    query, errors = _query(request)
    data = case_stats(request.user, query)
    majors = data if query.group == "major" else case_stats(request.user, _with(query, group="major", level=None))
    chart = {
        "trend": _trend(request.user, query),
        "bars": {"labels": [r["label"] for r in data["rows"]],
                 "received": [r["counts"]["received"] for r in data["rows"]],
                 "closed": [r["counts"]["closed"] for r in data["rows"]]},
        "pie": [{"name": r["label"], "value": r["counts"]["received"]} for r in majors["rows"]
                if r["counts"]["received"]],
    }
    context = {
        "stats": data, "query": query, "errors": errors, "chart": chart, "cards": _cards(data["total"]),
        "table": _table_rows(data), "count_heads": [COUNT_LABELS[n] for n in TABLE_COUNTS],
        "rate_heads": [RATES[n] for n in CARD_RATES],
        "groups": [(g, GROUP_LABELS[g]) for g in GROUPS], "periods": [(p, PERIOD_LABELS[p]) for p in PERIODS],
        "levels": list(LEVEL_LABELS.items()), "regions": _region_choices(request.user),
        "export_query": request.GET.urlencode(), "group_label": GROUP_LABELS[query.group],
    }
    # Bad filters: the page still answers (with the defaults for the fields at fault), as a 422 naming them.
    return render(request, "cases/stats.html", context, status=422 if errors else 200)


@login_required
@require_GET
def stats_xlsx(request):
    """The page's table as .xlsx: the same query, the same scope, every count and every rate's parts."""
    from openpyxl import Workbook

    _require(request.user)
    try:
        query = parse_query(request.user, request.GET)
    except ParamError as exc:
        return HttpResponse("; ".join(f"{k}: {v}" for k, v in exc.errors.items()), status=422,
                            content_type="text/plain; charset=utf-8")
    data = case_stats(request.user, query)
    book = Workbook()
    sheet = book.active
    sheet.title = "考核指标"
    where = data["region"]["name"] if data["region"] else "全部"
    sheet.append([f"{where} {data['from']} 至 {data['to']} {GROUP_LABELS[query.group]}"])
    counts = list(COUNT_LABELS)
    head = ["名称", "编码", *[COUNT_LABELS[n] for n in counts]]
    for name in RATES:
        head += [RATES[name], f"{RATES[name]}分子", f"{RATES[name]}分母"]
    sheet.append(head)
    for row in [*data["rows"], data["total"]]:
        cells = [row["label"], row["code"], *[row["counts"][n] for n in counts]]
        for name in RATES:
            m = row["measures"][name]
            cells += [m["rate"], m["numerator"], m["denominator"]]
        sheet.append(cells)
    out = BytesIO()
    book.save(out)
    audit_record(request.user, "cases.stats_export", None, group=query.group, region=where,
                 date_from=data["from"], date_to=data["to"])
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="case-measures-{data["from"]}-{data["to"]}.xlsx"'
    return response
