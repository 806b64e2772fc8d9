"""GET /api/v1/stats/cases: the case measures (考核指标) by region, department, category or period.

The numbers come from the measures engine with `wangge.cases.measures` (formulas in docs/measures.md), over the
cases the reader may see: a region outside their area answers 404, bad parameters 422 naming each field.
"""
from ninja import Query, Router

from wangge.cases.measures import CASES
from wangge.core.measures.api import StatsOut, answer

router = Router(tags=["cases"])


class CaseStatsOut(StatsOut):
    group: str  # the same as group_by, under its old name
    level: str | None  # the same as region_level, under its old name


@router.get("/stats/cases", response=CaseStatsOut, summary="Case measures 事件考核指标")
def case_measures(
        request,
        group_by: str = Query("region", description="region | department | category | major | period"),
        region_level: str | None = Query(None, description="rows' level for group_by=region: street, community…"),
        period: str = Query("month", description="day | week | month | quarter | year (the trend's step, or the "
                                                 "default window)"),
        date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD, inclusive"),
        date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive"),
        year: str | None = Query(None, description="a whole year instead of from/to"),
        region: str | None = Query(None, description="a region code in your area (default: your own)"),
        group: str | None = Query(None, description="old name of group_by, still accepted"),
        level: str | None = Query(None, description="old name of region_level, still accepted")):
    """受理、立案、派遣、结案、按期结案、返工、延期、满意、自处 — each rate as numerator, denominator and rate
    (null when the denominator is 0), per row and in a total row. Without from/to/year the window is the current
    period (for group_by=period, the last periods up to now)."""
    return answer(request, CASES)
