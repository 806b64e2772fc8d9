"""Operations on the region tree. Each takes the acting user, runs in one
transaction, writes all or nothing, and leaves an audit row."""
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.areas import locate
from wangge.areas.crs import to_wgs84
from wangge.areas.geometry import (
    GeometryError,
    center_of,
    find_overlaps,
    parse_boundary,
)
from wangge.areas.importing import (
    DIVISION_LEVELS,
    ImportRejected,
    RowError,
    read_divisions_csv,
    read_grids_geojson,
)
from wangge.areas.models import PARENT_LEVEL, Level, Region, make_path
from wangge.core import audit
from wangge.core.roles import can
from wangge.core.scoping import ALL, scope_prefix
from wangge.core.services import OperationError

# --- locating a point ----------------------------------------------------------------------------

def in_area(user, region: Region) -> bool:
    """Whether a region lies in the user's area (regions are scoped by their own path: no query needed)."""
    prefix = scope_prefix(user)
    return prefix is ALL or (prefix is not None and region.path.startswith(prefix))


def locate_point(lng, lat, crs: str = "wgs84", *, within=None, grid: Region | None = None):
    """(grid, lng, lat): the grid holding a point given in any CRS we read, and the point in WGS-84 (7 places).

    `within`: the acting user, whose area the grid must lie in; they may give a `grid` instead of a point
    (then lng and lat are None). Without `within` (a citizen, Open311) the point may be anywhere we have grids.
    Every refusal is an OperationError naming the field at fault.
    """
    if lng is None or lat is None:
        if within is None:
            raise OperationError(_("Choose the location on the map"), field="location")
        if grid is None:
            raise OperationError(_("Give a location or a grid"), field="location")
        if not in_area(within, grid):
            raise OperationError(_("This grid is not in your area"), field="grid")
        return grid, None, None
    try:
        wgs_lng, wgs_lat = to_wgs84(float(lng), float(lat), crs)
        found = locate.locate(wgs_lng, wgs_lat)
    except (ValueError, TypeError) as exc:
        raise OperationError(str(exc), field="location") from None
    if found is None:
        # A citizen is told it is outside this district; staff that it is outside every grid (they know the area).
        raise OperationError(_("The location is outside every grid") if within is not None
                             else _("The location is outside every grid of this district"), field="location")
    located = Region.objects.defer("polygon").get(code=found["code"])
    if within is not None and not in_area(within, located):
        raise OperationError(_("The location is not in your area"), field="location")
    return located, round(wgs_lng, 7), round(wgs_lat, 7)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _read_whole(text: str, read, check_tree) -> list:
    """An import file's rows, read and then checked as a tree; any fault rejects the whole file (every fault
    reported, in line order), so the import writes all or nothing."""
    rows, errors = read(text)
    errors += check_tree(rows)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    return rows


def do_import_divisions(actor, text: str) -> ImportResult:
    """Import 统计用区划代码 rows (code,name,level,parent_code). All or nothing."""
    rows = _read_whole(text, read_divisions_csv, _check_division_tree)
    result = ImportResult()
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.filter(code__in=[row.code for row in rows])}
        for level in DIVISION_LEVELS:  # parents before children, so paths can be built
            new, renamed = [], []
            for row in (r for r in rows if r.level == level):
                region = existing.get(row.code)
                if region is None:
                    parent = existing.get(row.parent_code) or Region.objects.filter(code=row.parent_code).first()
                    new.append(Region(code=row.code, name=row.name, level=level, parent=parent,
                                      path=make_path(parent.path if parent else None, row.code)))
                elif region.name != row.name:
                    region.name = row.name
                    renamed.append(region)
                else:
                    result.unchanged += 1
            for region in Region.objects.bulk_create(new):
                existing[region.code] = region
            Region.objects.bulk_update(renamed, ["name"])
            result.created += len(new)
            result.updated += len(renamed)
        audit.record(actor, "areas.import_divisions", None, created=result.created,
                     updated=result.updated, unchanged=result.unchanged)
    return result


def _level(code: str) -> str:
    """A level's name inside a sentence ("a street"; 街道)."""
    return str(Level(code).label).lower()


