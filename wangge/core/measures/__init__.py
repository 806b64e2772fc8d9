"""The measures engine: what every statistics page, API and export shares.

An app describes what it counts in a `MeasureSet` (its records, its four or so *families* of aggregates, its
groupings, how raw aggregates become counts and rates); the engine does the rest, the same way for every app:

* the query: `group_by`, `region`, `region_level`, `period`, `from`, `to`, `year` (+ the app's own filters),
  checked once, every bad field named (`ParamError`); a region outside the reader's area is 404;
* periods: day/week/month/quarter/year buckets at local midnight, the default window the current month,
  a trend the last few periods;
* grouping in the database: by region (a prefix of the region path), by a field (labels from the app), or by
  period (a CASE over the period boundaries, plain SQL on SQLite and PostgreSQL);
* the total row over the same records and window.

The page, the .xlsx export and the API answer built on top live in `pages`, `export` and `api` beside this.
Formulas are the apps' (docs/measures.md, docs/mediation-measures.md); nothing here decides what counts.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Case as CaseWhen
from django.db.models import F, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.areas.models import LEVEL_ORDER, Level, Region, child_level
from wangge.core.scoping import get_visible_or_404

PERIODS = ("day", "week", "month", "quarter", "year")
PERIOD_LABELS = {"day": gettext_lazy("Day"), "week": gettext_lazy("Week"), "month": gettext_lazy("Month"),
                 "quarter": gettext_lazy("Quarter"), "year": gettext_lazy("Year")}
# Without from/to/year the window is the current one of these (one convention for every measure set).
DEFAULT_PERIOD = "month"
# Trend windows without from/to: this many periods back, the current one included.
TREND_LENGTH = {"day": 31, "week": 12, "month": 12, "quarter": 8, "year": 5}
REGION_LEVELS = tuple(LEVEL_ORDER)


class ParamError(Exception):
    """Bad parameters: {field: message}. Nothing is computed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


# --- periods --------------------------------------------------------------------------------------------------

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


def back_periods(day: date, unit: str, n: int) -> date:
    for _i in range(n):
        day = period_start(day - timedelta(days=1), unit)
    return day


def period_label(day: date, unit: str) -> str:
    if unit == "day":
        return day.isoformat()
    if unit == "week":
        year, week, _weekday = day.isocalendar()
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


def bucket_index(stamp: str, starts: list[date], end: date):
    """The index of the period a timestamp falls in, as a CASE over the periods' local-midnight boundaries.

    Plain comparisons, so the same SQL runs fast on SQLite (where a time-zone-aware Trunc is a Python function
    called per row) and on PostgreSQL. Before the first period: 0; at or after the end: len(starts);
    no timestamp: -1.
    """
    whens = [When(**{f"{stamp}__isnull": True}, then=Value(-1))]
    whens += [When(**{f"{stamp}__lt": local_midnight(day)}, then=Value(i))
              for i, day in enumerate([*starts[1:], end])]
    return CaseWhen(*whens, default=Value(len(starts)), output_field=IntegerField())


class SecondsBetween(Func):
    """end - start in seconds, in plain SQL on each backend (Django's own datetime subtraction calls a
    Python function per row on SQLite, which is most of the cost of a year of records)."""

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


