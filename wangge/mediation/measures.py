"""Dispute measures (矛盾纠纷统计): the one module that counts the ledger. Formulas: docs/mediation-measures.md.

Every number is an SQL aggregate (Count/Sum with filter=Q(...)) over `Dispute.objects.visible_to(user)`,
grouped in the database by region (a prefix of the dispute's region path), level, type, committee, mediator
or period. Nothing loops over disputes in Python.

Four families, each windowed on the timestamp that says when its thing happened:

* reported (登记口径, `reported_at`): registered, found (排查发现: a source in FOUND_SOURCES), resolved
  (of the found, now agreed), accepted (of the registered, taken by a committee);
* mediated (调解口径, accepted_on = `accepted_at`, else `reported_at` for a row past registration without one):
  mediated, successful, failed, parties involved, amount agreed, settled at community level, group incidents
  prevented;
* closed (办结口径, `closed_at`, state closed): closed, settled;
* referred (诉前移送口径, `referral.referred_at`): referrals, settled, returned, time from referral to outcome.

A rate is {numerator, denominator, rate, display}: `rate` a fraction (4 places), `display` the percentage
rounded half-up to 2 places ("93.39%"), both None / "—" when the denominator is 0.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Avg, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from wangge.areas.models import LEVEL_ORDER, Region, child_level
from wangge.areas.models import Level as RegionLevel
from wangge.cases.measures import (
    ParamError,
    SecondsBetween,
    back_periods,
    buckets,
    local_midnight,
    next_period,
    period_label,
    period_start,
)
from wangge.core.scoping import get_visible_or_404
from wangge.mediation.models import (
    CLOSED_STATES,
    FOUND_SOURCES,
    Committee,
    Dispute,
    DisputeType,
    Level,
    Mediator,
    Party,
    ReferralOutcome,
    State,
)

__all__ = ["ParamError", "StatsQuery", "parse_query", "dispute_stats", "parse_ranking", "mediator_ranking"]

GROUPS = ("region", "level", "type", "committee", "mediator", "period")
PERIODS = ("month", "quarter", "year")
REGION_LEVELS = (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID)
TREND_LENGTH = {"month": 12, "quarter": 8, "year": 5}
MAX_BUCKETS = 240
# 十佳调解员: mediators with fewer cases in the year are listed but not ranked; the top this many are 十佳.
MIN_CASES = 10
TOP = 10

TYPE_LABELS = {
    DisputeType.MARRIAGE_FAMILY: "婚姻家庭", DisputeType.NEIGHBOUR: "邻里纠纷", DisputeType.PROPERTY_MANAGEMENT: "物业纠纷",
    DisputeType.LABOUR: "劳动争议", DisputeType.HOUSING_LAND: "房屋土地", DisputeType.MEDICAL: "医疗纠纷",
    DisputeType.TRAFFIC: "交通事故", DisputeType.CONSUMER: "消费纠纷", DisputeType.DEMOLITION: "征地拆迁",
    DisputeType.MILITARY: "涉军纠纷", DisputeType.ETHNIC: "涉民族纠纷", DisputeType.OTHER: "其他",
}
LEVEL_LABELS = {Level.COMMUNITY: "社区", Level.STREET: "街道", Level.DISTRICT: "区", Level.INDUSTRY: "行业调委会"}

# --- which disputes count as what (docs/mediation-measures.md §Definitions) ---------------------------------

# Past registration: a committee took it. A withdrawal before acceptance leaves accepted_at empty, so
# "withdrawn" counts only with an accepted_at; escalation and transfer clear accepted_at and reset the state.
ACCEPTED_STATES = (State.ACCEPTED, State.MEDIATING, State.AGREED, State.FAILED)
ACCEPTED = Q(accepted_at__isnull=False) | Q(state__in=ACCEPTED_STATES)
FOUND = Q(source__in=FOUND_SOURCES)
AGREED = Q(state=State.AGREED)
REFERRAL_DECIDED = Q(referral__outcome__in=(ReferralOutcome.SETTLED, ReferralOutcome.RETURNED))
REFERRAL_TIMED = REFERRAL_DECIDED & Q(referral__outcome_at__gte=F("referral__referred_at"))

COUNT_NAMES = ("registered", "found", "resolved", "accepted", "mediated", "successful", "failed", "parties",
               "community_settled", "group_prevented", "closed", "settled", "referrals", "referrals_settled",
               "referrals_returned")
COUNT_LABELS = {
    "registered": "登记数", "found": "排查发现", "resolved": "化解数", "accepted": "受理数", "mediated": "调解数",
    "successful": "调解成功", "failed": "调解不成", "parties": "涉及当事人", "community_settled": "社区化解",
    "group_prevented": "防止群体性事件", "closed": "办结数", "settled": "办结成功", "referrals": "诉前移送",
    "referrals_settled": "移送调成", "referrals_returned": "退回诉讼", "referrals_pending": "移送在办",
}
RATES = {
    "found_success_rate": "排查化解率",
    "mediation_success_rate": "调解成功率",
    "community_share": "社区化解占比",
    "acceptance_rate": "受理率",
    "referral_settlement_rate": "诉前调解成功率",
    "referral_days": "移送平均办理天数",
}
DAYS = ("referral_days",)


def _families(start: datetime, end: datetime):
    """(stamp, where, aggregates) per family. Aggregates are named n_* so none shadows a field."""
    reported = {
        "registered": Count("id"),
        "found": Count("id", filter=FOUND),
        "resolved": Count("id", filter=FOUND & AGREED),
        "accepted": Count("id", filter=ACCEPTED),
    }
    mediated = {
        "mediated": Count("id"),
        "successful": Count("id", filter=AGREED),
        "failed": Count("id", filter=Q(state=State.FAILED)),
        "parties": Sum("parties_count"),
        "amount": Sum("agreement__amount", filter=AGREED),
        "community_settled": Count("id", filter=AGREED & Q(level=Level.COMMUNITY)),
        "group_prevented": Count("id", filter=AGREED & Q(group_risk=True)),
    }
    closed = {"closed": Count("id"), "settled": Count("id", filter=AGREED)}
    referred = {
        "referrals": Count("id"),
        "referrals_settled": Count("id", filter=Q(referral__outcome=ReferralOutcome.SETTLED)),
        "referrals_returned": Count("id", filter=Q(referral__outcome=ReferralOutcome.RETURNED)),
        "referral_timed": Count("id", filter=REFERRAL_TIMED),
        "referral_seconds": Sum(SecondsBetween(F("referral__outcome_at"), F("referral__referred_at")),
                                filter=REFERRAL_TIMED),
    }
    prefixed = lambda aggregates: {f"n_{k}": v for k, v in aggregates.items()}  # noqa: E731
    return [
        ("reported_at", Q(reported_at__gte=start, reported_at__lt=end), prefixed(reported)),
        ("accepted_on", ACCEPTED & Q(accepted_on__gte=start, accepted_on__lt=end), prefixed(mediated)),
        ("closed_at", Q(state__in=CLOSED_STATES, closed_at__gte=start, closed_at__lt=end), prefixed(closed)),
        ("referral__referred_at", Q(referral__isnull=False, referral__referred_at__gte=start,
                                    referral__referred_at__lt=end), prefixed(referred)),
    ]


# --- turning raw aggregates into measures -------------------------------------------------------------------

HUNDREDTH = Decimal("0.01")


def half_up(numerator, denominator, scale: int = 100) -> Decimal | None:
    """numerator / denominator × scale rounded half-up to 2 places (93.391… → 93.39; 12.345 → 12.35)."""
    if not denominator:
        return None
    return (Decimal(str(numerator)) * scale / Decimal(str(denominator))).quantize(HUNDREDTH, ROUND_HALF_UP)


def ratio(numerator, denominator) -> dict:
    percent = half_up(numerator, denominator)
    return {"numerator": numerator, "denominator": denominator,
            "rate": None if percent is None else float(percent / 100),
            "display": "—" if percent is None else f"{percent}%"}


def mean_days(seconds, n: int) -> dict:
    days = Decimal(str(seconds or 0)) / 86400
    mean = half_up(days, n, scale=1)
    return {"numerator": float(days.quantize(HUNDREDTH, ROUND_HALF_UP)), "denominator": n,
            "rate": None if mean is None else float(mean), "display": "—" if mean is None else f"{mean} 天"}


def wan(yuan: Decimal) -> Decimal:
    """元 → 万元, half-up to 2 places (148,360,300.00 → 14,836.03)."""
    return (yuan / 10000).quantize(HUNDREDTH, ROUND_HALF_UP)


def measures(raw: dict) -> dict:
    """Counts, the amount and the rates of one row from its raw aggregates."""
    counts = {name: int(raw.get(name) or 0) for name in COUNT_NAMES}
    counts["referrals_pending"] = counts["referrals"] - counts["referrals_settled"] - counts["referrals_returned"]
    yuan = Decimal(str(raw.get("amount") or 0)).quantize(HUNDREDTH)
    decided = counts["referrals_settled"] + counts["referrals_returned"]
    rates = {
        "found_success_rate": ratio(counts["resolved"], counts["found"]),
        "mediation_success_rate": ratio(counts["successful"], counts["mediated"]),
        "community_share": ratio(counts["community_settled"], counts["successful"]),
        "acceptance_rate": ratio(counts["accepted"], counts["registered"]),
        "referral_settlement_rate": ratio(counts["referrals_settled"], decided),
        "referral_days": mean_days(raw.get("referral_seconds"), int(raw.get("referral_timed") or 0)),
    }
    return {"counts": counts, "amount": {"yuan": f"{yuan}", "wan": f"{wan(yuan)}", "wan_display": f"{wan(yuan):,}"},
            "measures": rates}


def _add(target: dict, row: dict):
    for name, value in row.items():
        if value is None:
            continue
        name = name.removeprefix("n_")
        target[name] = target[name] + value if name in target else value


# --- the query a caller asks ---------------------------------------------------------------------------

@dataclass
class StatsQuery:
    group: str
    period: str
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    anchor: Region | None  # whose subtree is counted (None: everything the user sees)
    region_level: str | None  # for group=region: the level of the rows
    level: str | None = None  # filters on the dispute
    type: str | None = None
    committee: Committee | None = None
    mediator: Mediator | None = None

    @property
    def date_from(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def date_to(self) -> date:
        return timezone.localtime(self.end).date() - timedelta(days=1)


def one_of(values) -> str:
    return "/".join(str(v) for v in values)


def _parse_date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"
        return None


def _parse_year(value, errors: dict, field: str = "year") -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value))
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        errors[field] = "年份应为 2000–2100 的整数 / year must be a number from 2000 to 2100"
        return None
    return year


def _parse_pk(value, model, field: str, label: str, errors: dict):
    """A committee or mediator to filter by. Names are never echoed back, so one outside the reader's area
    only narrows what they already see (to nothing)."""
    if value in (None, ""):
        return None
    try:
        pk = int(str(value))
    except ValueError:
        errors[field] = f"{label}编号应为整数 / {field} must be an id"
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        errors[field] = f"没有该{label} / no such {field}"
    return found


def default_anchor(user) -> Region | None:
    node = getattr(user, "scope_node", None)
    if node is None:
        return None
    return Region.objects.visible_to(user).filter(pk=node.pk).first()


def _anchor(user, params):
    code = params.get("region") or ""
    return get_visible_or_404(Region, user, code=code) if code else default_anchor(user)


def parse_query(user, params, *, today: date | None = None) -> StatsQuery:
    """group_by, region_level, period, from, to, year, region, level, type, committee, mediator from a query dict.

    A region outside the user's area is 404 (as everywhere); any other bad value raises ParamError naming
    every field at fault.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    group = params.get("group_by") or "region"
    if group not in GROUPS:
        errors["group_by"] = f"分组应为 {one_of(GROUPS)} 之一 / group_by must be one of {', '.join(GROUPS)}"
    period = params.get("period") or "year"
    if period not in PERIODS:
        errors["period"] = f"周期应为 {one_of(PERIODS)} 之一 / period must be one of {', '.join(PERIODS)}"
        period = "year"
    anchor = _anchor(user, params)
    region_level = params.get("region_level") or None
    if region_level is not None and region_level not in REGION_LEVELS:
        errors["region_level"] = f"区域层级应为 {one_of(REGION_LEVELS)} 之一 / region_level must be one of " \
                                 f"{', '.join(REGION_LEVELS)}"
        region_level = None
    elif (region_level is not None and anchor is not None
          and LEVEL_ORDER.index(region_level) < LEVEL_ORDER.index(anchor.level)):
        errors["region_level"] = "区域层级须在所选区域及以下 / region_level must be at or below the region"
    if group == "region" and region_level is None and "region_level" not in errors:
        region_level = (child_level(anchor.level) or anchor.level) if anchor is not None else RegionLevel.STREET
    level = params.get("level") or None
    if level is not None and level not in Level.values:
        errors["level"] = f"调解层级应为 {one_of(Level.values)} 之一 / level must be one of {', '.join(Level.values)}"
    dispute_type = params.get("type") or None
    if dispute_type is not None and dispute_type not in DisputeType.values:
        errors["type"] = "没有该纠纷类型 / type must be one of " + ", ".join(DisputeType.values)
    committee = _parse_pk(params.get("committee"), Committee, "committee", "调解组织", errors)
    mediator = _parse_pk(params.get("mediator"), Mediator, "mediator", "调解员", errors)
    date_from = _parse_date(params.get("from"), "from", errors)
    date_to = _parse_date(params.get("to"), "to", errors)
    year = _parse_year(params.get("year"), errors)
    if year is not None and (date_from or date_to):
        errors["year"] = "year 与 from/to 不能同时使用 / give either year or from/to"
    elif year is not None:
        date_from, date_to = date(year, 1, 1), date(year, 12, 31)
    if date_from and date_to and date_to < date_from:
        errors["to"] = "结束日期早于开始日期 / to is before from"
    if errors:
        raise ParamError(errors)
    if group == "period":
        # A trend shows whole periods: the window is widened to the periods holding from and to.
        last = date_to or today
        first = period_start(date_from or back_periods(period_start(last, period), period,
                                                       TREND_LENGTH[period] - 1), period)
        end = next_period(period_start(last, period), period)
        if len(buckets(first, end, period)) > MAX_BUCKETS:
            raise ParamError({"from": f"时间范围过长，最多 {MAX_BUCKETS} 期 / more than {MAX_BUCKETS} {period}s"})
    elif date_from is None and date_to is None:
        first = period_start(today, period)
        end = next_period(first, period)
    else:
        first = date_from or period_start(date_to, period)
        end = (date_to or today) + timedelta(days=1)
        if end <= first:
            raise ParamError({"to": "结束日期早于开始日期 / to is before from"})
    return StatsQuery(group=group, period=period, start=local_midnight(first), end=local_midnight(end),
                      anchor=anchor, region_level=region_level if group == "region" else None, level=level,
                      type=dispute_type, committee=committee, mediator=mediator)


