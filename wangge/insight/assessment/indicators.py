"""The indicators (考核指标) a scheme may weigh: a registry of functions over the workflows' timestamps.

Each indicator answers, for the targets of one type in one window:

    grouped(targets, window, region_path, excluded) -> {target key: (numerator, denominator)}
    records(target, window, region_path, excluded) -> [(kind, id, counted in the numerator)]

`grouped` is one GROUP BY per family of records (never a query per target), `records` is the drill-down of one
target. `compute(indicator, target, window, region_path, excluded)` puts the two together as
(numerator, denominator, records). The denominator is None for a count (reports filed, base data collected).
`excluded` is {record kind: ids} left out (an accepted appeal or exclusion).

Where a measures module defines the figure (cases: `wangge.cases.measures.CASES`; disputes:
`wangge.mediation.measures.DISPUTES`), the indicator reads that module's families and formulas through the
engine (`core.measures.raw_by_key`), grouped by the target instead of by region: 按期结案率 here is whatever
`on_time_rate` is there. The others (alerts acknowledged in time, visits, base data, verification and acceptance
on time, dispatch accuracy) are counted here from their own timestamps. Definitions: docs/assessment.md.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Substr
from django.utils.translation import gettext_lazy as _

from wangge.core.measures import SecondsBetween, StatsQuery, raw_by_key

# On-time verification (核查及时): a handled case verified (closed or sent back) within this many hours.
VERIFY_WITHIN_HOURS = 24
# Alerts acknowledged in time: within the escalation delay of their severity (sensing's poller), else this.
ALERT_DEFAULT_MINUTES = 60


@dataclass(frozen=True)
class Window:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    now: datetime
    unit: str  # month / quarter

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def query(self) -> StatsQuery:
        return StatsQuery(group="total", period=self.unit, start=self.start, end=self.end, anchor=None,
                          region_level=None, filters={})


@dataclass(frozen=True)
class Target:
    """Who is assessed: a grid worker (user + grid), a community or street (region), or a department."""

    type: str
    key: str  # "u12", "r34", "d5": Score.target_key
    label: str
    path: str  # the target's region path (a worker's grid; a department's region)
    user_id: int | None = None
    grid_id: int | None = None
    region_id: int | None = None
    department_id: int | None = None
    department_code: str | None = None


@dataclass(frozen=True)
class By:
    """How records belong to a target: a field equal to one of the target's attributes, or (attr "path") a region
    path starting with the target's path."""

    field: str
    attr: str = "path"

    def key(self, length: int | None = None):
        if self.attr == "path":
            return Substr(self.field, 1, length)
        if self.field.startswith("details__"):
            return KeyTextTransform(self.field.removeprefix("details__"), "details")
        return F(self.field)

    def only(self, target: Target) -> Q:
        if self.attr == "path":
            return Q(**{f"{self.field}__startswith": target.path})
        return Q(**{self.field: getattr(target, self.attr)})


def _keyed(by: By, targets: list[Target]):
    """[(key expression, {key value: [target keys]})]: one per path length for region targets."""
    if by.attr == "path":
        lengths = defaultdict(dict)
        for t in targets:
            lengths[len(t.path)].setdefault(t.path, []).append(t.key)
        return [(by.key(n), mapping) for n, mapping in sorted(lengths.items())]
    mapping = defaultdict(list)
    for t in targets:
        value = getattr(t, by.attr)
        if value is not None:
            mapping[value].append(t.key)
    return [(by.key(), dict(mapping))]


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    unit: str  # "rate" (a percentage), "count", or "score" (a spot check's 0–100)
    by: dict  # {target type: By}
    record_kind: str = "case"
    better: str = "higher"  # or "lower" (返工率, 延期率): only a hint for default bands
    grouped_fn: Callable | None = None
    records_fn: Callable | None = None
    description: str = ""

    def applies(self, target_type: str) -> bool:
        return target_type in self.by or self.code == "spot_check"

    def grouped(self, targets, window, region_path, excluded=None) -> dict:
        return self.grouped_fn(self, targets, window, region_path, excluded or {})

    def records(self, target, window, region_path, excluded=None) -> list:
        return self.records_fn(self, target, window, region_path, excluded or {})


def compute(indicator: Indicator, target: Target, window: Window, region_path: str, excluded=None):
    """(numerator, denominator, [(kind, id, in numerator)]) of one target: the drill-down's figures."""
    numerator, denominator = indicator.grouped([target], window, region_path, excluded).get(target.key, (0, 0))
    return numerator, denominator, indicator.records(target, window, region_path, excluded)


# --- indicators read from a measures module (cases, disputes) ----------------------------------------------------

