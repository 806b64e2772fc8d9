"""统计考核: the case measures page and its .xlsx export, on the measures engine (`wangge.core.measures`)."""
from django.utils.translation import gettext_lazy, pgettext_lazy

from wangge.cases.measures import CASES
from wangge.core.measures.pages import Series, StatsReport, number


class CaseStatsReport(StatsReport):
    measure_set = CASES
    title = gettext_lazy("Case measures")
    footnote = gettext_lazy(
        "How it is counted: intake measures count by the time reported, closure measures by the time "
        "closed, due cases by the handling deadline and satisfaction by the time rated.")
    # The rates on the cards and in the table, in the order a command centre reads them.
    card_rates = ("register_rate", "dispatch_rate", "close_rate", "on_time_rate", "rework_rate", "extension_rate",
                  "satisfaction_rate", "strict_satisfaction_rate", "self_resolve_rate", "accept_hours", "close_hours")
    table_counts = ("received", "registered", "rejected", "merged", "self_resolved", "dispatched", "closed",
                    "closed_on_time", "due", "overdue_open")
    trend_series = (Series("received", pgettext_lazy("case measure", "Received")),
                    Series("closed", pgettext_lazy("case measure", "Closed")))
    bar_series = trend_series
    pie_group, pie_count = "major", "received"
    trend_title = gettext_lazy("Received and closed by month")
    bars_title = gettext_lazy("Received and closed")
    pie_title = gettext_lazy("Received by major category")
    mean_unit = "hours"
    export_name, export_url_name = "case-measures", "cases:stats_xlsx"
    sheet_title = gettext_lazy("Case measures")

    def count_cards(self, total: dict) -> list[dict]:
        return [{"name": name, "label": CASES.count_labels[name], "value": number(total["counts"][name])}
                for name in ("received", "closed", "overdue_open")]

    def rate_text(self, name: str, measure: dict) -> str:
        if measure["rate"] is None:
            return "—"
        if self.is_mean(name):
            return f"{measure['rate']:.1f}"
        return f"{measure['rate'] * 100:.1f}%"

    def rate_cell(self, measure: dict):
        return measure["rate"]


REPORT = CaseStatsReport()
stats = REPORT.page_view()
stats_xlsx = REPORT.export_view()