# --- computing ------------------------------------------------------------------------------------------

def scoped_disputes(user, query: StatsQuery):
    """The disputes counted: what the user may see (the one scoping path), under the region, filtered."""
    disputes = Dispute.objects.visible_to(user)
    if disputes.query.distinct:
        # A mediator's view joins memberships; aggregates must not see a dispute twice.
        disputes = Dispute.objects.filter(pk__in=disputes.values("pk"))
    if query.anchor is not None:
        disputes = disputes.filter(region__path__startswith=query.anchor.path)
    for name in ("level", "type", "committee", "mediator"):
        value = getattr(query, name)
        if value is not None:
            disputes = disputes.filter(**{name: value})
    return disputes.alias(accepted_on=Coalesce("accepted_at", "reported_at")).order_by()


def period_starts(query: StatsQuery) -> list[date]:
    return buckets(query.date_from, query.date_to + timedelta(days=1), query.period)


def _bucket_index(stamp: str, starts: list[date], end: date):
    """Which period a timestamp falls in, as a CASE over local-midnight boundaries (plain comparisons, the same
    SQL on SQLite and PostgreSQL). No timestamp: -1; at or after the end: len(starts)."""
    whens = [When(**{f"{stamp}__isnull": True}, then=Value(-1))]
    whens += [When(**{f"{stamp}__lt": local_midnight(day)}, then=Value(i))
              for i, day in enumerate([*starts[1:], end])]
    return CaseWhen(*whens, default=Value(len(starts)), output_field=IntegerField())


