"""Dispute measures (矛盾纠纷统计): what the measures engine (`wangge.core.measures`) counts for the ledger, and
the mediators' yearly ranking. Formulas: docs/mediation-measures.md.

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
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.ids import as_row_id
from wangge.core.measures import (
    BY_PERIOD,
    BY_REGION,
    Family,
    Grouping,
    MeasureSet,
    ParamError,
    SecondsBetween,
    StatsQuery,
    anchor_of,
    local_midnight,
    one_of,
    parse_year,
    region_summary,
)
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

__all__ = ["ParamError", "StatsQuery", "DISPUTES", "parse_query", "dispute_stats", "parse_ranking",
           "mediator_ranking"]

# 十佳调解员: mediators with fewer cases in the year are listed but not ranked; the top this many are 十佳.
MIN_CASES = 10
TOP = 10

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
    "registered": gettext_lazy("Registered disputes"), "found": gettext_lazy("Found by screening"),
    "resolved": gettext_lazy("Resolved"), "accepted": gettext_lazy("Accepted disputes"),
    "mediated": gettext_lazy("Mediated"), "successful": gettext_lazy("Mediated successfully"),
    "failed": gettext_lazy("Mediation failed"), "parties": gettext_lazy("Parties involved"),
    "community_settled": gettext_lazy("Settled in the community"),
    "group_prevented": gettext_lazy("Group incidents prevented"), "closed": gettext_lazy("Concluded"),
    "settled": gettext_lazy("Concluded successfully"), "referrals": gettext_lazy("Pre-litigation referrals"),
    "referrals_settled": gettext_lazy("Referrals settled"), "referrals_returned": gettext_lazy("Returned to court"),
    "referrals_pending": gettext_lazy("Referrals in progress"),
}
RATES = {
    "found_success_rate": gettext_lazy("Screening resolution rate"),
    "mediation_success_rate": gettext_lazy("Mediation success rate"),
    "community_share": gettext_lazy("Share settled in the community"),
    "acceptance_rate": gettext_lazy("Acceptance rate"),
    "referral_settlement_rate": gettext_lazy("Pre-litigation settlement rate"),
    "referral_days": gettext_lazy("Mean days per referral"),
}
DAYS = ("referral_days",)


def _families() -> dict:
    """The aggregates of the four families, by the timestamp that windows each."""
    return {
        "reported_at": {
            "registered": Count("id"),
            "found": Count("id", filter=FOUND),
            "resolved": Count("id", filter=FOUND & AGREED),
            "accepted": Count("id", filter=ACCEPTED),
        },
        "accepted_on": {
            "mediated": Count("id"),
            "successful": Count("id", filter=AGREED),
            "failed": Count("id", filter=Q(state=State.FAILED)),
            "parties": Sum("parties_count"),
            "amount": Sum("agreement__amount", filter=AGREED),
            "community_settled": Count("id", filter=AGREED & Q(level=Level.COMMUNITY)),
            "group_prevented": Count("id", filter=AGREED & Q(group_risk=True)),
        },
        "closed_at": {"closed": Count("id"), "settled": Count("id", filter=AGREED)},
        "referral__referred_at": {
            "referrals": Count("id"),
            "referrals_settled": Count("id", filter=Q(referral__outcome=ReferralOutcome.SETTLED)),
            "referrals_returned": Count("id", filter=Q(referral__outcome=ReferralOutcome.RETURNED)),
            "referral_timed": Count("id", filter=REFERRAL_TIMED),
            "referral_seconds": Sum(SecondsBetween(F("referral__outcome_at"), F("referral__referred_at")),
                                    filter=REFERRAL_TIMED),
        },
    }


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
            "rate": None if mean is None else float(mean),
            "display": "—" if mean is None else _("%(days)s days") % {"days": mean}}


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


# --- groupings and filters ------------------------------------------------------------------------------------

def _choice_labels(choices):
    def labels(keys):
        for value, label in choices:
            if value in keys:
                yield value, value, label
    return labels


def _committee_labels(ids):
    # Named because a dispute the reader may see is with it (a committee at their level or above theirs).
    for c in Committee.objects.filter(pk__in=ids).order_by("level", "name", "id"):
        yield c.pk, str(c.pk), c.name


def _mediator_labels(ids):
    for m in Mediator.objects.filter(pk__in=ids).order_by("name", "id"):
        yield m.pk, str(m.pk), m.name


def _parse_choice(value, choices, field: str, message: str, errors: dict):
    if value in (None, ""):
        return None
    if value not in choices:
        errors[field] = message
    return value


def _parse_pk(value, model, field: str, errors: dict, not_an_id: str, not_found: str):
    """A committee or mediator to filter by. Names are never echoed back, so one outside the reader's area
    only narrows what they already see (to nothing)."""
    if value in (None, ""):
        return None
    pk = as_row_id(value)
    found = None if pk is None else model.objects.filter(pk=pk).first()
    if pk is None:
        errors[field] = not_an_id
    elif found is None:
        errors[field] = not_found
    return found


class DisputeMeasures(MeasureSet):
    """The four families of the module docstring over the visible disputes, filtered by level, type, committee
    and mediator."""

    name = "mediation"
    permission = "mediation.stats"
    region_path = "region__path"
    groups = {
        "region": BY_REGION,
        "level": Grouping(gettext_lazy("By mediation level"), "level", _choice_labels(Level.choices)),
        "type": Grouping(gettext_lazy("By dispute type"), "type", _choice_labels(DisputeType.choices)),
        "committee": Grouping(gettext_lazy("By committee"), "committee_id", _committee_labels,
                              gettext_lazy("Not yet routed")),
        "mediator": Grouping(gettext_lazy("By mediator"), "mediator_id", _mediator_labels,
                             gettext_lazy("No mediator assigned")),
        "period": BY_PERIOD,
    }
    periods = ("month", "quarter", "year")
    max_buckets = 240
    count_names = COUNT_NAMES
    count_labels = COUNT_LABELS
    rate_labels = RATES
    remainder_label = gettext_lazy("Registered directly at a higher region")

    def visible(self, user):
        disputes = Dispute.objects.visible_to(user)
        if disputes.query.distinct:
            # A mediator's view joins memberships; aggregates must not see a dispute twice.
            disputes = Dispute.objects.filter(pk__in=disputes.values("pk"))
        return disputes

    def narrow(self, records, query: StatsQuery):
        for name, value in query.filters.items():
            if value is not None:
                records = records.filter(**{name: value})
        return records.alias(accepted_on=Coalesce("accepted_at", "reported_at"))

    def parse_filters(self, params, errors: dict) -> dict:
        return {
            "level": _parse_choice(params.get("level"), Level.values, "level", _(
                "level must be one of %(choices)s") % {"choices": one_of(Level.values)}, errors),
            "type": _parse_choice(params.get("type"), DisputeType.values, "type", _("no such dispute type"), errors),
            "committee": _parse_pk(params.get("committee"), Committee, "committee", errors,
                                   _("committee must be an id"), _("no such committee")),
            "mediator": _parse_pk(params.get("mediator"), Mediator, "mediator", errors,
                                  _("mediator must be an id"), _("no such mediator")),
        }

    def echo_filters(self, query: StatsQuery) -> dict:
        filters = query.filters
        return {"level": filters.get("level"), "type": filters.get("type"),
                "committee": filters["committee"].pk if filters.get("committee") else None,
                "mediator": filters["mediator"].pk if filters.get("mediator") else None}

    def families(self, query: StatsQuery, now: datetime) -> list[Family]:
        start, end = query.start, query.end
        aggregates = _families()
        return [
            Family("reported_at", Q(reported_at__gte=start, reported_at__lt=end), aggregates["reported_at"]),
            Family("accepted_on", ACCEPTED & Q(accepted_on__gte=start, accepted_on__lt=end),
                   aggregates["accepted_on"]),
            Family("closed_at", Q(state__in=CLOSED_STATES, closed_at__gte=start, closed_at__lt=end),
                   aggregates["closed_at"]),
            Family("referral__referred_at", Q(referral__isnull=False, referral__referred_at__gte=start,
                                              referral__referred_at__lt=end), aggregates["referral__referred_at"]),
        ]

    def measures(self, raw: dict) -> dict:
        return measures(raw)


DISPUTES = DisputeMeasures()


def parse_query(user, params, *, today: date | None = None) -> StatsQuery:
    return DISPUTES.parse(user, params, today=today)


def dispute_stats(user, query: StatsQuery) -> dict:
    """Rows (one per region / level / type / committee / mediator / period) and a total row."""
    return DISPUTES.stats(user, query)


def scoped_disputes(user, query: StatsQuery):
    """The disputes counted: what the user may see (the one scoping path), under the region, filtered."""
    return DISPUTES.records(user, query)


# --- mediators' record and the yearly ranking (十佳调解员) --------------------------------------------------

@dataclass
class RankingQuery:
    year: int
    min_cases: int
    anchor: object  # a Region, or None: everything the user sees


def parse_ranking(user, params, *, today: date | None = None) -> RankingQuery:
    errors: dict[str, str] = {}
    year = parse_year(params.get("year"), errors)
    raw_min = params.get("min_cases")
    min_cases = MIN_CASES
    if raw_min not in (None, ""):
        try:
            min_cases = int(str(raw_min))
        except ValueError:
            min_cases = -1
        if not 1 <= min_cases <= 10000:
            errors["min_cases"] = _("min_cases must be a number from 1 to 10000")
    anchor = anchor_of(user, params)
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
        "region": region_summary(query.anchor),
        "ranking": ranked, "below_threshold": below,
    }