# --- what an app declares ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """One family of counts: the records whose `stamp` lies in the window (`where`), and their aggregates.

    `bucket_stamps` names more timestamps whose period index a period grouping needs as aliases (alias ->
    timestamp), e.g. the period a case was closed in, to tell "not closed by the end of its period"."""

    stamp: str
    where: Q
    aggregates: dict
    bucket_stamps: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Grouping:
    """A way to split the rows: by region, by period (the engine's), or by a field with the app's labels.

    `labels(keys)` yields (key, code, label) for the keys found, in the rows' order; records with no value form
    a last row labelled `none_label`."""

    label: str
    field: str = ""
    labels: Callable[[list], Iterable[tuple]] | None = None
    none_label: str = "—"


BY_REGION = Grouping(gettext_lazy("By region"))
BY_PERIOD = Grouping(gettext_lazy("By period"))


@dataclass
class StatsQuery:
    group: str
    period: str
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    anchor: Region | None  # the region whose subtree is counted (None: everything the user sees)
    region_level: str | None  # for group=region: the level of the rows
    filters: dict = field(default_factory=dict)  # the measure set's own filters, already checked

    @property
    def date_from(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def date_to(self) -> date:
        return timezone.localtime(self.end).date() - timedelta(days=1)

    def changed(self, **changes) -> "StatsQuery":
        return replace(self, **changes)


class MeasureSet:
    """What one app counts. Subclasses set the attributes and implement `visible`, `families` and `measures`."""

    name = ""  # "cases": the audit operation is f"{name}.stats_export"
    permission = ""  # who may read the figures
    region_path = ""  # the lookup to the record's region path, e.g. "grid__path"
    groups: dict[str, Grouping] = {}  # the rows' groupings, the first the default ("region", "period" included)
    periods = PERIODS
    max_buckets = 400  # a trend longer than this is refused
    count_names: tuple[str, ...] = ()
    count_labels: dict = {}
    rate_labels: dict = {}
    # Old parameter names still accepted (new name -> old name); the answer repeats its values under them too.
    legacy_names: dict[str, str] = {}
    # Records located above the rows' level get their own row with this label (None: they are left out).
    remainder_label = None

    def visible(self, user):
        """The records the user may see (the one scoping method)."""
        raise NotImplementedError

    def narrow(self, records, query: StatsQuery):
        """The records after the set's own filters (and any alias the families read)."""
        return records

    def parse_filters(self, params, errors: dict) -> dict:
        return {}

    def echo_filters(self, query: StatsQuery) -> dict | None:
        return None

    def families(self, query: StatsQuery, now: datetime) -> list[Family]:
        raise NotImplementedError

    def measures(self, raw: dict) -> dict:
        """{"counts": …, "measures": …} (and anything else a row carries) from one row's raw aggregates."""
        raise NotImplementedError

    # -- the engine ---------------------------------------------------------------------------------------------

    def parse(self, user, params, *, today: date | None = None) -> StatsQuery:
        return parse_query(self, user, params, today=today)

    def stats(self, user, query: StatsQuery, *, now: datetime | None = None, with_total: bool = True) -> dict:
        return compute(self, user, query, now=now, with_total=with_total)

    def records(self, user, query: StatsQuery):
        records = self.visible(user)
        if query.anchor is not None:
            records = records.filter(**{f"{self.region_path}__startswith": query.anchor.path})
        return self.narrow(records, query).order_by()


# --- reading a query ------------------------------------------------------------------------------------------

def one_of(values) -> str:
    return ", ".join(str(v) for v in values)


def parse_date(value, field_name: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field_name] = _("date must be YYYY-MM-DD")
        return None


def parse_year(value, errors: dict, field_name: str = "year") -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value))
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        errors[field_name] = _("year must be a number from 2000 to 2100")
        return None
    return year


def default_anchor(user) -> Region | None:
    """The user's own node (a department's region for a handler); None for a platform-wide reader."""
    node = getattr(user, "scope_node", None)
    if node is None:
        return None
    return Region.objects.visible_to(user).filter(pk=node.pk).first()


def anchor_of(user, params) -> Region | None:
    code = params.get("region") or ""
    return get_visible_or_404(Region, user, code=code) if code else default_anchor(user)


def _read(measure_set: MeasureSet, params, name: str) -> tuple[str | None, str]:
    """(value, the name it came under): the current name first, else its old name."""
    old = measure_set.legacy_names.get(name)
    if params.get(name) in (None, "") and old and params.get(old) not in (None, ""):
        return params.get(old), old
    return params.get(name) or None, name


def _region_level(measure_set, params, anchor, group, errors) -> str | None:
    level, name = _read(measure_set, params, "region_level")
    if level is not None and level not in REGION_LEVELS:
        errors[name] = _("%(field)s must be one of %(choices)s") % {"field": name, "choices": one_of(REGION_LEVELS)}
        level = None
    elif level is not None and anchor is not None and LEVEL_ORDER.index(level) < LEVEL_ORDER.index(anchor.level):
        errors[name] = _("%(field)s must be at or below the region") % {"field": name}
    if group == "region" and level is None and name not in errors:
        # One level down from the region asked about (a grid has no children: its own row).
        level = (child_level(anchor.level) or anchor.level) if anchor is not None else Level.STREET
    return level if group == "region" else None


def _window(measure_set, group, period, date_from, date_to, today) -> tuple[date, date]:
    """[first, end) of the window, widened to whole periods for a trend."""
    if group == "period":
        last = date_to or today
        first = date_from or back_periods(period_start(last, period), period, TREND_LENGTH[period] - 1)
        first = period_start(first, period)
        end = next_period(period_start(last, period), period)
        if len(buckets(first, end, period)) > measure_set.max_buckets:
            raise ParamError({"from": _("more than %(n)s periods") % {"n": measure_set.max_buckets}})
        return first, end
    if date_from is None and date_to is None:
        first = period_start(today, period)
        return first, next_period(first, period)
    first = date_from or period_start(date_to, period)
    end = (date_to or today) + timedelta(days=1)
    if end <= first:
        raise ParamError({"to": _("to is before from")})
    return first, end


