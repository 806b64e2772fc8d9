"""GET /api/v1/stats/cases: the case measures (考核指标) by region, department, category or period.

The numbers come from `wangge.cases.measures` (formulas in docs/measures.md), over the cases the reader
may see: a region outside their area answers 404, bad parameters 422 naming each field.
"""
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from wangge.cases.measures import ParamError, case_stats, parse_query
from wangge.core.api_errors import field_errors
from wangge.core.roles import can

router = Router(tags=["cases"])


class Measure(Schema):
    numerator: float
    denominator: int
    rate: float | None


class StatsRow(Schema):
    key: int | str | None
    code: str
    label: str
    level: str | None = None
    counts: dict[str, int]
    measures: dict[str, Measure]


class StatsRegion(Schema):
    code: str
    name: str
    level: str


class StatsOut(Schema):
    group: str
    level: str | None
    period: str
    date_from: str
    date_to: str
    region: StatsRegion | None
    rows: list[StatsRow]
    total: StatsRow


@router.get("/stats/cases", response=StatsOut, summary="Case measures 事件考核指标")
def case_measures(request,
                  group: str = Query("region", description="region | department | category | major | period"),
                  level: str | None = Query(None, description="rows' level for group=region: street, community, grid…"),
                  period: str = Query("month", description="day | week | month | quarter | year"),
                  date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD, inclusive"),
                  date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive"),
                  region: str | None = Query(None, description="a region code in your area (default: your own)")):
    """受理、立案、派遣、结案、按期结案、返工、延期、满意、自处 — each rate as numerator, denominator and rate
    (null when the denominator is 0), per row and in a total row. Without from/to the window is the current
    period (for group=period, the last periods up to now)."""
    if not can(request.user, "cases.stats"):
        raise HttpError(403, "not allowed / 无权操作")
    try:
        query = parse_query(request.user, request.GET)
    except ParamError as exc:
        raise field_errors("query", exc.errors) from None
    answer = case_stats(request.user, query)
    answer["date_from"], answer["date_to"] = answer.pop("from"), answer.pop("to")
    return answer
