"""Keeping the rollups current, and reading them (docs/insight.md, "Rollups").

A rollup row counts the records of one source (cases, disputes, alerts) first reported on one local day in one
region (every level of the grid's path: grid, community, street, district), by kind and state. Rows are never
edited: a day is recomputed whole, for every level at once, by one INSERT … SELECT … GROUP BY that joins each
record's grid to its ancestors (`RegionAncestor`). Month rows are summed from the day rows.

Who keeps them current: the worker's `insight_rollups` poller, every round (60 s by default). It recomputes the
days of the records whose timeline moved since its last round (with two minutes of overlap, for transactions that
committed late), and today. A state change is on the map within one worker interval. `rebuild()` recomputes
everything (after the demo is loaded, or a bulk import): `python -m wangge rebuild_rollups`.
"""
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Max, Min, Q, Sum, Value
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from wangge.areas.models import Level, Region
from wangge.insight.models import RegionAncestor, Rollup, RollupMark, Source, Span

LOCAL = ZoneInfo(settings.TIME_ZONE)
OVERLAP = timedelta(minutes=2)
# The kind of the rows that sum every kind of a (region, day, state): no major category, dispute or alert type
# is spelt so.
ALL = "*"


@dataclass(frozen=True)
class Spec:
    """How one source is counted: its model, the moment that dates it, what its kind is, its timeline."""

    model_path: str  # "app_label.Model"
    dated_by: str
    kind: str
    event_model_path: str
    event_field: str
    on_time: Q | None = None

    @property
    def model(self):
        from django.apps import apps

        return apps.get_model(self.model_path)

    @property
    def event_model(self):
        from django.apps import apps

        return apps.get_model(self.event_model_path)


SPECS = {
    Source.CASE: Spec("cases.Case", "reported_at", "category__major__code", "cases.CaseEvent", "case",
                      on_time=Q(on_time=True, state="closed")),
    Source.DISPUTE: Spec("mediation.Dispute", "reported_at", "type", "mediation.DisputeEvent", "dispute"),
    Source.ALERT: Spec("sensing.Alert", "first_seen", "type", "sensing.AlertEvent", "alert"),
}


def local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL)


# ---------------------------------------------------------------------------------------------------------------
# The ancestors join

def _regions_version() -> str:
    latest = Region.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return hashlib.sha1(f"{latest['n']}|{latest['at']}".encode()).hexdigest()


def sync_ancestors(force: bool = False) -> bool:
    """Rebuild the grid → ancestors table when the regions changed (count or last update). True if rebuilt."""
    version = _regions_version()
    mark = RollupMark.objects.filter(source="regions").first()
    if mark and mark.regions_version == version and not force:
        return False
    regions = {r.code: (r.pk, r.parent_id) for r in Region.objects.only("pk", "code", "parent_id")}
    rows = []
    for grid_id, path in Region.objects.filter(level=Level.GRID).values_list("pk", "path"):
        for code in path.split("/"):
            if code in regions:
                region_id, parent_id = regions[code]
                rows.append(RegionAncestor(grid_id=grid_id, region_id=region_id, parent_id=parent_id))
    with transaction.atomic():
        RegionAncestor.objects.all().delete()
        RegionAncestor.objects.bulk_create(rows, batch_size=2000)
        RollupMark.objects.update_or_create(source="regions", defaults={"upto": timezone.now(),
                                                                         "regions_version": version})
    return True


# ---------------------------------------------------------------------------------------------------------------
# Writing

def _day_rows(source: str, records):
    """The grouped day rows of `records` (a queryset of the source's model) for every level of their grids."""
    spec = SPECS[source]
    on_time = Count("id", filter=spec.on_time) if spec.on_time is not None else Value(0,
                                                                                         output_field=IntegerField())
    return (records.filter(grid__isnull=False)
            .values(source_v=Value(source), span_v=Value(Span.DAY),
                    region_v=F("grid__rollup_ancestors__region_id"), parent_v=F("grid__rollup_ancestors__parent_id"),
                    day_v=TruncDate(spec.dated_by, tzinfo=LOCAL), kind_v=F(spec.kind), state_v=F("state"))
            .annotate(n_v=Count("id"), on_time_v=on_time)
            .order_by())


def _all_kinds(source: str, first: date, last: date) -> None:
    """The day rows of every kind summed into one row per (region, day, state) with kind ALL: a map level's
    children need only states, and read a twelfth of the rows this way."""
    days = Rollup.objects.filter(source=source, span=Span.DAY, day__gte=first, day__lte=last).exclude(kind=ALL)
    _insert_grouped(days.values(source_v=Value(source), span_v=Value(Span.DAY), region_v=F("region_id"),
                                parent_v=F("parent_id"), day_v=F("day"), kind_v=Value(ALL), state_v=F("state"))
                    .annotate(n_v=Sum("n"), on_time_v=Sum("on_time")).order_by())


def _write_days(source: str, first: date, last: date) -> int:
    """Recompute the day rows of [first, last] (local days) and the month rows of the months they touch."""
    spec = SPECS[source]
    start, end = local_start(first), local_start(last + timedelta(days=1))
    records = spec.model.objects.filter(**{f"{spec.dated_by}__gte": start, f"{spec.dated_by}__lt": end})
    with transaction.atomic():
        Rollup.objects.filter(source=source, span=Span.DAY, day__gte=first, day__lte=last).delete()
        written = _insert_grouped(_day_rows(source, records))
        _all_kinds(source, first, last)
        month_first, month_last = first.replace(day=1), last.replace(day=1)
        _write_months(source, month_first, month_last)
    return written


