"""矛盾纠纷统计: the ledger's measures page, its .xlsx export and the mediators' ranking (十佳调解员).
Numbers from `wangge.mediation.measures` only; formulas in docs/mediation-measures.md."""
from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.cases.measures import back_periods, local_midnight, next_period, period_start
from wangge.core.audit import record as audit_record
from wangge.core.roles import can
from wangge.mediation.measures import (
    COUNT_LABELS,
    DAYS,
    GROUPS,
    LEVEL_LABELS,
    PERIODS,
    RATES,
    TYPE_LABELS,
    ParamError,
    StatsQuery,
    dispute_stats,
    mediator_ranking,
    parse_query,
    parse_ranking,
)
from wangge.mediation.models import Committee, Dispute, Mediator

GROUP_LABELS = {"region": "按区域", "level": "按调解层级", "type": "按纠纷类型", "committee": "按调解组织",
                "mediator": "按调解员", "period": "按时间"}
PERIOD_LABELS = {"month": "月", "quarter": "季度", "year": "年"}
REGION_LEVEL_LABELS = {RegionLevel.DISTRICT: "区", RegionLevel.STREET: "街道", RegionLevel.COMMUNITY: "社区",
                       RegionLevel.GRID: "网格"}
TABLE_COUNTS = ("registered", "found", "resolved", "accepted", "mediated", "successful", "parties", "closed",
                "settled", "group_prevented", "referrals", "referrals_settled")
CARD_RATES = tuple(RATES)


def _require(user):
    if not can(user, "mediation.stats"):
        raise PermissionDenied


def _query(request) -> tuple[StatsQuery, dict]:
    try:
        return parse_query(request.user, request.GET), {}
    except ParamError as exc:
        fallback = {k: v for k, v in request.GET.items() if k not in exc.errors}
        try:
            return parse_query(request.user, fallback), exc.errors
        except ParamError:  # "to" before the default "from": drop the dates too
            fallback = {k: v for k, v in fallback.items() if k not in ("from", "to", "year")}
            return parse_query(request.user, fallback), exc.errors


def _with(query: StatsQuery, **changes) -> StatsQuery:
    return StatsQuery(**{**query.__dict__, **changes})


def _n(value) -> str:
    return f"{value:,}"


def summary(total: dict) -> str:
    """The ledger in one sentence, the way the figures are published."""
    c, m = total["counts"], total["measures"]
    return (f"排查发现矛盾纠纷 {_n(c['found'])} 件，化解 {_n(c['resolved'])} 件，化解率 {m['found_success_rate']['display']}；"
            f"调解 {_n(c['mediated'])} 件，调解成功 {_n(c['successful'])} 件，调解成功率 "
            f"{m['mediation_success_rate']['display']}，涉及当事人 {_n(c['parties'])} 人，"
            f"协议金额 {total['amount']['wan_display']} 万元")


def _trend(user, query: StatsQuery) -> dict:
    """Found, mediated and successful by month: the twelve months up to the window's end, or the window if longer."""
    last = period_start(query.date_to, "month")
    first = min(period_start(query.date_from, "month"), back_periods(last, "month", 11))
    trend = dispute_stats(user, _with(query, group="period", period="month", region_level=None,
                                      start=local_midnight(first), end=local_midnight(next_period(last, "month"))))
    rows = trend["rows"]
    return {"labels": [r["label"] for r in rows], "found": [r["counts"]["found"] for r in rows],
            "mediated": [r["counts"]["mediated"] for r in rows],
            "successful": [r["counts"]["successful"] for r in rows]}


def _cards(total: dict) -> list[dict]:
    c, m = total["counts"], total["measures"]
    cards = [
        {"name": "found", "label": "排查发现", "value": _n(c["found"]), "note": f"化解 {_n(c['resolved'])} 件"},
        {"name": "mediated", "label": "调解", "value": _n(c["mediated"]), "note": f"成功 {_n(c['successful'])} 件"},
        {"name": "parties", "label": "涉及当事人", "value": _n(c["parties"]), "note": "人"},
        {"name": "amount", "label": "协议金额（万元）", "value": total["amount"]["wan_display"],
         "note": f"{total['amount']['yuan']} 元"},
        {"name": "group_prevented", "label": "防止群体性事件", "value": _n(c["group_prevented"]), "note": "件"},
        {"name": "accepted", "label": "受理", "value": _n(c["accepted"]), "note": f"登记 {_n(c['registered'])} 件"},
        {"name": "closed", "label": "办结", "value": _n(c["closed"]), "note": f"其中成功 {_n(c['settled'])} 件"},
        {"name": "referrals", "label": "诉前移送", "value": _n(c["referrals"]),
         "note": f"调成 {c['referrals_settled']}，退回 {c['referrals_returned']}，在办 {c['referrals_pending']}"},
    ]
    for name in CARD_RATES:
        measure = m[name]
        note = (f"{measure['denominator']} 件，共 {measure['numerator']:g} 天" if name in DAYS
                else f"{_n(measure['numerator'])} / {_n(measure['denominator'])}")
        cards.append({"name": name, "label": RATES[name], "value": measure["display"], "note": note, "rate": True})
    return cards


def _table_rows(stats: dict) -> list[dict]:
    return [{"label": row["label"], "code": row["code"], "is_total": row["key"] == "total",
             "counts": [_n(row["counts"][n]) for n in TABLE_COUNTS], "amount": row["amount"]["wan_display"],
             "rates": [row["measures"][n]["display"] for n in CARD_RATES]}
            for row in [*stats["rows"], stats["total"]]]


