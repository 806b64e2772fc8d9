"""What every statistics endpoint shares: the answer's shapes and the one way to answer."""
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError

from wangge.core.api_errors import field_errors
from wangge.core.measures import MeasureSet, ParamError, parse_query
from wangge.core.roles import can


class Measure(Schema):
    numerator: float
    denominator: int
    rate: float | None


class StatsRegion(Schema):
    code: str
    name: str
    level: str


class StatsRow(Schema):
    key: int | str | None
    code: str
    label: str
    level: str | None = None
    counts: dict[str, int]
    measures: dict[str, Measure]


class StatsOut(Schema):
    group_by: str
    region_level: str | None
    period: str
    date_from: str
    date_to: str
    region: StatsRegion | None
    rows: list[StatsRow]
    total: StatsRow


def require_stats(request, measure_set: MeasureSet) -> None:
    if not can(request.user, measure_set.permission):
        raise HttpError(403, _("Not allowed"))


def answer(request, measure_set: MeasureSet) -> dict:
    """The figures the reader may see for the query string: 403 without the permission, 404 for a region outside
    their area, 422 naming each bad parameter."""
    require_stats(request, measure_set)
    try:
        query = parse_query(measure_set, request.user, request.GET)
    except ParamError as exc:
        raise field_errors("query", exc.errors) from None
    data = measure_set.stats(request.user, query)
    data["date_from"], data["date_to"] = data.pop("from"), data.pop("to")
    return data