def _grouped(disputes, query: StatsQuery, keys) -> dict:
    """{row key: raw aggregates} over the four families. `keys(family)` yields pairs of (the family annotated
    with `key`, a function from a `key` value to a row key or None to drop it)."""
    raw: dict = {}
    for stamp, where, aggregates in _families(query.start, query.end):
        family = disputes
        if query.group == "period":
            starts = period_starts(query)
            family = family.alias(bucket=_bucket_index(stamp, starts, query.date_to + timedelta(days=1)))
        family = family.filter(where)
        for annotated, to_key in keys(family):
            for row in annotated.values("key").annotate(**aggregates).order_by():
                key = to_key(row.pop("key"))
                if key is not None:
                    _add(raw.setdefault(key, {}), row)
    return raw


def _total_raw(disputes, query: StatsQuery) -> dict:
    raw: dict = {}
    for _stamp, where, aggregates in _families(query.start, query.end):
        _add(raw, disputes.filter(where).aggregate(**aggregates))
    return raw


def _row(key, code, label, raw, **extra) -> dict:
    return {"key": key, "code": code, "label": label, **extra, **measures(raw)}


def _region_rows(user, query: StatsQuery, disputes, total: dict):
    targets = Region.objects.visible_to(user).filter(level=query.region_level)
    if query.anchor is not None:
        targets = targets.filter(path__startswith=query.anchor.path)
    targets = list(targets.order_by("code"))
    by_path = {r.path: r for r in targets}

    def keys(family):
        # A dispute's region path cut to a target's length is that target's path: one GROUP BY per length.
        for n in sorted({len(p) for p in by_path}):
            yield family.annotate(key=Substr("region__path", 1, n)), lambda v: v if v in by_path else None

    raw = _grouped(disputes, query, keys)
    rows = [_row(r.code, r.code, r.name, raw.get(r.path, {}), level=r.level) for r in targets]
    # Disputes registered to a region above the rows' level (a referral naming only a street): their own row,
    # so the rows always add up to the total.
    rest = {name: value - sum(raw.get(p, {}).get(name, 0) for p in by_path) for name, value in total.items()
            if value is not None}
    if any(rest.get(name) for name in COUNT_NAMES):
        rows.append(_row(None, "", "上级区域直接登记", rest, level=None))
    return rows