def _check_division_tree(rows) -> list[RowError]:
    """Cross-row checks: duplicates, parents that exist at the right level, no moves."""
    errors, seen = [], {}
    for row in rows:
        if row.code in seen:
            errors.append(RowError(row.line, _("Duplicate code %(code)s (first on line %(line)s)")
                                   % {"code": row.code, "line": seen[row.code].line}, "code"))
        else:
            seen[row.code] = row
    codes = set(seen) | {r.parent_code for r in rows if r.parent_code}
    in_db = {r.code: r for r in Region.objects.filter(code__in=codes)}
    for row in rows:
        if seen.get(row.code) is not row:
            continue
        stored = in_db.get(row.code)
        if stored and (stored.level != row.level or (stored.parent.code if stored.parent else "") != row.parent_code):
            errors.append(RowError(row.line, _("%(code)s already exists with another level or parent")
                                   % {"code": row.code}, "code"))
        if row.level == Level.PROVINCE:
            continue
        parent = seen.get(row.parent_code) or in_db.get(row.parent_code)
        if parent is None:
            errors.append(RowError(row.line, _("Unknown parent %(code)s") % {"code": row.parent_code}, "parent_code"))
        elif parent.level != PARENT_LEVEL[row.level]:
            errors.append(RowError(row.line, _("The parent %(code)s is a %(level)s; a %(child)s's parent is a "
                                               "%(wanted)s") % {"code": row.parent_code, "level": _level(parent.level),
                                                                "child": _level(row.level),
                                                                "wanted": _level(PARENT_LEVEL[row.level])},
                                   "parent_code"))
    return errors


def do_import_grids(actor, text: str) -> ImportResult:
    """Import grid boundaries from a GeoJSON FeatureCollection. All or nothing."""
    features = _read_whole(text, read_grids_geojson, _check_grid_tree)
    result = ImportResult()
    with transaction.atomic():
        parents = {r.code: r for r in Region.objects.filter(code__in={f.parent_code for f in features})}
        existing = {r.code: r for r in Region.objects.filter(code__in=[f.code for f in features])}
        new, changed = [], []
        for f in features:
            lng, lat = center_of(f.shape)
            grid = existing.get(f.code)
            if grid is None:
                parent = parents[f.parent_code]
                new.append(Region(code=f.code, name=f.name, level=Level.GRID, parent=parent,
                                  path=make_path(parent.path, f.code), polygon=f.geometry,
                                  households=f.households, center_lng=lng, center_lat=lat))
            elif (grid.name, grid.polygon, grid.households) != (f.name, f.geometry, f.households):
                grid.name, grid.polygon, grid.households = f.name, f.geometry, f.households
                grid.center_lng, grid.center_lat = lng, lat
                changed.append(grid)
            else:
                result.unchanged += 1
        Region.objects.bulk_create(new)
        for grid in changed:
            grid.save()  # save() so updated_at moves and other processes rebuild their index
        result.created, result.updated = len(new), len(changed)
        audit.record(actor, "areas.import_grids", None, created=result.created,
                     updated=result.updated, unchanged=result.unchanged)
        transaction.on_commit(locate.invalidate)
    return result


def _check_grid_tree(features) -> list[RowError]:
    errors, seen = [], {}
    for f in features:
        if f.code in seen:
            errors.append(RowError(f.line, _("Duplicate code %(code)s (first in feature %(line)s)")
                                   % {"code": f.code, "line": seen[f.code].line}, "code", "feature"))
        else:
            seen[f.code] = f
    parents = {r.code: r for r in Region.objects.filter(code__in={f.parent_code for f in features})}
    stored = {r.code: r for r in Region.objects.filter(code__in=list(seen))}
    for f in seen.values():
        parent = parents.get(f.parent_code)
        if parent is None:
            errors.append(RowError(f.line, _("Unknown parent community %(code)s") % {"code": f.parent_code},
                                   "parent_code", "feature"))
        elif parent.level != Level.COMMUNITY:
            errors.append(RowError(f.line, _("The parent %(code)s is not a community") % {"code": f.parent_code},
                                   "parent_code", "feature"))
        if f.code in stored and (stored[f.code].level != Level.GRID
                                 or stored[f.code].parent_id != getattr(parent, "id", None)):
            errors.append(RowError(f.line, _("%(code)s already exists under another parent") % {"code": f.code},
                                   "code", "feature"))
    errors += _sibling_overlaps(list(seen.values()))
    return errors