@dataclass(frozen=True)
class FromMeasures:
    """A figure of a MeasureSet: `value(measures row) -> (numerator, denominator or None)`."""

    measure_set: Callable  # () -> the MeasureSet (imported late: apps load in any order)
    manager: Callable  # () -> the model's unscoped queryset
    scope_field: str
    value: Callable


def _measure_records(indicator, region_path, excluded):
    source = indicator.source
    records = source.manager().filter(**{f"{source.scope_field}__startswith": region_path})
    ids = excluded.get(indicator.record_kind)
    return records.exclude(pk__in=ids) if ids else records


def _measure_grouped(indicator, targets, window, region_path, excluded):
    source, by = indicator.source, None
    out = {}
    groups = defaultdict(list)
    for t in targets:
        groups[t.type].append(t)
    for target_type, members in groups.items():
        by = indicator.by.get(target_type)
        if by is None:
            continue
        records = _measure_records(indicator, region_path, excluded)
        if len(members) == 1:
            records = records.filter(by.only(members[0]))
        measure_set = source.measure_set()
        for key, mapping in _keyed(by, members):
            raw = raw_by_key(measure_set, records, window.query(), window.now, key)
            for value, target_keys in mapping.items():
                figures = source.value(measure_set.measures(raw.get(value, {})))
                for target_key in target_keys:
                    out[target_key] = figures
    return out


def _measure_drill(indicator, target, window, region_path, excluded):
    by = indicator.by.get(target.type)
    if by is None:
        return []
    source, measure_set = indicator.source, indicator.source.measure_set()
    records = _measure_records(indicator, region_path, excluded).filter(by.only(target))
    raw = raw_by_key(measure_set, records, window.query(), window.now, F("pk"))
    rows = []
    for pk, values in raw.items():
        numerator, denominator = source.value(measure_set.measures(values))
        if numerator or denominator:
            rows.append((indicator.record_kind, pk, bool(numerator) if denominator is not None else True))
    return sorted(rows, key=lambda r: r[1])


def _rate(name):
    def value(row):
        measure = row["measures"][name]
        return measure["numerator"], measure["denominator"]
    return value


def _valid_reports(row):
    counts = row["counts"]
    return counts["received"] - counts["merged"] - counts["rejected"], counts["received"]


def _reports(row):
    return row["counts"]["received"], None


def _cases():
    from wangge.cases.measures import CASES

    return CASES


def _case_rows():
    from wangge.cases.models import Case

    return Case.objects.all()


def _disputes():
    from wangge.mediation.measures import DISPUTES

    return DISPUTES


def _dispute_rows():
    from wangge.mediation.models import Dispute

    return Dispute.objects.all()


def _case_measure(value):
    return FromMeasures(_cases, _case_rows, "grid__path", value)


def _dispute_measure(value):
    return FromMeasures(_disputes, _dispute_rows, "region__path", value)


@dataclass(frozen=True)
class MeasureIndicator(Indicator):
    source: FromMeasures | None = None
    grouped_fn: Callable = field(default=_measure_grouped)
    records_fn: Callable = field(default=_measure_drill)


# --- indicators counted here ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counted:
    """Records of the window (`base(window)`), the numerator among them (`numerator(window)`; None: a count), the
    field naming the record (its kind's id) and the field that scopes it to the assessing level."""

    base: Callable
    numerator: Callable | None
    scope_field: str
    record_field: str = "pk"
    count_field: str = ""  # what is counted, when not the record (a dispatch event, its case the record)


def _counted_records(indicator, window, region_path, excluded):
    source = indicator.counted
    records = source.base(window).filter(**{f"{source.scope_field}__startswith": region_path})
    ids = excluded.get(indicator.record_kind)
    if ids:
        records = records.exclude(**{f"{source.record_field}__in": ids})
    return records


def _counted_aggregates(indicator, window):
    source = indicator.counted
    counted = source.count_field or source.record_field
    aggregates = {"n_all": Count(counted, distinct=True)}
    if source.numerator is not None:
        aggregates["n_yes"] = Count(counted, distinct=True, filter=source.numerator(window))
    return aggregates


def _counted_grouped(indicator, targets, window, region_path, excluded):
    out = {}
    groups = defaultdict(list)
    for t in targets:
        groups[t.type].append(t)
    for target_type, members in groups.items():
        by = indicator.by.get(target_type)
        if by is None:
            continue
        records = _counted_records(indicator, window, region_path, excluded)
        if len(members) == 1:
            records = records.filter(by.only(members[0]))
        for key, mapping in _keyed(by, members):
            found = {row["key"]: row for row in records.annotate(key=key).values("key")
                     .annotate(**_counted_aggregates(indicator, window)).order_by()}
            for value, target_keys in mapping.items():
                row = found.get(value, {})
                figures = ((row.get("n_all", 0), None) if indicator.counted.numerator is None
                           else (row.get("n_yes", 0), row.get("n_all", 0)))
                for target_key in target_keys:
                    out[target_key] = figures
    return out


