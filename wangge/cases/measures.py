"""Case measures (考核指标): the one module that counts them. Formulas and edge cases: docs/measures.md.

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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case as CaseWhen, Count, F, FloatField, Func, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.areas.models import LEVEL_ORDER, Level, Region, child_level
from wangge.cases.models import OPEN_STATES, Case, Category, MajorCategory, Rating, State
from wangge.core.models import Department
from wangge.core.scoping import get_visible_or_404

GROUPS = ("region", "department", "category", "major", "period")
PERIODS = ("day", "week", "month", "quarter", "year")
REGION_LEVELS = tuple(LEVEL_ORDER)
# A trend longer than this many buckets is refused (a daily trend over years helps nobody).
MAX_BUCKETS = 400
# Trend windows without from/to: this many periods back, the current one included.
TREND_LENGTH = {"day": 31, "week": 12, "month": 12, "quarter": 8, "year": 5}

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


class SecondsBetween(Func):
    """end - start in seconds, in plain SQL on each backend (Django's own datetime subtraction calls a
    Python function per row on SQLite, which is most of the cost of a year of cases)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # MySQL and others
        end, start = self.source_expressions
        return self._sql(compiler, connection, "TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000000.0", end, start)

    def as_sqlite(self, compiler, connection, **extra):
        end, start = self.source_expressions
        return self._sql(compiler, connection, "((julianday({end}) - julianday({start})) * 86400.0)", end, start)

    def as_postgresql(self, compiler, connection, **extra):
        end, start = self.source_expressions
        return self._sql(compiler, connection, "EXTRACT(EPOCH FROM ({end} - {start}))", end, start)

    @staticmethod
    def _sql(compiler, connection, template, end, start):
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        if template.index("{end}") < template.index("{start}"):
            params = (*end_params, *start_params)
        else:
            params = (*start_params, *end_params)
        return template.format(end=end_sql, start=start_sql), params


def _seconds(end: str, start: str):
    return SecondsBetween(F(end), F(start))


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

# Measure names and their Chinese labels; the fractions are in `_measures` and docs/measures.md.
RATES = {
    "register_rate": "立案率",
    "dispatch_rate": "派遣率",
    "close_rate": "结案率",
    "on_time_rate": "按期结案率",
    "rework_rate": "返工率",
    "extension_rate": "延期率",
    "satisfaction_rate": "满意率",
    "strict_satisfaction_rate": "满意率(仅满意)",
    "self_resolve_rate": "自处率",
    "accept_hours": "平均签收时长(小时)",
    "close_hours": "平均结案时长(小时)",
}
COUNT_LABELS = {
    "received": "受理数", "merged": "合并数", "rejected": "不予立案数", "self_resolved": "自处数",
    "registered": "立案数", "dispatched": "派遣数", "extended": "延期数", "closed": "结案数",
    "closed_on_time": "按期结案数", "reworked": "返工结案数", "due": "应结案数", "due_unclosed": "应结未结数",
    "overdue_open": "超期未结数", "rated": "评价数", "satisfied": "满意数", "basically": "基本满意数",
    "unsatisfied": "不满意数",
}


def ratio(numerator, denominator, digits: int = 4) -> dict:
    """{numerator, denominator, rate}: rate is None when there is nothing to divide by."""
    rate = round(numerator / denominator, digits) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "rate": rate}


def _total_hours(seconds) -> float:
    return round(float(seconds or 0) / 3600, 2)


def _measures(raw: dict) -> dict:
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
        "on_time_rate": ratio(counts["closed_on_time"], counts["closed"]),
        "rework_rate": ratio(counts["reworked"], counts["closed"]),
        "extension_rate": ratio(counts["extended"], counts["dispatched"]),
        "satisfaction_rate": ratio(counts["satisfied"] + counts["basically"], counts["rated"]),
        "strict_satisfaction_rate": ratio(counts["satisfied"], counts["rated"]),
        "self_resolve_rate": ratio(counts["self_resolved"], counts["received"]),
        "accept_hours": ratio(accept_total, accept_n, 2),
        "close_hours": ratio(close_total, close_n, 2),
    }
    return {"counts": counts, "measures": rates}