def _sibling_overlaps(features) -> list[RowError]:
    """Overlaps among the grids of each community, as they would be after the import."""
    errors = []
    line_of = {f.code: f.line for f in features}
    by_parent: dict[str, dict] = {}
    for f in features:
        by_parent.setdefault(f.parent_code, {})[f.code] = f.shape
    for parent_code, incoming in by_parent.items():
        siblings = dict(incoming)
        for grid in Region.objects.filter(parent__code=parent_code, level=Level.GRID, polygon__isnull=False):
            if grid.code not in siblings:
                try:
                    siblings[grid.code] = parse_boundary(grid.polygon)
                except GeometryError:
                    continue
        for a, b in find_overlaps(sorted(siblings.items())):
            line = min(line_of.get(a, 10**9), line_of.get(b, 10**9))
            errors.append(RowError(line, _("Grids %(a)s and %(b)s overlap") % {"a": a, "b": b},
                                   "geometry", "feature"))
    return errors


def do_set_boundary(actor, region: Region, geometry: dict | None) -> Region:
    """Set or clear a region's boundary; refused if it overlaps a sibling grid."""
    if not can(actor, "areas.edit"):
        raise OperationError(_("Not allowed to change boundaries"))
    with transaction.atomic():
        region = Region.objects.select_for_update().get(pk=region.pk)
        if geometry is None:
            region.polygon = None
            region.center_lng = region.center_lat = None
        else:
            try:
                geom = parse_boundary(geometry)
            except GeometryError as exc:
                raise OperationError(str(exc), field="geometry")
            if region.level == Level.GRID:
                siblings = [(region.code, geom)] + [
                    (g.code, parse_boundary(g.polygon))
                    for g in Region.objects.filter(parent_id=region.parent_id, level=Level.GRID, polygon__isnull=False)
                    .exclude(pk=region.pk)
                ]
                overlaps = [pair for pair in find_overlaps(siblings) if region.code in pair]
                if overlaps:
                    other = next(c for c in overlaps[0] if c != region.code)
                    raise OperationError(_("It overlaps the neighbouring grid %(grid)s") % {"grid": other},
                                         field="geometry")
            region.polygon = geometry
            region.center_lng, region.center_lat = center_of(geom)
        region.save()
        audit.record(actor, "areas.set_boundary", region, cleared=geometry is None)
    return region


def grids_feature_collection(grids) -> dict:
    """A FeatureCollection of the given grids (the caller scopes the queryset)."""
    features = [
        {
            "type": "Feature",
            "geometry": g.polygon,
            "properties": {"code": g.code, "name": g.name, "parent_code": g.parent.code if g.parent else "",
                           "households": g.households},
        }
        for g in grids.filter(level=Level.GRID).select_related("parent").order_by("code")
    ]
    return {"type": "FeatureCollection", "features": features}


def do_add_team_member(actor, grid: Region, role: str, name: str, phone: str = "", user=None):
    """Add someone to a grid's team (网格长, 网格员, 五长, 志愿者)."""
    from wangge.areas.models import GridTeamMember, TeamRole

    if not can(actor, "team.edit"):
        raise OperationError(_("Not allowed to edit grid teams"))
    if grid.level != Level.GRID:
        raise OperationError(_("This is not a grid"), field="grid")
    if role not in TeamRole.values:
        raise OperationError(_("Unknown team role %(role)s") % {"role": repr(role)}, field="role")
    name = (name or "").strip()
    if not name:
        raise OperationError(_("The name is empty"), field="name")
    phone = (phone or "").strip()
    if phone and (not phone.isdigit() or not 7 <= len(phone) <= 15):
        raise OperationError(_("The phone number must have 7 to 15 digits"), field="phone")
    with transaction.atomic():
        member = GridTeamMember.objects.create(grid=grid, role=role, name=name, phone=phone, user=user)
        audit.record(actor, "areas.add_team_member", member, grid=grid.code, role=role)
    return member


def do_remove_team_member(actor, member) -> None:
    if not can(actor, "team.edit"):
        raise OperationError(_("Not allowed to edit grid teams"))
    with transaction.atomic():
        audit.record(actor, "areas.remove_team_member", member, grid=member.grid.code, role=member.role)
        member.delete()