def parse_query(measure_set: MeasureSet, user, params, *, today: date | None = None) -> StatsQuery:
    """Read group_by, region, region_level, period, from, to, year and the set's filters from a query dict.

    A region outside the user's area is 404 (as everywhere); any other bad value raises ParamError naming every
    field at fault, under the name the caller used.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    default_group = next(iter(measure_set.groups))
    group, group_name = _read(measure_set, params, "group_by")
    group = group or default_group
    if group not in measure_set.groups:
        errors[group_name] = _("%(field)s must be one of %(choices)s") % {
            "field": group_name, "choices": one_of(measure_set.groups)}
    period = params.get("period") or DEFAULT_PERIOD
    if period not in measure_set.periods:
        errors["period"] = _("%(field)s must be one of %(choices)s") % {
            "field": "period", "choices": one_of(measure_set.periods)}
        period = DEFAULT_PERIOD
    anchor = anchor_of(user, params)
    region_level = _region_level(measure_set, params, anchor, group, errors)
    filters = measure_set.parse_filters(params, errors)
    date_from = parse_date(params.get("from"), "from", errors)
    date_to = parse_date(params.get("to"), "to", errors)
    year = parse_year(params.get("year"), errors)
    if year is not None and (date_from or date_to):
        errors["year"] = _("give either year or from/to")
    elif year is not None:
        date_from, date_to = date(year, 1, 1), date(year, 12, 31)
    if date_from and date_to and date_to < date_from:
        errors["to"] = _("to is before from")
    if errors:
        raise ParamError(errors)
    first, end = _window(measure_set, group, period, date_from, date_to, today)
    return StatsQuery(group=group, period=period, start=local_midnight(first), end=local_midnight(end),
                      anchor=anchor, region_level=region_level, filters=filters)


def parse_or_default(measure_set: MeasureSet, user, params) -> tuple[StatsQuery, dict]:
    """For a page: the query, counting with the defaults for the fields at fault, and the errors."""
    try:
        return parse_query(measure_set, user, params), {}
    except ParamError as exc:
        errors = exc.errors
    fallback = {k: v for k, v in params.items() if k not in errors}
    try:
        return parse_query(measure_set, user, fallback), errors
    except ParamError:  # "to" before the default "from": drop the dates too
        fallback = {k: v for k, v in fallback.items() if k not in ("from", "to", "year")}
        return parse_query(measure_set, user, fallback), errors


# --- computing ------------------------------------------------------------------------------------------------

def period_starts(query: StatsQuery) -> list[date]:
    return buckets(query.date_from, query.date_to + timedelta(days=1), query.period)


def add_raw(target: dict, row: dict) -> None:
    """Sum one aggregate row (names n_*) into `target` (names without the prefix); None adds nothing."""
    for name, value in row.items():
        if value is None:
            continue
        name = name.removeprefix("n_")
        target[name] = target[name] + value if name in target else value


def _prefixed(aggregates: dict) -> dict:
    # Aggregates are named n_*: an annotation called like a field ("self_resolved") would shadow it in filters.
    return {f"n_{name}": value for name, value in aggregates.items()}


def _grouped(measure_set, records, query: StatsQuery, now, keys) -> dict:
    """{row key: raw aggregates} over the families. `keys(family)` yields pairs of (the family's queryset
    annotated with `key`, a function from a `key` value to a row key or None to drop it)."""
    raw: dict = {}
    for family in measure_set.families(query, now):
        selected = records
        if query.group == "period":
            starts, end = period_starts(query), query.date_to + timedelta(days=1)
            selected = selected.alias(bucket=bucket_index(family.stamp, starts, end))
            for alias, stamp in family.bucket_stamps.items():
                selected = selected.alias(**{alias: bucket_index(stamp, starts, end)})
        selected = selected.filter(family.where)
        for annotated, to_key in keys(selected):
            for row in annotated.values("key").annotate(**_prefixed(family.aggregates)).order_by():
                key = to_key(row.pop("key"))
                if key is not None:
                    add_raw(raw.setdefault(key, {}), row)
    return raw


def _total_raw(measure_set, records, query: StatsQuery, now) -> dict:
    raw: dict = {}
    flat = query.changed(group="total")
    for family in measure_set.families(flat, now):
        add_raw(raw, records.filter(family.where).aggregate(**_prefixed(family.aggregates)))
    return raw


def _row(measure_set, key, code, label, raw, **extra) -> dict:
    return {"key": key, "code": code, "label": label, **extra, **measure_set.measures(raw)}


def _region_rows(measure_set, user, query, records, now, total: dict) -> list[dict]:
    targets = Region.objects.visible_to(user).filter(level=query.region_level)
    if query.anchor is not None:
        targets = targets.filter(path__startswith=query.anchor.path)
    targets = list(targets.order_by("code"))
    by_path = {r.path: r for r in targets}

    def keys(family):
        # A record's region path cut to a target's length is that target's path: one GROUP BY per length
        # (sibling codes normally share one length, so this is one query).
        for n in sorted({len(p) for p in by_path}):
            yield family.annotate(key=Substr(measure_set.region_path, 1, n)), lambda v: v if v in by_path else None

    raw = _grouped(measure_set, records, query, now, keys)
    rows = [_row(measure_set, r.code, r.code, r.name, raw.get(r.path, {}), level=r.level) for r in targets]
    if measure_set.remainder_label is not None:
        # Records located above the rows' level (a referral naming only a street): their own row, so the rows
        # always add up to the total.
        rest = {name: value - sum(raw.get(p, {}).get(name, 0) for p in by_path) for name, value in total.items()
                if value is not None}
        if any(rest.get(name) for name in measure_set.count_names):
            rows.append(_row(measure_set, None, "", str(measure_set.remainder_label), rest, level=None))
    return rows


def _field_rows(measure_set, query, records, now, grouping: Grouping) -> list[dict]:
    def keys(family):
        yield family.annotate(key=F(grouping.field)), lambda v: v if v is not None else "none"

    raw = _grouped(measure_set, records, query, now, keys)
    found = [k for k in raw if k != "none"]
    rows = [_row(measure_set, key, code, str(label), raw.get(key, {})) for key, code, label in grouping.labels(found)]
    if "none" in raw:
        rows.append(_row(measure_set, None, "", str(grouping.none_label), raw["none"]))
    return rows


def _period_rows(measure_set, query, records, now) -> list[dict]:
    starts = period_starts(query)

    def keys(family):
        yield family.annotate(key=F("bucket")), lambda i: starts[i] if 0 <= i < len(starts) else None

    raw = _grouped(measure_set, records, query, now, keys)
    return [_row(measure_set, day.isoformat(), day.isoformat(), period_label(day, query.period), raw.get(day, {}))
            for day in starts]


def region_summary(region: Region | None) -> dict | None:
    return None if region is None else {"code": region.code, "name": region.name, "level": region.level}


def compute(measure_set: MeasureSet, user, query: StatsQuery, *, now: datetime | None = None,
            with_total: bool = True) -> dict:
    """Rows (one per region / field value / period) and a total row, over what the user may see.

    `with_total=False` (a chart that shows only the rows) leaves the total row out, and its queries."""
    now = now or timezone.now()
    records = measure_set.records(user, query)
    total = _total_raw(measure_set, records, query, now) if with_total or query.group == "region" else {}
    if query.group == "region":
        rows = _region_rows(measure_set, user, query, records, now, total)
    elif query.group == "period":
        rows = _period_rows(measure_set, query, records, now)
    else:
        rows = _field_rows(measure_set, query, records, now, measure_set.groups[query.group])
    answer = {
        "group_by": query.group,
        "region_level": query.region_level,
        "period": query.period,
        "from": query.date_from.isoformat(),
        "to": query.date_to.isoformat(),
        "region": region_summary(query.anchor),
    }
    filters = measure_set.echo_filters(query)
    if filters is not None:
        answer["filters"] = filters
    answer["rows"] = rows
    if with_total:
        answer["total"] = _row(measure_set, "total", "", _("Total"), total)
    for new, old in measure_set.legacy_names.items():
        answer[old] = answer[new]
    return answer


def raw_by_key(measure_set: MeasureSet, records, query: StatsQuery, now: datetime, key) -> dict:
    """{key value: raw aggregates} over the set's families, grouped by an expression of the caller's (a target's
    field, a prefix of a region path, the record's own id for a drill-down): one GROUP BY per family.

    For readers that group by something the set's own groupings do not know (assessment groups by grid worker,
    community or department), so the formulas stay the set's: pass the result to `measure_set.measures(raw)`."""
    raw: dict = {}
    records = measure_set.narrow(records, query).order_by()
    for family in measure_set.families(query, now):
        grouped = records.filter(family.where).annotate(key=key).values("key")
        for row in grouped.annotate(**_prefixed(family.aggregates)).order_by():
            add_raw(raw.setdefault(row.pop("key"), {}), row)
    return raw