# --- the query a caller asks ---------------------------------------------------------------------------

class ParamError(Exception):
    """Bad parameters: {field: message}. Nothing is computed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class StatsQuery:
    group: str
    period: str
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    anchor: Region | None  # the region whose subtree is counted (None: everything the user sees)
    level: str | None  # for group=region: the level of the rows

    @property
    def date_from(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def date_to(self) -> date:
        return timezone.localtime(self.end).date() - timedelta(days=1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def next_period(day: date, unit: str) -> date:
    """The start of the period after the one starting on `day`."""
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def period_label(day: date, unit: str) -> str:
    if unit == "day":
        return day.isoformat()
    if unit == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        return f"{day:%Y-%m}"
    if unit == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def buckets(start: date, end: date, unit: str) -> list[date]:
    """Period starts from the one holding `start` up to (not including) `end`."""
    out, day = [], period_start(start, unit)
    while day < end:
        out.append(day)
        day = next_period(day, unit)
    return out


def _parse_date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"
        return None


def default_anchor(user) -> Region | None:
    """The user's own node (a department's region for a handler); None for a platform-wide reader."""
    node = getattr(user, "scope_node", None)
    if node is None:
        return None
    return Region.objects.visible_to(user).filter(pk=node.pk).first()


def parse_query(user, params, *, today: date | None = None) -> StatsQuery:
    """Read group, level, period, from, to and region from a query dict.

    A region outside the user's area is 404 (as everywhere); other bad values raise ParamError naming
    every field at fault.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    group = params.get("group") or "region"
    if group not in GROUPS:
        errors["group"] = f"分组应为 {'/'.join(GROUPS)} 之一 / group must be one of {', '.join(GROUPS)}"
    period = params.get("period") or "month"
    if period not in PERIODS:
        errors["period"] = f"周期应为 {'/'.join(PERIODS)} 之一 / period must be one of {', '.join(PERIODS)}"
        period = "month"
    code = params.get("region") or ""
    anchor = get_visible_or_404(Region, user, code=code) if code else default_anchor(user)
    level = params.get("level") or None
    if level is not None and level not in REGION_LEVELS:
        errors["level"] = f"层级应为 {'/'.join(REGION_LEVELS)} 之一 / level must be one of {', '.join(REGION_LEVELS)}"
        level = None
    elif level is not None and anchor is not None and LEVEL_ORDER.index(level) < LEVEL_ORDER.index(anchor.level):
        errors["level"] = "层级须在所选区域及以下 / level must be at or below the region"
    if group == "region" and level is None and "level" not in errors:
        # One level down from the region asked about (a grid has no children: its own row).
        level = (child_level(anchor.level) or anchor.level) if anchor is not None else Level.STREET
    date_from = _parse_date(params.get("from"), "from", errors)
    date_to = _parse_date(params.get("to"), "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = "结束日期早于开始日期 / to is before from"
    if errors:
        raise ParamError(errors)
    if group == "period":
        # A trend shows whole periods: the window is widened to the periods holding from and to.
        last = date_to or today
        first = date_from or back_periods(period_start(last, period), period, TREND_LENGTH[period] - 1)
        first = period_start(first, period)
        end = next_period(period_start(last, period), period)
        if len(buckets(first, end, period)) > MAX_BUCKETS:
            raise ParamError({"from": f"时间范围过长，最多 {MAX_BUCKETS} 期 / more than {MAX_BUCKETS} {period}s"})
    else:
        if date_from is None and date_to is None:
            first = period_start(today, period)
            end = next_period(first, period)
        else:
            first = date_from or period_start(date_to, period)
            end = (date_to or today) + timedelta(days=1)
            if end <= first:
                raise ParamError({"to": "结束日期早于开始日期 / to is before from"})
    return StatsQuery(group=group, period=period, start=local_midnight(first), end=local_midnight(end),
                      anchor=anchor, level=level if group == "region" else None)


def back_periods(day: date, unit: str, n: int) -> date:
    for _ in range(n):
        day = period_start(day - timedelta(days=1), unit)
    return day


# --- computing ------------------------------------------------------------------------------------------

def _families(query: StatsQuery, now: datetime):
    """(name, timestamp, base queryset filter, aggregates) for the four families."""
    start, end = query.start, query.end
    # Aggregates are named n_*: an annotation called "self_resolved" would shadow the field in later filters.
    prefixed = lambda aggregates: {f"n_{name}": value for name, value in aggregates.items()}  # noqa: E731
    due_until = min(end, now)
    if query.group == "period":
        # Not closed by the end of the period it fell due in: its closing period is a later one.
        not_closed_by_end = ~Q(state=State.CLOSED) | Q(closed_bucket__gt=F("bucket"))
    else:
        not_closed_by_end = ~Q(state=State.CLOSED) | Q(closed_at__gte=end)
    return [
        ("reported", "reported_at", Q(reported_at__gte=start, reported_at__lt=end), prefixed(_reported_counts())),
        ("closed", "closed_at", Q(state=State.CLOSED, closed_at__gte=start, closed_at__lt=end),
         prefixed(_closed_counts())),
        ("due", "handle_by", Q(handle_by__gte=start, handle_by__lt=due_until)
         & ~Q(state__in=(State.REJECTED, State.MERGED)) & not_closed_by_end, prefixed(_due_counts())),
        ("rated", "rated_at", Q(state=State.CLOSED, rated_at__gte=start, rated_at__lt=end) & ~Q(rating=""),
         prefixed(_rated_counts())),
    ]


def _cases(user, query: StatsQuery):
    cases = Case.objects.visible_to(user)
    if query.anchor is not None:
        cases = cases.filter(grid__path__startswith=query.anchor.path)
    return cases.order_by()


def period_starts(query: StatsQuery) -> list[date]:
    return buckets(timezone.localtime(query.start).date(), timezone.localtime(query.end).date(), query.period)


def _window_end(query: StatsQuery) -> date:
    return timezone.localtime(query.end).date()


def _bucket_index(stamp: str, starts: list[date], end: date):
    """The index of the period a timestamp falls in, as a CASE over the periods' local-midnight boundaries.

    Plain comparisons, so the same SQL runs fast on SQLite (where a time-zone-aware Trunc is a Python
    function called per row) and on PostgreSQL. Before the first period: 0; after the last: len(starts);
    no timestamp: -1.
    """
    whens = [When(**{f"{stamp}__isnull": True}, then=Value(-1))]
    whens += [When(**{f"{stamp}__lt": local_midnight(day)}, then=Value(i))
              for i, day in enumerate([*starts[1:], end])]
    return CaseWhen(*whens, default=Value(len(starts)), output_field=IntegerField())


def _grouped(cases, query: StatsQuery, now: datetime, keys) -> dict:
    """{row key: raw aggregates} over the four families. `keys(family, timestamp)` yields pairs of
    (the family's queryset annotated with `key`, a function from a `key` value to a row key or None)."""
    raw: dict = {}
    for _name, stamp, where, aggregates in _families(query, now):
        family = cases
        if query.group == "period":
            starts, end = period_starts(query), _window_end(query)
            family = family.alias(bucket=_bucket_index(stamp, starts, end))
            if stamp == "handle_by":
                family = family.alias(closed_bucket=_bucket_index("closed_at", starts, end))
        family = family.filter(where)
        for annotated, to_key in keys(family, stamp):
            for row in annotated.values("key").annotate(**aggregates).order_by():
                key = to_key(row.pop("key"))
                if key is None:
                    continue
                target = raw.setdefault(key, {})
                for name, value in row.items():
                    name = name.removeprefix("n_")
                    if value is None:
                        continue
                    target[name] = target[name] + value if name in target else value
    return raw


def _region_rows(user, query: StatsQuery, cases, now):
    targets = Region.objects.visible_to(user).filter(level=query.level)
    if query.anchor is not None:
        targets = targets.filter(path__startswith=query.anchor.path)
    targets = list(targets.order_by("code"))
    by_path = {r.path: r for r in targets}
    lengths = sorted({len(p) for p in by_path})

    def keys(family, stamp):
        # The grid path's prefix of a target's length is that target's path: one GROUP BY per length
        # (sibling codes normally share one length, so this is one query).
        for n in lengths:
            yield family.annotate(key=Substr("grid__path", 1, n)), lambda v: v if v in by_path else None

    raw = _grouped(cases, query, now, keys)
    return [{"key": r.code, "code": r.code, "label": r.name, "level": r.level, **_measures(raw.get(r.path, {}))}
            for r in targets]


def _field_rows(query: StatsQuery, cases, now, field: str, labels):
    def keys(family, stamp):
        yield family.annotate(key=F(field)), lambda v: v if v is not None else "none"

    raw = _grouped(cases, query, now, keys)
    rows = []
    for key, label, code in labels([k for k in raw if k != "none"]):
        rows.append({"key": key, "code": code, "label": label, **_measures(raw.get(key, {}))})
    if "none" in raw:
        rows.append({"key": None, "code": "", "label": NO_VALUE[query.group], **_measures(raw["none"])})
    return rows


NO_VALUE = {"department": "未派至部门", "category": "—", "major": "—"}


def _department_labels(ids):
    # Named by the cases the user may see: the department a visible case was dispatched to is on its page.
    for d in Department.objects.filter(pk__in=ids).order_by("code"):
        yield d.pk, d.name, d.code


def _category_labels(ids):
    for c in Category.objects.filter(pk__in=ids).select_related("major").order_by("major__code", "code"):
        yield c.pk, f"{c.major.name} / {c.name}", c.full_code


def _major_labels(ids):
    for m in MajorCategory.objects.filter(pk__in=ids).order_by("code"):
        yield m.pk, m.name, m.code


def _period_rows(query: StatsQuery, cases, now):
    starts = period_starts(query)

    def keys(family, stamp):
        yield family.annotate(key=F("bucket")), lambda i: starts[i] if 0 <= i < len(starts) else None

    raw = _grouped(cases, query, now, keys)
    return [{"key": day.isoformat(), "code": day.isoformat(), "label": period_label(day, query.period),
             **_measures(raw.get(day, {}))} for day in starts]


def _total(query: StatsQuery, cases, now) -> dict:
    raw: dict = {}
    flat = StatsQuery(**{**query.__dict__, "group": "total"})
    for _name, _stamp, where, aggregates in _families(flat, now):
        values = cases.filter(where).aggregate(**aggregates)
        raw.update({name.removeprefix("n_"): value for name, value in values.items()})
    return {"key": "total", "code": "", "label": "合计", **_measures(raw)}


def case_stats(user, query: StatsQuery, *, now: datetime | None = None) -> dict:
    """Rows (one per region / department / category / major class / period) and a total row."""
    now = now or timezone.now()
    cases = _cases(user, query)
    if query.group == "region":
        rows = _region_rows(user, query, cases, now)
    elif query.group == "department":
        rows = _field_rows(query, cases, now, "assignee_department_id", _department_labels)
    elif query.group == "category":
        rows = _field_rows(query, cases, now, "category_id", _category_labels)
    elif query.group == "major":
        rows = _field_rows(query, cases, now, "category__major_id", _major_labels)
    else:
        rows = _period_rows(query, cases, now)
    return {
        "group": query.group,
        "level": query.level,
        "period": query.period,
        "from": query.date_from.isoformat(),
        "to": query.date_to.isoformat(),
        "region": {"code": query.anchor.code, "name": query.anchor.name, "level": query.anchor.level}
        if query.anchor is not None else None,
        "rows": rows,
        "total": _total(query, cases, now),
    }
