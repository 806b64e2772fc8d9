"""GET /api/v1/stats/disputes and /api/v1/stats/mediators: the dispute ledger's measures and the mediators'
yearly ranking (十佳调解员).

The numbers come from `wangge.mediation.measures` (formulas in docs/mediation-measures.md), over the disputes
the reader may see: a region outside their area answers 404, bad parameters 422 naming each field.
"""
from ninja import Query, Router, Schema

from wangge.core.api_errors import field_errors
from wangge.core.measures.api import Measure, StatsOut, StatsRegion, StatsRow, answer, require_stats
from wangge.mediation.measures import DISPUTES, ParamError, mediator_ranking, parse_ranking

router = Router(tags=["mediation"])


class ShownMeasure(Measure):
    display: str


class Amount(Schema):
    yuan: str
    wan: str
    wan_display: str


class DisputeStatsRow(StatsRow):
    amount: Amount
    measures: dict[str, ShownMeasure]


class StatsFilters(Schema):
    level: str | None
    type: str | None
    committee: int | None
    mediator: int | None


class DisputeStatsOut(StatsOut):
    filters: StatsFilters
    rows: list[DisputeStatsRow]
    total: DisputeStatsRow


@router.get("/stats/disputes", response=DisputeStatsOut, summary="Dispute measures 矛盾纠纷统计")
def dispute_measures(
        request,
        group_by: str = Query("region", description="region | level | type | committee | mediator | period"),
        region_level: str | None = Query(None, description="rows' level for group_by=region: street, community…"),
        period: str = Query("month", description="month | quarter | year (the trend's step, or the default window)"),
        date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD, inclusive"),
        date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive"),
        year: str | None = Query(None, description="a whole year instead of from/to"),
        region: str | None = Query(None, description="a region code in your area (default: your own)"),
        level: str | None = Query(None, description="only this level: community | street | district | industry"),
        type: str | None = Query(None, description="only this dispute type"),
        committee: str | None = Query(None, description="only this committee (id)"),
        mediator: str | None = Query(None, description="only this mediator (id)")):
    """排查发现、化解、调解、调解成功、涉及当事人、协议金额（万元）、社区化解占比、防止群体性事件、受理、办结、
    诉前移送 —
    each rate as numerator, denominator, rate (null when the denominator is 0) and display (half-up, 2 places),
    per row and in a total row. Without from/to/year the window is the current period (default: this month)."""
    return answer(request, DISPUTES)


class RankedMediator(Schema):
    rank: int | None
    top: bool
    mediator: int
    name: str
    title: str
    cases: int
    agreed: int
    parties: int
    amount_wan: str
    success_rate: ShownMeasure
    mean_rating: float | None
    ratings: int


class RankingOut(Schema):
    year: int
    min_cases: int
    top: int
    region: StatsRegion | None
    ranking: list[RankedMediator]
    below_threshold: list[RankedMediator]


@router.get("/stats/mediators", response=RankingOut, summary="Mediator ranking 调解员排名（十佳调解员）")
def mediator_measures(
        request,
        year: str | None = Query(None, description="the year (default: this year)"),
        min_cases: str | None = Query(None, description="fewest cases to be ranked (default 10)"),
        region: str | None = Query(None, description="a region code in your area (default: your own)")):
    """Each mediator's cases (accepted in the year), agreed, success rate and mean party rating, over the disputes
    you may see; ranked by agreed, then success rate, then mean rating, among those with at least min_cases."""
    require_stats(request, DISPUTES)
    try:
        query = parse_ranking(request.user, request.GET)
    except ParamError as exc:
        raise field_errors("query", exc.errors) from None
    return mediator_ranking(request.user, query)
