"""The one map (一张图): the figures of a region and of each of its children, for a date range (docs/insight.md).

Cases, disputes and alerts come from the rollups (a few hundred rows whatever the district's size); devices, key
places and the "三个一" coverage are counted from their own tables (thousands of rows, not millions). Population
and care/special-group density are per-area aggregates from the registry's own counts (never a person's point).
A grid's children are its buildings, drawn as points with their own figures.

Every reader passes a region the user may see (the caller's `get_visible_or_404`), and everything counted here
lies under it; a region's records are all visible to whoever may see the region (scoping is by the grid's path).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.areas.models import Level, Region
from wangge.cases.models import OPEN_STATES as CASE_OPEN
from wangge.cases.models import MajorCategory
from wangge.cases.models import State as CaseState
from wangge.core.services import OperationError
from wangge.insight import rollups
from wangge.insight.models import RegionAncestor, Source
from wangge.mediation.models import OPEN_STATES as DISPUTE_OPEN
from wangge.mediation.models import DisputeType
from wangge.sensing.models import AlertState, AlertType

# A range longer than this is a report, not a map (the stats pages take years).
MAX_DAYS = 366
DEFAULT_DAYS = 30
# Dates outside these are typing mistakes, not ranges (and would overflow the calendar at the edges).
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)

OPEN = {Source.CASE: set(CASE_OPEN), Source.DISPUTE: set(DISPUTE_OPEN),
        Source.ALERT: {AlertState.ACTIVE, AlertState.ACKNOWLEDGED}}


@dataclass(frozen=True)
class Window:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_window(start: str | None, end: str | None, today: date | None = None) -> Window:
    """`from`/`to` as ISO dates (default: the last 30 days); backwards or longer than a year is refused."""
    today = today or timezone.localdate()
    errors = {}
    first = last = None
    for name, value in (("from", start), ("to", end)):
        if value:
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                errors[name] = _("Not a date (YYYY-MM-DD).")
                continue
            if not EARLIEST <= parsed <= LATEST:
                errors[name] = _("Choose a date between %(first)s and %(last)s.") % {"first": EARLIEST,
                                                                                      "last": LATEST}
                continue
            if name == "from":
                first = parsed
            else:
                last = parsed
    if errors:
        field, message = next(iter(errors.items()))
        raise OperationError(message, field=field)
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise OperationError(_("The start date is after the end date."), field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise OperationError(_("At most %(days)s days at a time.") % {"days": MAX_DAYS}, field="to")
    return Window(first, last)


def kind_labels() -> dict:
    return {
        Source.CASE: dict(MajorCategory.objects.values_list("code", "name")),
        Source.DISPUTE: dict(DisputeType.choices),
        Source.ALERT: dict(AlertType.choices),
    }


def _summary(rows, source) -> dict:
    total = sum(r["n"] for r in rows)
    open_ = sum(r["n"] for r in rows if r["state"] in OPEN[source])
    summary = {"total": total, "open": open_}
    if source == Source.CASE:
        summary["closed"] = sum(r["n"] for r in rows if r["state"] == CaseState.CLOSED)
        summary["on_time"] = sum(r["on_time"] for r in rows)
    return summary


def _breakdown(rows, key: str, labels: dict | None = None) -> list[dict]:
    totals = defaultdict(int)
    for row in rows:
        totals[row[key]] += row["n"]
    ordered = sorted(((k, n) for k, n in totals.items() if n), key=lambda kv: (-kv[1], kv[0]))
    return [{"code": k, "name": str((labels or {}).get(k, k)), "n": n} for k, n in ordered]


def children_of(region: Region) -> list[Region]:
    return list(region.children.defer("polygon").order_by("code")) if region.level != Level.GRID else []


def record_figures(region: Region, window: Window, children: list[Region], major: str = "") -> tuple[dict, dict]:
    """({source: the region's own summary, by state and by kind}, {child id: {source: summary}})."""
    labels = kind_labels()
    own, per_child = {}, defaultdict(dict)
    for source in Source.values:
        kinds = [major] if major and source == Source.CASE else None
        rows = rollups.counts(source, window.first, window.last, region=region, kinds=kinds, by=("kind", "state"))
        summary = _summary(rows, source)
        summary["by_state"] = _breakdown(rows, "state", _state_labels(source))
        summary["by_kind"] = _breakdown(rows, "kind", labels[source])
        own[source] = summary
        if children:
            grouped = defaultdict(list)
            for row in rollups.counts(source, window.first, window.last, parent=region, kinds=kinds,
                                      by=("region", "state")):
                grouped[row["region"]].append(row)
            for child in children:
                per_child[child.pk][source] = _summary(grouped.get(child.pk, []), source)
    return own, per_child


def _state_labels(source) -> dict:
    from wangge.cases.models import State as CaseStates
    from wangge.mediation.models import State as DisputeStates

    return {Source.CASE: dict(CaseStates.choices), Source.DISPUTE: dict(DisputeStates.choices),
            Source.ALERT: dict(AlertState.choices)}[source]


def _child_of_grid(region: Region) -> dict[int, int]:
    """grid id → the child of `region` holding it (a grid is its own child at grid level)."""
    if region.level == Level.GRID:
        return {region.pk: region.pk}
    return dict(RegionAncestor.objects.filter(parent=region).values_list("grid_id", "region_id"))


def device_figures(user, region: Region) -> tuple[dict, dict]:
    """Devices by connectivity: the region's and each child's (online, offline, never heard from), one query."""
    from wangge.sensing.connectivity import Connectivity, connectivity_q, timeout_overrides
    from wangge.sensing.models import Device

    devices = Device.objects.visible_to(user).filter(grid__path__startswith=region.path).exclude(state="retired")
    owner = _child_of_grid(region)
    now = timezone.now()
    values = (Connectivity.ONLINE, Connectivity.OFFLINE, Connectivity.UNKNOWN)
    overrides = timeout_overrides()
    grouped = devices.values_list("grid_id").annotate(
        **{value: Count("id", filter=connectivity_q(value, now, overrides)) for value in values}).order_by()
    own, per_child = defaultdict(int), defaultdict(lambda: defaultdict(int))
    for grid_id, *numbers in grouped:
        for value, n in zip(values, numbers):
            own[value] += n
            if grid_id in owner:
                per_child[owner[grid_id]][value] += n
    return dict(own), {k: dict(v) for k, v in per_child.items()}


def place_figures(user, region: Region) -> tuple[int, dict]:
    """Key places (重点场所): the region's count and each child's."""
    from wangge.registry.models import Place

    owner = _child_of_grid(region)
    per_child = defaultdict(int)
    total = 0
    for grid_id, n in (Place.objects.visible_to(user).filter(grid__path__startswith=region.path)
                       .values_list("grid_id").annotate(n=Count("id"))):
        total += n
        if grid_id in owner:
            per_child[owner[grid_id]] += n
    return total, dict(per_child)


def coverage_figures(user, region: Region) -> tuple[dict, dict]:
    from wangge.sensing.coverage import coverage

    rows, total = coverage(user, region)
    return total.as_dict(), {row.region.pk: row.as_dict() for row in rows if row.region is not None}


def heat(region: Region, window: Window, major: str = "") -> list[list]:
    """[lng, lat, cases] per grid under `region`: the heat layer, from the grids' rollups (no record's point)."""
    rows = (rollups.Rollup.objects.filter(rollups.spans(window.first, window.last), source=Source.CASE,
                                          region__level=Level.GRID, region__path__startswith=region.path)
            .filter(kind=major or rollups.ALL)
            .values("region__center_lng", "region__center_lat").annotate(n=rollups.Sum("n")).order_by())
    return [[r["region__center_lng"], r["region__center_lat"], r["n"]] for r in rows
            if r["n"] and r["region__center_lng"] is not None]


def buildings(user, grid: Region) -> list[dict]:
    """A grid's buildings as points with their own figures: residents, open alerts, the three ones."""
    from wangge.registry.models import Building
    from wangge.sensing.coverage import with_flags

    rows = (with_flags(Building.objects.visible_to(user).filter(grid=grid))
            .annotate(residents=Count("houses__residents", distinct=True),
                      open_alerts=Count("alerts", filter=Q(alerts__state__in=OPEN[Source.ALERT]), distinct=True))
            .order_by("name"))
    return [{"id": b.pk, "name": b.name, "address": b.address, "lng": b.lng, "lat": b.lat, "residents": b.residents,
             "open_alerts": b.open_alerts, "rental": b.is_rental,
             "three_ones": bool((b.head_id or b.head_staff_id) and b.has_door and b.has_video)}
            for b in rows]


def trail(region: Region, user) -> list[dict]:
    """The breadcrumb from the user's own node (or the top for an administrator) down to `region`."""
    top = user.scope_node
    codes = [c for c in region.path.split("/") if c]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes).only("code", "name", "level", "path")}
    nodes = [by_code[c] for c in codes if c in by_code and (top is None or by_code[c].path.startswith(top.path))]
    return [{"code": r.code, "name": r.name, "level": r.level} for r in nodes]