def _counted_drill(indicator, target, window, region_path, excluded):
    by = indicator.by.get(target.type)
    if by is None:
        return []
    source = indicator.counted
    records = _counted_records(indicator, window, region_path, excluded).filter(by.only(target))
    if source.numerator is None:
        ids = set(records.values_list(source.record_field, flat=True))
        return [(indicator.record_kind, pk, True) for pk in sorted(ids)]
    rows = records.annotate(yes=Count("pk", filter=source.numerator(window))).values_list(source.record_field, "yes")
    seen = {}
    for pk, yes in rows:  # a record counted several times (a case dispatched twice) is in the numerator if always
        seen[pk] = seen.get(pk, True) and bool(yes)
    return [(indicator.record_kind, pk, yes) for pk, yes in sorted(seen.items())]


@dataclass(frozen=True)
class CountedIndicator(Indicator):
    counted: Counted | None = None
    grouped_fn: Callable = field(default=_counted_grouped)
    records_fn: Callable = field(default=_counted_drill)


def _verified_base(window):
    from wangge.cases.models import Case, State

    return (Case.objects.filter(state=State.CLOSED, closed_at__gte=window.start, closed_at__lt=window.end,
                                self_resolved=False, handled_at__isnull=False)
            .alias(verify_seconds=SecondsBetween(F("closed_at"), F("handled_at"))))


def _verified_in_time(window):
    return Q(verify_seconds__lte=VERIFY_WITHIN_HOURS * 3600)


def _acceptance_base(window):
    from wangge.cases.models import Case, State

    due_until = min(window.end, window.now)
    accepted = Q(accepted_at__gte=window.start, accepted_at__lt=window.end, accept_by__isnull=False)
    unsigned = Q(state=State.DISPATCHED, accepted_at__isnull=True, accept_by__gte=window.start,
                 accept_by__lt=due_until)
    return Case.objects.filter(accepted | unsigned)


def _accepted_in_time(window):
    return Q(accepted_at__isnull=False, accepted_at__lte=F("accept_by"))


def _dispatch_base(window):
    from wangge.cases.models import CaseEvent

    returned = (CaseEvent.objects.filter(case_id=OuterRef("case_id"), action="return", at__gte=OuterRef("at"))
                .alias(returned_code=KeyTextTransform("returned_by", "details"))
                .filter(returned_code=OuterRef("dept_code")))
    return (CaseEvent.objects.filter(action__in=("dispatch", "register_dispatch"), at__gte=window.start,
                                     at__lt=window.end, details__has_key="department")
            .alias(dept_code=KeyTextTransform("department", "details")).alias(returned=Exists(returned)))


def _not_returned(window):
    return Q(returned=False)


def _alert_base(window):
    from wangge.sensing.models import Alert

    # From when the platform raised it: a door's late upload is not the grid team's delay.
    return (Alert.objects.filter(raised_at__gte=window.start, raised_at__lt=window.end)
            .alias(taken_at=Coalesce("acknowledged_at", "closed_at"))
            .alias(taken_seconds=SecondsBetween(F("taken_at"), F("raised_at"))))


def _alert_in_time(window):
    from wangge.sensing.poller import ESCALATE_MINUTES

    in_time = Q()
    known = list(ESCALATE_MINUTES)
    for severity, minutes in ESCALATE_MINUTES.items():
        in_time |= Q(severity=severity, taken_seconds__lte=minutes * 60)
    in_time |= ~Q(severity__in=known) & Q(taken_seconds__lte=ALERT_DEFAULT_MINUTES * 60)
    return Q(taken_at__isnull=False) & in_time


def _visits_base(window):
    """People due a visit at least once in the window (a frequency no longer than the window), still living here."""
    from wangge.registry.models import Person, Visit

    visited = Visit.objects.filter(person_id=OuterRef("pk"), visited_at__gte=window.start, visited_at__lt=window.end)
    return (Person.objects.filter(schedule__isnull=False, schedule__every_all__lte=window.days,
                                  moved_out__isnull=True)
            .alias(visited=Exists(visited)))


def _visited(window):
    return Q(visited=True)


def _base_data_base(window):
    from wangge.registry.models import Person

    return Person.history.model.objects.filter(history_date__gte=window.start, history_date__lt=window.end,
                                               history_type__in=("+", "~"))


AREA = ("community", "street")
CASE_AREA = By("grid__path")
GRID = By("grid_id", "grid_id")
REPORTER = By("reporter_id", "user_id")
DEPARTMENT = By("assignee_department_id", "department_id")