NO_VALUE = {"committee": "未分流", "mediator": "未指派调解员", "level": "—", "type": "—"}


def _field_rows(query: StatsQuery, disputes, field: str, labels):
    def keys(family):
        yield family.annotate(key=F(field)), lambda v: v if v is not None else "none"

    raw = _grouped(disputes, query, keys)
    rows = [_row(key, code, label, raw.get(key, {})) for key, code, label in labels([k for k in raw if k != "none"])]
    if "none" in raw:
        rows.append(_row(None, "", NO_VALUE[query.group], raw["none"]))
    return rows


def _level_labels(keys):
    for value in Level.values:
        if value in keys:
            yield value, value, LEVEL_LABELS[value]


def _type_labels(keys):
    for value in DisputeType.values:
        if value in keys:
            yield value, value, TYPE_LABELS[value]


def _committee_labels(ids):
    # Named because a dispute the reader may see is with it (a committee at their level or above theirs).
    for c in Committee.objects.filter(pk__in=ids).order_by("level", "name", "id"):
        yield c.pk, str(c.pk), c.name


def _mediator_labels(ids):
    for m in Mediator.objects.filter(pk__in=ids).order_by("name", "id"):
        yield m.pk, str(m.pk), m.name


def _period_rows(query: StatsQuery, disputes):
    starts = period_starts(query)

    def keys(family):
        yield family.annotate(key=F("bucket")), lambda i: starts[i] if 0 <= i < len(starts) else None

    raw = _grouped(disputes, query, keys)
    return [_row(day.isoformat(), day.isoformat(), period_label(day, query.period), raw.get(day, {}))
            for day in starts]