def figures(user, region: Region, window: Window, major: str = "") -> dict:
    """Everything the one map shows for `region` and its children over `window` (the API's answer)."""
    children = children_of(region)
    own, per_child = record_figures(region, window, children, major)
    devices, devices_by_child = device_figures(user, region)
    places, places_by_child = place_figures(user, region)
    cover, cover_by_child = coverage_figures(user, region)
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "trail": trail(region, user),
        "from": window.first.isoformat(), "to": window.last.isoformat(), "major": major,
        "totals": {**own, "devices": devices, "places": places, "coverage": cover},
        "children": [{
            "code": child.code, "name": child.name, "level": child.level,
            **per_child.get(child.pk, {}),
            "devices": devices_by_child.get(child.pk, {}), "places": places_by_child.get(child.pk, 0),
            "coverage": cover_by_child.get(child.pk, {}),
        } for child in children],
    }


def rates(user, region: Region, window: Window) -> dict:
    """结案率, 按期结案率 (over 应结案数) and the share of closures on time, from the one measures module."""
    from wangge.cases.measures import case_stats, parse_query

    query = parse_query(user, {"region": region.code, "from": window.first.isoformat(),
                               "to": window.last.isoformat()})
    measures = case_stats(user, query)["total"]["measures"]
    return {name: measures[name] for name in ("close_rate", "on_time_rate", "on_time_share")}


