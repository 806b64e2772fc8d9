"""The statistics page and its .xlsx export, the same for every measure set.

An app describes its page in a `StatsReport` (which counts and rates the cards, the table and the charts show,
its own filters and sentence); `page_view` and `export_view` do the rest with one template
(core/stats.html), one stylesheet (css/stats.css) and one script (js/stats.js) fed by `json_script`.
"""
import json
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wangge.areas.models import Level, Region
from wangge.core.measures import (
    PERIOD_LABELS,
    TREND_LENGTH,
    MeasureSet,
    ParamError,
    StatsQuery,
    back_periods,
    local_midnight,
    next_period,
    parse_or_default,
    parse_query,
    period_start,
)
from wangge.core.measures.export import export_stats
from wangge.core.roles import can

REGION_LEVEL_LABELS = {Level.DISTRICT: gettext_lazy("District"), Level.STREET: gettext_lazy("Street"),
                       Level.COMMUNITY: gettext_lazy("Community"), Level.GRID: gettext_lazy("Grid")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def number(value) -> str:
    """1234 -> "1,234"; 840.0 -> "840"; 12.5 -> "12.5"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


@dataclass(frozen=True)
class Series:
    key: str  # the count in each row
    name: str  # the legend


@dataclass(frozen=True)
class FilterField:
    name: str
    label: str
    choices: list  # [(value, label)]


class StatsReport:
    """What one app's statistics page shows. Subclasses set the attributes; override the methods they vary."""

    measure_set: MeasureSet
    title = ""
    footnote = ""
    table_counts: tuple[str, ...] = ()
    card_rates: tuple[str, ...] = ()
    trend_series: tuple[Series, ...] = ()
    bar_series: tuple[Series, ...] = ()
    pie_group = ""  # the grouping of the pie chart, and the count it shows
    pie_count = ""
    trend_title = bars_title = pie_title = ""
    mean_unit = ""  # "hours" or "days": how the note of a mean measure reads
    export_name = ""  # the .xlsx file name's start
    export_url_name = ""  # the export view's URL name
    sheet_title = ""

    # -- what varies by app ---------------------------------------------------------------------------------

    def count_cards(self, total: dict) -> list[dict]:
        return []

    def summary(self, total: dict) -> str:
        """The figures in one sentence, the way they are published ("" for none)."""
        return ""

    def filter_fields(self, user) -> list[FilterField]:
        return []

    def links(self) -> list[dict]:
        """More buttons beside the export: {"href", "label", "id"}."""
        return []

    def rate_text(self, name: str, measure: dict) -> str:
        return measure["display"]

    def rate_cell(self, measure: dict):
        """A rate's value in the spreadsheet."""
        return measure["display"]

    def extra_columns(self) -> list[tuple[str, object]]:
        """(heading, row -> text) columns of the page's table after the counts."""
        return []

    def extra_cells(self) -> list[tuple[str, object]]:
        """(heading, row -> value) columns of the spreadsheet after the counts."""
        return []

    # -- the same for every app -----------------------------------------------------------------------------

    def is_mean(self, name: str) -> bool:
        return name.endswith(("_hours", "_days"))

    def rate_cards(self, total: dict) -> list[dict]:
        cards = []
        for name in self.card_rates:
            measure = total["measures"][name]
            if self.is_mean(name):
                note = self.mean_note(measure)
            else:
                note = f"{number(measure['numerator'])} / {number(measure['denominator'])}"
            cards.append({"name": name, "label": self.measure_set.rate_labels[name],
                          "value": self.rate_text(name, measure), "note": note, "rate": True})
        return cards

    def mean_note(self, measure: dict) -> str:
        values = {"n": measure["denominator"], "total": number(measure["numerator"])}
        if self.mean_unit == "days":
            return _("%(n)s cases, %(total)s days in all") % values
        return _("%(n)s cases, %(total)s hours in all") % values

    def table(self, stats: dict) -> list[dict]:
        extra = self.extra_columns()
        return [{"label": row["label"], "code": row["code"], "is_total": row["key"] == "total",
                 "counts": [number(row["counts"][n]) for n in self.table_counts],
                 "extra": [value(row) for _heading, value in extra],
                 "rates": [self.rate_text(n, row["measures"][n]) for n in self.card_rates]}
                for row in [*stats["rows"], stats["total"]]]

    def trend(self, user, query: StatsQuery) -> dict:
        """By month: the twelve months up to the window's end, or the window if longer."""
        last = period_start(query.date_to, "month")
        first = min(period_start(query.date_from, "month"), back_periods(last, "month", TREND_LENGTH["month"] - 1))
        trend = self.measure_set.stats(user, query.changed(
            group="period", period="month", region_level=None, start=local_midnight(first),
            end=local_midnight(next_period(last, "month"))), with_total=False)
        return self.series_data(trend["rows"], self.trend_series)

    @staticmethod
    def series_data(rows, series) -> dict:
        return {"labels": [r["label"] for r in rows], **{s.key: [r["counts"][s.key] for r in rows] for s in series}}

    def chart(self, user, query: StatsQuery, data: dict) -> dict:
        parts = data if query.group == self.pie_group else self.measure_set.stats(
            user, query.changed(group=self.pie_group, region_level=None))
        return {"trend": self.trend(user, query), "bars": self.series_data(data["rows"], self.bar_series),
                "pie": [{"name": r["label"], "value": r["counts"][self.pie_count]} for r in parts["rows"]
                        if r["counts"][self.pie_count]]}

    def given(self, mapping, names) -> dict:
        """{name: the value given under the name or its old name, or ""}: what the form shows."""
        legacy = self.measure_set.legacy_names
        return {name: mapping.get(name) or mapping.get(legacy.get(name, "")) or "" for name in names}

    def filter_form(self, user, params, errors) -> list[dict]:
        fields = []
        for f in self.filter_fields(user):
            chosen = params.get(f.name, "")
            fields.append({"name": f.name, "label": f.label, "error": errors.get(f.name),
                           "choices": [(value, label, str(value) == chosen) for value, label in f.choices]})
        return fields

    def context(self, request, query: StatsQuery, errors: dict) -> dict:
        user, ms = request.user, self.measure_set
        data = ms.stats(user, query)
        series = lambda items: json.dumps([{"key": s.key, "name": str(s.name)} for s in items])  # noqa: E731
        return {
            "report": self, "stats": data, "query": query, "errors": errors,
            "chart": self.chart(user, query, data), "summary": self.summary(data["total"]),
            "cards": [*self.count_cards(data["total"]), *self.rate_cards(data["total"])],
            "table": self.table(data),
            "heads": [*(ms.count_labels[n] for n in self.table_counts), *(h for h, _v in self.extra_columns()),
                      *(ms.rate_labels[n] for n in self.card_rates)],
            "groups": [(g, grouping.label) for g, grouping in ms.groups.items()],
            "periods": [(p, PERIOD_LABELS[p]) for p in ms.periods],
            "region_levels": list(REGION_LEVEL_LABELS.items()), "regions": region_choices(user),
            "filters": self.filter_form(user, request.GET, errors),
            "chosen": self.given(request.GET, ("region", "region_level", "from", "to")),
            "field_errors": self.given(errors, ("group_by", "region_level")),
            "export_url": reverse(self.export_url_name), "links": self.links(),
            "export_query": request.GET.urlencode(), "group_label": ms.groups[query.group].label,
            "trend_series": series(self.trend_series), "bar_series": series(self.bar_series),
        }

    # -- the views -------------------------------------------------------------------------------------------

    def require(self, user):
        if not can(user, self.measure_set.permission):
            raise PermissionDenied

    def page_view(self):
        @login_required
        @require_GET
        def stats(request):
            """KPI cards, a monthly trend, a bar chart by the chosen group, a pie, a table."""
            self.require(request.user)
            query, errors = parse_or_default(self.measure_set, request.user, request.GET)
            # Bad filters: the page still answers (with the defaults for the fields at fault), as a 422 naming them.
            return render(request, "core/stats.html", self.context(request, query, errors),
                          status=422 if errors else 200)
        return stats

    def export_view(self):
        @login_required
        @require_GET
        def stats_xlsx(request):
            """The page's table as .xlsx: the same query, the same scope, every count and every rate's parts."""
            self.require(request.user)
            try:
                query = parse_query(self.measure_set, request.user, request.GET)
            except ParamError as exc:
                return HttpResponse("; ".join(f"{k}: {v}" for k, v in exc.errors.items()), status=422,
                                    content_type="text/plain; charset=utf-8")
            filename, content = export_stats(request.user, self, query)
            response = HttpResponse(content, content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return stats_xlsx


def region_choices(user) -> list:
    return list(Region.objects.visible_to(user).filter(level__in=(Level.DISTRICT, Level.STREET, Level.COMMUNITY))
                .order_by("path")[:500])
