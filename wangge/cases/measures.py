"""Case measures (考核指标): what the measures engine (`wangge.core.measures`) counts for cases.
Formulas and edge cases: docs/measures.md.

Every measure is an SQL aggregate (Count/Sum with filter=Q(...)) over `Case.objects.visible_to(user)`,
grouped in the database by region (a prefix of the grid path), department, category, major class or
period. Nothing loops over cases in Python: a request is four grouped queries plus four for the total.

Four families of counts, each read from its own timestamp and windowed on it:

* reported (受理口径, `reported_at` in the window): received, merged, rejected, self-resolved, registered,
  dispatched, extended, and the time to accept;
* closed (结案口径, `closed_at` in the window, state closed): closed, closed on time, reworked, time to close;
* due (应结口径, `handle_by` in the window and already past): cases that fell due and were not closed by the
  end of their period, and of those the ones still open now (overdue open);
* rated (回访口径, `rated_at` in the window): rated, satisfied, basically satisfied, unsatisfied.

A rate is {numerator, denominator, rate}; `rate` is None when the denominator is 0 (never 100% by default).
A mean time is the same shape: numerator = total hours, denominator = cases timed, rate = mean hours.
"""
from datetime import date, datetime

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.cases.models import OPEN_STATES, Case, Category, MajorCategory, Rating, State
from wangge.core import measures as engine
from wangge.core.measures import Family, Grouping, MeasureSet, ParamError, StatsQuery
from wangge.core.models import Department

__all__ = ["ParamError", "StatsQuery", "CASES", "parse_query", "case_stats", "ratio"]

# --- which cases count as what (docs/measures.md §Definitions) ------------------------------------------

BEYOND_REGISTER = (State.REGISTERED, State.DISPATCHED, State.ACCEPTED, State.HANDLED, State.CLOSED)
BEYOND_DISPATCH = (State.DISPATCHED, State.ACCEPTED, State.HANDLED, State.CLOSED)
# 立案: an operator accepted the case as one to handle; self-resolved cases skip triage, merged and
# rejected ones were never cases of their own.
REGISTERED = (~Q(self_resolved=True) & ~Q(state__in=(State.MERGED, State.REJECTED))
              & (Q(registered_at__isnull=False) | Q(state__in=BEYOND_REGISTER)))
# 派遣: registered and sent to an assignee at least once (a case returned and awaiting re-dispatch counts).
DISPATCHED = REGISTERED & (Q(dispatched_at__isnull=False) | Q(state__in=BEYOND_DISPATCH))
ACCEPT_TIMED = Q(accepted_at__isnull=False, dispatched_at__isnull=False, accepted_at__gte=F("dispatched_at"))
CLOSE_TIMED = ~Q(self_resolved=True) & Q(closed_at__gte=F("reported_at"))


def _seconds(end: str, start: str):
    return engine.SecondsBetween(F(end), F(start))


def _reported_counts():
    return {
        "received": Count("id"),
        "merged": Count("id", filter=Q(state=State.MERGED)),
        "rejected": Count("id", filter=Q(state=State.REJECTED)),
        "self_resolved": Count("id", filter=Q(self_resolved=True)),
        "registered": Count("id", filter=REGISTERED),
        "dispatched": Count("id", filter=DISPATCHED),
        "extended": Count("id", filter=DISPATCHED & Q(extension_count__gt=0)),
        "accept_timed": Count("id", filter=ACCEPT_TIMED),
        "accept_time": Sum(_seconds("accepted_at", "dispatched_at"), filter=ACCEPT_TIMED),
    }


def _closed_counts():
    return {
        "closed": Count("id"),
        "closed_on_time": Count("id", filter=Q(on_time=True)),
        "reworked": Count("id", filter=Q(rework_count__gt=0)),
        "close_timed": Count("id", filter=CLOSE_TIMED),
        "close_time": Sum(_seconds("closed_at", "reported_at"), filter=CLOSE_TIMED),
    }


def _due_counts():
    return {
        "due_unclosed": Count("id"),
        "overdue_open": Count("id", filter=Q(state__in=OPEN_STATES)),
    }


def _rated_counts():
    return {
        "rated": Count("id"),
        "satisfied": Count("id", filter=Q(rating=Rating.SATISFIED)),
        "basically": Count("id", filter=Q(rating=Rating.BASICALLY)),
        "unsatisfied": Count("id", filter=Q(rating=Rating.UNSATISFIED)),
    }


COUNT_NAMES = ("received", "merged", "rejected", "self_resolved", "registered", "dispatched", "extended",
               "closed", "closed_on_time", "reworked", "due", "due_unclosed", "overdue_open",
               "rated", "satisfied", "basically", "unsatisfied")

# Measure names and their labels; the fractions are in `CaseMeasures.measures` and docs/measures.md.
RATES = {
    "register_rate": _("Registration rate"),
    "dispatch_rate": _("Dispatch rate"),
    "close_rate": _("Closure rate"),
    "on_time_rate": _("On-time closure rate"),
    "on_time_share": _("Share of closures on time"),
    "rework_rate": _("Rework rate"),
    "extension_rate": _("Extension rate"),
    "satisfaction_rate": _("Satisfaction rate"),
    "strict_satisfaction_rate": _("Satisfaction rate (satisfied only)"),
    "self_resolve_rate": _("Self-resolution rate"),
    "accept_hours": _("Mean time to accept (hours)"),
    "close_hours": _("Mean time to close (hours)"),
}
COUNT_LABELS = {
    "received": pgettext_lazy("case measure", "Received"), "merged": pgettext_lazy("case measure", "Merged"),
    "rejected": _("Not registered"), "self_resolved": _("Self-resolved"),
    "registered": pgettext_lazy("case measure", "Registered"),
    "dispatched": pgettext_lazy("case measure", "Dispatched"),
    "extended": _("Extended"), "closed": pgettext_lazy("case measure", "Closed"),
    "closed_on_time": pgettext_lazy("case measure", "Closed on time"),
    "reworked": _("Closed after rework"), "due": _("Due to close"), "due_unclosed": _("Due and not closed"),
    "overdue_open": _("Overdue and open"), "rated": _("Rated"), "satisfied": _("Satisfied (count)"),
    "basically": _("Basically satisfied (count)"), "unsatisfied": _("Unsatisfied (count)"),
}