def export_figures(actor, region: Region, window: Window, major: str = "") -> tuple[str, bytes]:
    """(file name, .xlsx) of the map's table: each child's figures and the region's total, with the audit row
    saying who took them."""
    from django.db import transaction

    from wangge.core.audit import record as audit_record
    from wangge.core.spreadsheets import table_xlsx

    data = figures(actor, region, window, major)
    heading = [_("Area"), _("Code"), _("Cases"), _("Open cases"), _("Closed"), _("Closed on time"), _("Disputes"),
               _("Open disputes"), _("Alerts"), _("Open alerts"), _("Devices online"), _("Devices offline"),
               _("Key places"), _("Buildings"), _("All three ones")]

    def row(name, code, figures_):
        case, dispute, alert = (figures_.get(s, {}) for s in Source.values)
        devices, cover = figures_.get("devices", {}), figures_.get("coverage", {})
        return [name, code, case.get("total", 0), case.get("open", 0), case.get("closed", 0), case.get("on_time", 0),
                dispute.get("total", 0), dispute.get("open", 0), alert.get("total", 0), alert.get("open", 0),
                devices.get("online", 0), devices.get("offline", 0), figures_.get("places", 0),
                cover.get("buildings", 0), cover.get("all_three", 0)]

    rows = [row(child["name"], child["code"], child) for child in data["children"]]
    rows.append(row(_("Total"), region.code, data["totals"]))
    caption = _("%(where)s, reported %(first)s to %(last)s") % {"where": region.name, "first": data["from"],
                                                                 "last": data["to"]}
    content = table_xlsx(_("One map"), heading, rows, caption)
    with transaction.atomic():
        audit_record(actor, "insight.map_export", None, region=region.code, date_from=data["from"],
                     date_to=data["to"], major=major)
    return f"onemap-{region.code}-{data['from']}-{data['to']}.xlsx", content
