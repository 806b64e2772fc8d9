"""矛盾纠纷统计: the ledger's measures page and its .xlsx export (on the measures engine, `wangge.core.measures`),
and the mediators' ranking (十佳调解员). Formulas in docs/mediation-measures.md."""
import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from wangge.core.measures.pages import FilterField, Series, StatsReport, number, region_choices
from wangge.mediation.measures import (
    DISPUTES,
    RATES,
    ParamError,
    mediator_ranking,
    parse_ranking,
)
from wangge.mediation.models import Committee, Dispute, DisputeType, Level, Mediator


def summary(total: dict) -> str:
    """The ledger in one sentence, the way the figures are published."""
    c, m = total["counts"], total["measures"]
    return _("%(found)s disputes found by screening, %(resolved)s resolved, resolution rate %(found_rate)s; "
             "%(mediated)s mediated, %(successful)s successfully, success rate %(success_rate)s, %(parties)s parties "
             "involved, agreements worth %(wan)s ten-thousand yuan") % {
        "found": number(c["found"]), "resolved": number(c["resolved"]),
        "found_rate": m["found_success_rate"]["display"], "mediated": number(c["mediated"]),
        "successful": number(c["successful"]), "success_rate": m["mediation_success_rate"]["display"],
        "parties": number(c["parties"]), "wan": total["amount"]["wan_display"]}


def _seen_disputes(user):
    visible = Dispute.objects.visible_to(user)
    if visible.query.distinct:
        visible = Dispute.objects.filter(pk__in=visible.values("pk"))
    return visible


class DisputeStatsReport(StatsReport):
    measure_set = DISPUTES
    title = gettext_lazy("Dispute statistics")
    footnote = gettext_lazy(
        "How it is counted: screening and acceptance count by the time registered, mediation "
        "by the time accepted, conclusion by the time concluded and referrals by the time referred; rates are "
        "rounded half-up to two decimal places.")
    card_rates = tuple(RATES)
    table_counts = ("registered", "found", "resolved", "accepted", "mediated", "successful", "parties", "closed",
                    "settled", "group_prevented", "referrals", "referrals_settled")
    trend_series = (Series("found", gettext_lazy("Found by screening")), Series("mediated", gettext_lazy("Mediated")),
                    Series("successful", gettext_lazy("Mediated successfully")))
    bar_series = trend_series[1:]
    pie_group, pie_count = "type", "mediated"
    trend_title = gettext_lazy("Screening, mediation and success by month")
    bars_title = gettext_lazy("Mediation and success")
    pie_title = gettext_lazy("Mediated by dispute type")
    mean_unit = "days"
    export_name, export_url_name = "dispute-measures", "mediation:stats_xlsx"
    sheet_title = gettext_lazy("Dispute statistics")

    def summary(self, total: dict) -> str:
        return summary(total)

    def count_cards(self, total: dict) -> list[dict]:
        c, n = total["counts"], number
        return [
            {"name": "found", "label": _("Found by screening"), "value": n(c["found"]),
             "note": _("%(n)s resolved") % {"n": n(c["resolved"])}},
            {"name": "mediated", "label": _("Mediated"), "value": n(c["mediated"]),
             "note": _("%(n)s successful") % {"n": n(c["successful"])}},
            {"name": "parties", "label": _("Parties involved"), "value": n(c["parties"]),
             "note": pgettext("count of parties", "people")},
            {"name": "amount", "label": _("Agreement amount (10,000 yuan)"), "value": total["amount"]["wan_display"],
             "note": _("%(yuan)s yuan") % {"yuan": total["amount"]["yuan"]}},
            {"name": "group_prevented", "label": _("Group incidents prevented"), "value": n(c["group_prevented"]),
             "note": pgettext("unit", "disputes")},
            {"name": "accepted", "label": _("Accepted disputes"), "value": n(c["accepted"]),
             "note": _("%(n)s registered") % {"n": n(c["registered"])}},
            {"name": "closed", "label": _("Concluded"), "value": n(c["closed"]),
             "note": _("%(n)s of them successful") % {"n": n(c["settled"])}},
            {"name": "referrals", "label": _("Pre-litigation referrals"), "value": n(c["referrals"]),
             "note": _("settled %(settled)s, returned %(returned)s, in progress %(pending)s") % {
                 "settled": c["referrals_settled"], "returned": c["referrals_returned"],
                 "pending": c["referrals_pending"]}},
        ]

    def extra_columns(self):
        return [(_("Agreement amount (10,000 yuan)"), lambda row: row["amount"]["wan_display"])]

    def extra_cells(self):
        return [(_("Agreement amount (yuan)"), lambda row: float(row["amount"]["yuan"])),
                (_("Agreement amount (10,000 yuan)"), lambda row: float(row["amount"]["wan"]))]

    def links(self) -> list[dict]:
        return [{"href": reverse("mediation:stats_mediators"), "label": _("Mediator ranking"), "id": "stats-ranking"}]

    def filter_fields(self, user) -> list[FilterField]:
        """Committees and mediators that appear on disputes the user may see (each named on a dispute the user
        may open, so nothing outside the area is listed)."""
        seen = _seen_disputes(user)
        committees = Committee.objects.filter(pk__in=seen.values("committee_id")).order_by("level", "name")[:500]
        mediators = Mediator.objects.filter(pk__in=seen.values("mediator_id")).order_by("name", "id")[:500]
        return [
            FilterField("level", _("Mediation level"), list(Level.choices)),
            FilterField("type", _("Dispute type"), list(DisputeType.choices)),
            FilterField("committee", _("Mediation committee"), [(c.pk, c.name) for c in committees]),
            FilterField("mediator", _("Mediator"), [(m.pk, m.name) for m in mediators]),
        ]


REPORT = DisputeStatsReport()
stats = REPORT.page_view()
stats_xlsx = REPORT.export_view()


@login_required
@require_GET
def mediators(request):
    """调解员排名: each mediator's record for a year and the ranking (十佳调解员)."""
    REPORT.require(request.user)
    try:
        query, errors = parse_ranking(request.user, request.GET), {}
    except ParamError as exc:
        errors = exc.errors
        query = parse_ranking(request.user, {k: v for k, v in request.GET.items() if k not in errors})
    data = mediator_ranking(request.user, query)
    top = data["ranking"][:data["top"]]
    chart = {"labels": [r["name"] for r in top], "agreed": [r["agreed"] for r in top],
             "cases": [r["cases"] for r in top]}
    series = [{"key": "cases", "name": _("Mediated")}, {"key": "agreed", "name": _("Mediated successfully")}]
    this_year = timezone.localdate().year
    context = {"data": data, "errors": errors, "chart": chart, "series": json.dumps(series, ensure_ascii=False),
               "years": list(range(this_year, this_year - 6, -1)), "regions": region_choices(request.user),
               "chosen_region": request.GET.get("region", "")}
    return render(request, "mediation/stats_mediators.html", context, status=422 if errors else 200)