def ratio(numerator, denominator, digits: int = 4) -> dict:
    """{numerator, denominator, rate}: rate is None when there is nothing to divide by."""
    rate = round(numerator / denominator, digits) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "rate": rate}


def _total_hours(seconds) -> float:
    return round(float(seconds or 0) / 3600, 2)


def _department_labels(ids):
    # Named by the cases the user may see: the department a visible case was dispatched to is on its page.
    for d in Department.objects.filter(pk__in=ids).order_by("code"):
        yield d.pk, d.code, d.name


def _category_labels(ids):
    for c in Category.objects.filter(pk__in=ids).select_related("major").order_by("major__code", "code"):
        yield c.pk, c.full_code, f"{c.major.name} / {c.name}"


def _major_labels(ids):
    for m in MajorCategory.objects.filter(pk__in=ids).order_by("code"):
        yield m.pk, m.code, m.name


class CaseMeasures(MeasureSet):
    """The four families (reported, closed, due, rated) of the module docstring, over the visible cases."""

    name = "cases"
    permission = "cases.stats"
    region_path = "grid__path"
    groups = {
        "region": engine.BY_REGION,
        "department": Grouping(_("By department"), "assignee_department_id", _department_labels,
                               _("Not dispatched to a department")),
        "category": Grouping(_("By minor category"), "category_id", _category_labels),
        "major": Grouping(_("By major category"), "category__major_id", _major_labels),
        "period": engine.BY_PERIOD,
    }
    max_buckets = 400
    count_names = COUNT_NAMES
    count_labels = COUNT_LABELS
    rate_labels = RATES
    legacy_names = {"group_by": "group", "region_level": "level"}  # the parameters' names before 2026-12

    def visible(self, user):
        return Case.objects.visible_to(user)

    def families(self, query: StatsQuery, now: datetime) -> list[Family]:
        start, end = query.start, query.end
        due_until = min(end, now)
        bucket_stamps = {}
        if query.group == "period":
            # Not closed by the end of the period it fell due in: its closing period is a later one.
            not_closed_by_end = ~Q(state=State.CLOSED) | Q(closed_bucket__gt=F("bucket"))
            bucket_stamps = {"closed_bucket": "closed_at"}
        else:
            not_closed_by_end = ~Q(state=State.CLOSED) | Q(closed_at__gte=end)
        return [
            Family("reported_at", Q(reported_at__gte=start, reported_at__lt=end), _reported_counts()),
            Family("closed_at", Q(state=State.CLOSED, closed_at__gte=start, closed_at__lt=end), _closed_counts()),
            Family("handle_by", Q(handle_by__gte=start, handle_by__lt=due_until)
                   & ~Q(state__in=(State.REJECTED, State.MERGED)) & not_closed_by_end, _due_counts(), bucket_stamps),
            Family("rated_at", Q(state=State.CLOSED, rated_at__gte=start, rated_at__lt=end) & ~Q(rating=""),
                   _rated_counts()),
        ]

    def measures(self, raw: dict) -> dict:
        """Counts and rates of one row from the four families' raw aggregates."""
        counts = {name: int(raw.get(name) or 0) for name in COUNT_NAMES if name != "due"}
        counts["due"] = counts["closed"] + counts["due_unclosed"]
        valid = counts["received"] - counts["merged"] - counts["self_resolved"]
        accept_total, close_total = _total_hours(raw.get("accept_time")), _total_hours(raw.get("close_time"))
        accept_n, close_n = int(raw.get("accept_timed") or 0), int(raw.get("close_timed") or 0)
        rates = {
            "register_rate": ratio(counts["registered"], valid),
            "dispatch_rate": ratio(counts["dispatched"], counts["registered"]),
            "close_rate": ratio(counts["closed"], counts["due"]),
            # 按期结案率 as districts publish it: over the cases due to close (应结案数), like 结案率.
            "on_time_rate": ratio(counts["closed_on_time"], counts["due"]),
            # The share of the period's closures that were on time: reads higher, so it has its own name.
            "on_time_share": ratio(counts["closed_on_time"], counts["closed"]),
            "rework_rate": ratio(counts["reworked"], counts["closed"]),
            "extension_rate": ratio(counts["extended"], counts["dispatched"]),
            "satisfaction_rate": ratio(counts["satisfied"] + counts["basically"], counts["rated"]),
            "strict_satisfaction_rate": ratio(counts["satisfied"], counts["rated"]),
            "self_resolve_rate": ratio(counts["self_resolved"], counts["received"]),
            "accept_hours": ratio(accept_total, accept_n, 2),
            "close_hours": ratio(close_total, close_n, 2),
        }
        return {"counts": counts, "measures": rates}


CASES = CaseMeasures()


def parse_query(user, params, *, today: date | None = None) -> StatsQuery:
    return CASES.parse(user, params, today=today)


def case_stats(user, query: StatsQuery, *, now: datetime | None = None) -> dict:
    """Rows (one per region / department / category / major class / period) and a total row."""
    return CASES.stats(user, query, now=now)