def dispute_stats(user, query: StatsQuery) -> dict:
    """Rows (one per region / level / type / committee / mediator / period) and a total row."""
    disputes = scoped_disputes(user, query)
    total = _total_raw(disputes, query)
    if query.group == "region":
        rows = _region_rows(user, query, disputes, total)
    elif query.group == "level":
        rows = _field_rows(query, disputes, "level", _level_labels)
    elif query.group == "type":
        rows = _field_rows(query, disputes, "type", _type_labels)
    elif query.group == "committee":
        rows = _field_rows(query, disputes, "committee_id", _committee_labels)
    elif query.group == "mediator":
        rows = _field_rows(query, disputes, "mediator_id", _mediator_labels)
    else:
        rows = _period_rows(query, disputes)
    return {
        "group_by": query.group,
        "region_level": query.region_level,
        "period": query.period,
        "from": query.date_from.isoformat(),
        "to": query.date_to.isoformat(),
        "region": {"code": query.anchor.code, "name": query.anchor.name, "level": query.anchor.level}
        if query.anchor is not None else None,
        "filters": {"level": query.level, "type": query.type,
                    "committee": query.committee.pk if query.committee else None,
                    "mediator": query.mediator.pk if query.mediator else None},
        "rows": rows,
        "total": _row("total", "", "合计", total),
    }