def _choices(user):
    """Regions of the user's area; committees and mediators that appear on disputes the user may see (each
    named on a dispute the user may open, so nothing outside the area is listed)."""
    visible = Dispute.objects.visible_to(user)
    if visible.query.distinct:
        visible = Dispute.objects.filter(pk__in=visible.values("pk"))
    regions = list(Region.objects.visible_to(user).filter(
        level__in=(RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY)).order_by("path")[:500])
    committees = list(Committee.objects.filter(pk__in=visible.values("committee_id")).order_by("level", "name")[:500])
    mediators = list(Mediator.objects.filter(pk__in=visible.values("mediator_id")).order_by("name", "id")[:500])
    return regions, committees, mediators


@login_required
@require_GET
def stats(request):
    """矛盾纠纷统计: the published sentence, KPI cards, a monthly trend, bars by the chosen group, types, a table."""
    _require(request.user)
    query, errors = _query(request)
    data = dispute_stats(request.user, query)
    types = data if query.group == "type" else dispute_stats(request.user, _with(query, group="type",
                                                                                 region_level=None))
    chart = {
        "trend": _trend(request.user, query),
        "bars": {"labels": [r["label"] for r in data["rows"]],
                 "mediated": [r["counts"]["mediated"] for r in data["rows"]],
                 "successful": [r["counts"]["successful"] for r in data["rows"]]},
        "pie": [{"name": r["label"], "value": r["counts"]["mediated"]} for r in types["rows"]
                if r["counts"]["mediated"]],
    }
    regions, committees, mediators = _choices(request.user)
    context = {
        "stats": data, "query": query, "errors": errors, "chart": chart, "cards": _cards(data["total"]),
        "summary": summary(data["total"]), "table": _table_rows(data),
        "count_heads": [COUNT_LABELS[n] for n in TABLE_COUNTS], "rate_heads": [RATES[n] for n in CARD_RATES],
        "groups": [(g, GROUP_LABELS[g]) for g in GROUPS], "periods": [(p, PERIOD_LABELS[p]) for p in PERIODS],
        "region_levels": list(REGION_LEVEL_LABELS.items()), "levels": list(LEVEL_LABELS.items()),
        "types": list(TYPE_LABELS.items()), "regions": regions, "committees": committees, "mediators": mediators,
        "export_query": request.GET.urlencode(), "group_label": GROUP_LABELS[query.group],
        "chosen": {k: request.GET.get(k, "") for k in ("level", "type", "committee", "mediator", "region",
                                                       "region_level", "from", "to", "year")},
    }
    # Bad filters: the page still answers (with the defaults for the fields at fault), as a 422 naming them.
    return render(request, "mediation/stats.html", context, status=422 if errors else 200)


@login_required
@require_GET
def stats_xlsx(request):
    """The page's table as .xlsx: the same query, the same scope, every count, the amount and each rate's parts."""
    from openpyxl import Workbook

    _require(request.user)
    try:
        query = parse_query(request.user, request.GET)
    except ParamError as exc:
        return HttpResponse("; ".join(f"{k}: {v}" for k, v in exc.errors.items()), status=422,
                            content_type="text/plain; charset=utf-8")
    data = dispute_stats(request.user, query)
    book = Workbook()
    sheet = book.active
    sheet.title = "矛盾纠纷统计"
    where = data["region"]["name"] if data["region"] else "全部"
    sheet.append([f"{where} {data['from']} 至 {data['to']} {GROUP_LABELS[query.group]}"])
    sheet.append([summary(data["total"])])
    counts = list(COUNT_LABELS)
    head = ["名称", "编码", *[COUNT_LABELS[n] for n in counts], "协议金额（元）", "协议金额（万元）"]
    for name in RATES:
        head += [RATES[name], f"{RATES[name]}分子", f"{RATES[name]}分母"]
    sheet.append(head)
    for row in [*data["rows"], data["total"]]:
        cells = [row["label"], row["code"], *[row["counts"][n] for n in counts], float(row["amount"]["yuan"]),
                 float(row["amount"]["wan"])]
        for name in RATES:
            m = row["measures"][name]
            cells += [m["display"], m["numerator"], m["denominator"]]
        sheet.append(cells)
    out = BytesIO()
    book.save(out)
    audit_record(request.user, "mediation.stats_export", None, group_by=query.group, region=where,
                 date_from=data["from"], date_to=data["to"])
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="dispute-measures-{data["from"]}-{data["to"]}.xlsx"'
    return response


@login_required
@require_GET
def mediators(request):
    """调解员排名: each mediator's record for a year and the ranking (十佳调解员)."""
    _require(request.user)
    try:
        query, errors = parse_ranking(request.user, request.GET), {}
    except ParamError as exc:
        errors = exc.errors
        query = parse_ranking(request.user, {k: v for k, v in request.GET.items() if k not in errors})
    data = mediator_ranking(request.user, query)
    top = data["ranking"][:data["top"]]
    chart = {"labels": [r["name"] for r in top], "agreed": [r["agreed"] for r in top],
             "cases": [r["cases"] for r in top]}
    this_year = timezone.localdate().year
    context = {"data": data, "errors": errors, "chart": chart, "years": list(range(this_year, this_year - 6, -1)),
               "regions": _choices(request.user)[0], "chosen_region": request.GET.get("region", "")}
    return render(request, "mediation/stats_mediators.html", context, status=422 if errors else 200)

