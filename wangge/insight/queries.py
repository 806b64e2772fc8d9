"""Reading stored warnings and the concentration curve: the filters the board and the API share, checked once.

Nothing here runs the analysis: pages and the API read `EarlyWarning` rows (written by the worker) and, for the
curve, one grouped count of the incidents in the user's area over the window.
"""
from datetime import date, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from wangge.areas.models import Level, Region
from wangge.core.measures import local_midnight
from wangge.insight.models import EarlyWarning, WarningKind, WarningSeverity, WarningSource, WarningState

MAX_DAYS = 366
YEARS = (1990, 2099)  # dates outside are a typing mistake (and the calendar's edges would overflow)
DEFAULT_CURVE_DAYS = 28
FILTERS = ("kind", "source", "category", "state", "severity", "area", "from", "to", "sort")
STATES = (*WarningState.values, "open", "all")
# The board's orders. "high" sorts before "medium" as text, so high severity comes first going up (a test holds it).
# The warnings one analysis raised or found again share their last seen: they read by kind, strongest first.
SORTS = {"severity": ("severity", "-last_seen", "kind", "-strength", "-id"),
         "recent": ("-last_seen", "kind", "-strength", "-id")}
DEFAULT_SORT = "severity"


def _date(value, name, errors) -> date | None:
    if not value:
        return None
    parsed = None
    try:
        parsed = parse_date(str(value))
    except ValueError:
        pass
    if parsed is None:
        errors[name] = _("%(field)s is not a date (YYYY-MM-DD)") % {"field": name}
    elif not YEARS[0] <= parsed.year <= YEARS[1]:
        errors[name] = _("%(field)s must be between %(first)s and %(last)s") % {
            "field": name, "first": YEARS[0], "last": YEARS[1]}
        parsed = None
    return parsed


def check_range(start: date | None, end: date | None, errors: dict) -> None:
    """from ≤ to, and at most MAX_DAYS apart."""
    if start and end and end < start:
        errors["to"] = _("to is before from")
    elif start and end and (end - start).days + 1 > MAX_DAYS:
        errors["from"] = _("The range is longer than %(days)s days") % {"days": MAX_DAYS}


def read_filters(params, *, default_state="open") -> tuple[dict, dict]:
    """(chosen, errors): each filter as given (stripped), with {field: message} for every one that is not valid."""
    from wangge.insight.sources import category_codes

    chosen = {key: str(params.get(key) or "").strip()[:40] for key in FILTERS}
    chosen["state"] = chosen["state"] or default_state
    chosen["sort"] = chosen["sort"] or DEFAULT_SORT
    errors = {}
    if chosen["sort"] not in SORTS:
        errors["sort"] = _("Unknown %(field)s %(value)s") % {"field": "sort", "value": repr(chosen["sort"])}
    for name, allowed in (("kind", WarningKind.values), ("source", WarningSource.values),
                          ("severity", WarningSeverity.values), ("state", STATES)):
        if chosen[name] and chosen[name] not in allowed:
            errors[name] = _("Unknown %(field)s %(value)s") % {"field": name, "value": repr(chosen[name])}
    if chosen["category"]:
        codes = category_codes()
        known = codes.get(chosen["source"]) if chosen["source"] in codes else set().union(*codes.values())
        if chosen["category"] not in known:
            errors["category"] = _("Unknown category %(value)s") % {"value": repr(chosen["category"])}
    chosen["from_date"] = _date(chosen["from"], "from", errors)
    chosen["to_date"] = _date(chosen["to"], "to", errors)
    check_range(chosen["from_date"], chosen["to_date"], errors)
    return chosen, errors


def warnings_for(user, chosen: dict, area: Region | None = None):
    warnings = EarlyWarning.objects.visible_to(user).select_related("region", "grid", "case", "assignee")
    if area is not None:
        warnings = warnings.filter(path__startswith=area.path)
    state = chosen.get("state") or "open"
    if state == "open":
        warnings = warnings.open()
    elif state != "all":
        warnings = warnings.filter(state=state)
    for name in ("kind", "source", "category", "severity"):
        if chosen.get(name):
            warnings = warnings.filter(**{name: chosen[name]})
    if chosen.get("from_date"):
        warnings = warnings.filter(last_seen__gte=local_midnight(chosen["from_date"]))
    if chosen.get("to_date"):
        warnings = warnings.filter(first_seen__lt=local_midnight(chosen["to_date"] + timedelta(days=1)))
    return warnings


# --- the concentration curve ----------------------------------------------------------------------------------


def _grouped(source: str, category: str, area: Region, first: date, last: date) -> dict:
    """{grid id: incidents} of `source` (and `category`) in the grids of `area`, dated in [first, last]: read from
    the one map's rollups (grid rows; whole months from month rows), kept current by the worker within a minute.
    A case merged into another or rejected is not an incident (as for the analysis: sources.py)."""
    from django.db.models import Sum

    from wangge.insight.models import Rollup
    from wangge.insight.rollups import ALL, spans

    # Without a category, the rows of every kind summed (kind ALL), not each kind's on top of them.
    rows = Rollup.objects.filter(spans(first, last), source=source, region__level=Level.GRID,
                                 region__path__startswith=area.path, kind=category or ALL)
    if source == "case":
        rows = rows.exclude(state__in=("merged", "rejected"))
    return dict(rows.order_by().values_list("region_id").annotate(n=Sum("n")))


def concentration(area: Region, source: str, category: str, start: date, end: date) -> dict:
    """The Lorenz-style curve of `source`/`category` over the grids of `area`, [start, end] (days, inclusive):
    grids from the busiest down, the cumulative share of grids (x) against the cumulative share of incidents (y);
    `half_share` is the smallest share of grids that holds half of them: an even spread needs half the grids, a
    concentrated one far fewer."""
    grids = list(Region.objects.filter(level=Level.GRID, path__startswith=area.path).values_list("pk", flat=True))
    counts = _grouped(source, category, area, start, end)
    values = sorted((counts.get(pk, 0) for pk in grids), reverse=True)
    total = sum(values)
    points, running = [[0.0, 0.0]], 0
    half = None
    for index, value in enumerate(values, start=1):
        running += value
        x, y = index / len(values), (running / total if total else 0.0)
        points.append([round(x, 4), round(y, 4)])
        if half is None and total and running * 2 >= total:
            half = round(x, 4)
    step = max(1, len(points) // 200)  # at most ~200 points drawn, the ends kept
    thinned = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
    return {"area": {"code": area.code, "name": area.name}, "source": source, "category": category,
            "from": start.isoformat(), "to": end.isoformat(), "grids": len(values), "incidents": total,
            "half_share": half, "grids_for_half": (None if half is None else round(half * len(values))),
            "points": thinned}


def curve_window(chosen: dict) -> tuple[date, date]:
    """[start, end] of the curve: as chosen, the last DEFAULT_CURVE_DAYS by default, never more than MAX_DAYS."""
    start, end = chosen.get("from_date"), chosen.get("to_date")
    if end is None:
        end = min(timezone.localdate(), start + timedelta(days=MAX_DAYS - 1)) if start else timezone.localdate()
    if start is None:
        start = end - timedelta(days=DEFAULT_CURVE_DAYS - 1)
    return start, end


def home_area(user) -> Region | None:
    """The area a page or the curve shows when none is chosen: the user's own node (an administrator: the first
    district)."""
    node = getattr(user, "scope_node", None)
    if node is not None:
        return node
    return Region.objects.visible_to(user).filter(level=Level.DISTRICT).order_by("path").first()