def _insert_grouped(grouped) -> int:
    compiler = grouped.query.get_compiler(using=grouped.db)
    sql, params = compiler.as_sql()
    aliases = [alias for _expr, _sql, alias in compiler.select]
    # values() may not reuse the names of the model it reads ("state"), so the aliases carry "_v" until here.
    columns = [Rollup._meta.get_field(alias.removesuffix("_v")).column for alias in aliases]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(Rollup._meta.db_table)} ({names}) {sql}", params)
        return max(cursor.rowcount, 0)


def _write_months(source: str, month_first: date, month_last: date) -> None:
    next_month = (month_last + timedelta(days=32)).replace(day=1)
    Rollup.objects.filter(source=source, span=Span.MONTH, day__gte=month_first, day__lte=month_last).delete()
    days = Rollup.objects.filter(source=source, span=Span.DAY, day__gte=month_first, day__lt=next_month)
    _insert_grouped(days.values(source_v=Value(source), span_v=Value(Span.MONTH), region_v=F("region_id"),
                                parent_v=F("parent_id"), day_v=TruncMonth("day"), kind_v=F("kind"),
                                state_v=F("state"))
                    .annotate(n_v=Sum("n"), on_time_v=Sum("on_time")).order_by())


def rebuild(sources=None) -> dict:
    """Every rollup row recomputed from the records (after a bulk load). Returns rows written per source."""
    sync_ancestors(force=True)
    written = {}
    now = timezone.now()
    for source in sources or SPECS:
        spec = SPECS[source]
        with transaction.atomic():
            Rollup.objects.filter(source=source).delete()
            written[source] = _insert_grouped(_day_rows(source, spec.model.objects.all()))
            bounds = Rollup.objects.filter(source=source, span=Span.DAY).aggregate(lo=Min("day"), hi=Max("day"))
            if bounds["lo"]:
                _all_kinds(source, bounds["lo"], bounds["hi"])
                _write_months(source, bounds["lo"].replace(day=1), bounds["hi"].replace(day=1))
            RollupMark.objects.update_or_create(source=source, defaults={"upto": now})
    return written


def vacuum() -> None:
    """After a rebuild on PostgreSQL: VACUUM ANALYZE the rollups, so the map's reads are index-only scans (the
    visibility map says which pages need no heap visit) and the planner knows the table. Outside a transaction."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Rollup._meta.db_table)}")


def _touched_days(source: str, since: datetime) -> set[date]:
    """The local days of the records whose timeline moved since `since`, or that were first dated since then."""
    spec = SPECS[source]
    moved = spec.event_model.objects.filter(at__gte=since).values(f"{spec.event_field}_id")
    records = spec.model.objects.filter(Q(pk__in=moved) | Q(**{f"{spec.dated_by}__gte": since}))
    return set(records.annotate(local_day=TruncDate(spec.dated_by, tzinfo=LOCAL))
               .values_list("local_day", flat=True).distinct())


def _runs(days: set[date]):
    """Consecutive runs of days as (first, last), so a week touched is one statement, not seven."""
    ordered = sorted(days)
    first = last = None
    for day in ordered:
        if first is None:
            first = last = day
        elif day == last + timedelta(days=1):
            last = day
        else:
            yield first, last
            first = last = day
    if first is not None:
        yield first, last


def poll(now=None) -> dict:
    """One round: the ancestors if the regions changed (then everything), else the days touched since the last
    round. Several workers may run it: the mark is claimed with a conditional UPDATE, so one recomputes."""
    now = now or timezone.now()
    if sync_ancestors():
        return {"rollups_rebuilt": sum(rebuild().values())}
    recomputed = 0
    for source in SPECS:
        mark = RollupMark.objects.filter(source=source).first()
        if mark is None:
            rebuild([source])
            continue
        if not RollupMark.objects.filter(source=source, upto=mark.upto).update(upto=now):
            continue  # another worker took this round
        days = _touched_days(source, mark.upto - OVERLAP) | {timezone.localdate(now)}
        for first, last in _runs(days):
            recomputed += _write_days(source, first, last)
    return {"rollup_rows": recomputed}


# ---------------------------------------------------------------------------------------------------------------
# Reading

def month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def spans(first: date, last: date) -> Q:
    """[first, last] as whole months read from month rows and the days at either edge from day rows."""
    month = first if first.day == 1 else month_after(first)
    months = []
    while month_after(month) - timedelta(days=1) <= last:
        months.append(month)
        month = month_after(month)
    if not months:
        return Q(span=Span.DAY, day__gte=first, day__lte=last)
    q = Q(span=Span.MONTH, day__in=months)
    if first < months[0]:
        q |= Q(span=Span.DAY, day__gte=first, day__lt=months[0])
    after = month_after(months[-1])
    if after <= last:
        q |= Q(span=Span.DAY, day__gte=after, day__lte=last)
    return q


def counts(source: str, first: date, last: date, *, parent: Region | None = None, region: Region | None = None,
           kinds=None, by=("region", "kind", "state")) -> list[dict]:
    """Summed rollup rows of `source` dated in [first, last]: of the children of `parent`, or of `region` itself.
    Each row: the `by` keys, `n` and `on_time`. Without `kinds` and without "kind" in `by`, the all-kinds rows
    are read (a twelfth of the rows); every other read leaves them out, so nothing is counted twice."""
    rows = Rollup.objects.filter(spans(first, last), source=source)
    rows = rows.filter(parent=parent) if parent is not None else rows.filter(region=region)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    elif "kind" in by:
        rows = rows.exclude(kind=ALL)
    else:
        rows = rows.filter(kind=ALL)
    return list(rows.values(*by).annotate(n=Sum("n"), on_time=Sum("on_time")).order_by())