REGISTRY: dict[str, Indicator] = {}


def register(*indicators: Indicator) -> None:
    for indicator in indicators:
        REGISTRY[indicator.code] = indicator


register(
    MeasureIndicator("reports_filed", _("Reports filed"), "count", {"grid_worker": REPORTER},
                     source=_case_measure(_reports),
                     description=_("Cases the grid worker reported in the period.")),
    MeasureIndicator("valid_report_rate", _("Valid-report rate"), "rate", {"grid_worker": REPORTER},
                     source=_case_measure(_valid_reports),
                     description=_("Reports that were neither merged as duplicates nor rejected, of all reports.")),
    CountedIndicator("verified_on_time", _("On-time verification"), "rate",
                     {t: CASE_AREA for t in AREA},
                     counted=Counted(_verified_base, _verified_in_time, "grid__path"),
                     description=_("Closed cases verified within 24 hours of being handled.")),
    MeasureIndicator("register_rate", _("Registration rate"), "rate", {t: CASE_AREA for t in AREA},
                     source=_case_measure(_rate("register_rate")),
                     description=_("Cases registered of the valid reports, as the case measures define it.")),
    CountedIndicator("dispatch_accuracy", _("Dispatch accuracy (not returned)"), "rate",
                     {"department": By("details__department", "department_code")},
                     counted=Counted(_dispatch_base, _not_returned, "case__grid__path", "case_id", "pk"),
                     description=_("Cases dispatched to the department that it did not return.")),
    CountedIndicator("accepted_on_time", _("On-time acceptance"), "rate", {"department": DEPARTMENT},
                     counted=Counted(_acceptance_base, _accepted_in_time, "grid__path"),
                     description=_("Cases signed for by their accept-by time, of those accepted or overdue.")),
    MeasureIndicator("on_time_rate", _("On-time closure rate"), "rate",
                     {"grid_worker": GRID, **{t: CASE_AREA for t in AREA}, "department": DEPARTMENT},
                     source=_case_measure(_rate("on_time_rate")),
                     description=_("Cases closed on time of the cases due to close, as the case measures define it.")),
    MeasureIndicator("rework_rate", _("Rework rate"), "rate",
                     {**{t: CASE_AREA for t in AREA}, "department": DEPARTMENT},
                     better="lower", source=_case_measure(_rate("rework_rate"))),
    MeasureIndicator("extension_rate", _("Extension rate"), "rate", {"street": CASE_AREA, "department": DEPARTMENT},
                     better="lower", source=_case_measure(_rate("extension_rate"))),
    MeasureIndicator("satisfaction_rate", _("Satisfaction rate"), "rate",
                     {"grid_worker": GRID, **{t: CASE_AREA for t in AREA}, "department": DEPARTMENT},
                     source=_case_measure(_rate("satisfaction_rate"))),
    CountedIndicator("visits_done", _("Visits done against visits due"), "rate",
                     {"grid_worker": GRID, **{t: By("grid__path") for t in AREA}}, record_kind="person",
                     counted=Counted(_visits_base, _visited, "grid__path"),
                     description=_("People due a visit in the period who were visited in it.")),
    CountedIndicator("base_data", _("Base data collected"), "count",
                     {"grid_worker": By("history_user_id", "user_id"), **{t: By("grid__path") for t in AREA}},
                     record_kind="person", counted=Counted(_base_data_base, None, "grid__path", "id"),
                     description=_("People registered or updated in the period.")),
    CountedIndicator("alerts_in_time", _("Alerts acknowledged in time"), "rate",
                     {"grid_worker": GRID, **{t: By("grid__path") for t in AREA}}, record_kind="alert",
                     counted=Counted(_alert_base, _alert_in_time, "grid__path"),
                     description=_("Alerts acknowledged (or closed) within their escalation delay.")),
    MeasureIndicator("mediation_success_rate", _("Mediation success rate"), "rate",
                     {t: By("region__path") for t in AREA}, record_kind="dispute",
                     source=_dispute_measure(_rate("mediation_success_rate"))),
    MeasureIndicator("referral_settlement_rate", _("Court-referral settlement rate"), "rate",
                     {t: By("region__path") for t in AREA}, record_kind="dispute",
                     source=_dispute_measure(_rate("referral_settlement_rate"))),
)

# 抽查: scored by hand (services.do_spot_check); every target type.
SPOT_CHECK = Indicator("spot_check", _("Spot check"), "score", {}, record_kind="spot_check",
                       description=_("The assessing level's own check of the month, scored 0–100 with evidence."))
register(SPOT_CHECK)


def applicable(target_type: str) -> list[Indicator]:
    return [i for i in REGISTRY.values() if i.applies(target_type)]