# --- mediators' record and the yearly ranking (十佳调解员) --------------------------------------------------

@dataclass
class RankingQuery:
    year: int
    min_cases: int
    anchor: Region | None


def parse_ranking(user, params, *, today: date | None = None) -> RankingQuery:
    errors: dict[str, str] = {}
    year = _parse_year(params.get("year"), errors)
    raw_min = params.get("min_cases")
    min_cases = MIN_CASES
    if raw_min not in (None, ""):
        try:
            min_cases = int(str(raw_min))
        except ValueError:
            min_cases = -1
        if not 1 <= min_cases <= 10000:
            errors["min_cases"] = "最少案件数应为 1–10000 的整数 / min_cases must be a number from 1 to 10000"
    anchor = _anchor(user, params)
    if errors:
        raise ParamError(errors)
    return RankingQuery(year=year or (today or timezone.localdate()).year, min_cases=min_cases, anchor=anchor)


def mediator_ranking(user, query: RankingQuery) -> dict:
    """Each mediator's record for the year over the disputes the user may see, ranked.

    Cases are the disputes the mediator is on that were accepted in the year (the mediated family); agreed the
    ones of them now agreed; the mean rating is over the ratings their parties gave. Ranked: agreed count, then
    success rate (exact fractions), then mean rating, among those with at least `min_cases` cases.
    """
    start, end = local_midnight(date(query.year, 1, 1)), local_midnight(date(query.year + 1, 1, 1))
    stats_query = StatsQuery(group="mediator", period="year", start=start, end=end, anchor=query.anchor,
                             region_level=None)
    mediated = scoped_disputes(user, stats_query).filter(
        ACCEPTED & Q(accepted_on__gte=start, accepted_on__lt=end), mediator__isnull=False)
    counts = {row["mediator_id"]: row for row in mediated.values("mediator_id").annotate(
        cases=Count("id"), agreed=Count("id", filter=AGREED), parties=Sum("parties_count"),
        amount=Sum("agreement__amount", filter=AGREED)).order_by()}
    ratings = {row["dispute__mediator_id"]: row for row in Party.objects.filter(
        dispute__in=mediated.values("pk"), rating__isnull=False).values("dispute__mediator_id").annotate(
        mean=Avg("rating"), n=Count("id")).order_by()}
    records = []
    for mediator in Mediator.objects.filter(pk__in=list(counts)).order_by("name", "id"):
        row, rated = counts[mediator.pk], ratings.get(mediator.pk)
        mean = None if rated is None else Decimal(str(rated["mean"])).quantize(HUNDREDTH, ROUND_HALF_UP)
        records.append({
            "mediator": mediator.pk, "name": mediator.name, "title": mediator.title,
            "cases": row["cases"], "agreed": row["agreed"], "parties": int(row["parties"] or 0),
            "amount_wan": f"{wan(Decimal(str(row['amount'] or 0)))}",
            "success_rate": ratio(row["agreed"], row["cases"]),
            "mean_rating": None if mean is None else float(mean), "ratings": 0 if rated is None else rated["n"],
            "_order": (-row["agreed"], -Fraction(row["agreed"], row["cases"]), -(mean or 0), mediator.name,
                       mediator.pk),
        })
    records.sort(key=lambda r: r["_order"])
    ranked, below = [], []
    for record in records:
        record.pop("_order")
        (ranked if record["cases"] >= query.min_cases else below).append(record)
    for i, record in enumerate(ranked, start=1):
        record["rank"], record["top"] = i, i <= TOP
    for record in below:
        record["rank"], record["top"] = None, False
    return {
        "year": query.year, "min_cases": query.min_cases, "top": TOP,
        "region": {"code": query.anchor.code, "name": query.anchor.name, "level": query.anchor.level}
        if query.anchor is not None else None,
        "ranking": ranked, "below_threshold": below,
    }
