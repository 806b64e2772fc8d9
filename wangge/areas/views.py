"""Staff pages for the region tree: the map home, region pages, grid pages and the map data.

Every read goes through `Region.objects.visible_to(user)` (or `get_visible_or_404`, its
detail form), so a region outside the user's area answers 404 and never shows up in a
list, a breadcrumb link or a map layer.
"""
import hashlib

import shapely
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition, require_GET
from shapely.geometry import mapping, shape

from wangge.areas import outlines
from wangge.areas.models import Level, Region, TeamRole
from wangge.core import shell
from wangge.core.personal import mask_phone
from wangge.core.roles import Role
from wangge.core.scoping import ALL, get_visible_or_404, scope_prefix

DEMO_DISTRICT_CODE = "510107"
PALETTE_SIZE = 12  # colours in wangge/static/wangge/map.js


# ------------------------------------------------------------------ helpers


def start_region(user):
    """Where a user's map starts: the node they are bound to (a department's region for a
    handler); a superuser without a node starts at the first district."""
    visible = Region.objects.visible_to(user)
    node = user.scope_node
    if node is not None:
        return visible.filter(pk=node.pk).first()
    if scope_prefix(user) is ALL:
        return (visible.filter(code=DEMO_DISTRICT_CODE).first()
                or visible.filter(level=Level.DISTRICT).order_by("code").first()
                or visible.filter(parent__isnull=True).order_by("code").first())
    return None


def breadcrumb(user, region):
    """The path down to `region`; only ancestors the user may see are links."""
    chain = region.ancestors_and_self()
    visible = set(Region.objects.visible_to(user).filter(pk__in=[r.pk for r in chain])
                  .values_list("pk", flat=True))
    return [{"region": r, "linked": r.pk in visible, "current": r.pk == region.pk} for r in chain]


def _child_index(region) -> int:
    """Position of a child's code in a descendant's path ("/51/5101/510107/<child>/...")."""
    return region.path.strip("/").count("/") + 1


def child_rows(user, region) -> list[dict]:
    """The visible children of `region` with household and grid counts (two queries)."""
    visible = Region.objects.visible_to(user)
    children = list(visible.filter(parent=region).annotate(n_children=Count("children")).order_by("code"))
    if region.level == Level.GRID or not children:
        return []
    grid_count: dict[str, int] = {}
    grid_households: dict[str, int] = {}
    depth = _child_index(region)
    below = visible.filter(level=Level.GRID, path__startswith=region.path).exclude(pk=region.pk)
    for path, households in below.values_list("path", "households"):
        code = path.strip("/").split("/")[depth]
        grid_count[code] = grid_count.get(code, 0) + 1
        grid_households[code] = grid_households.get(code, 0) + (households or 0)
    rows = []
    for child in children:
        is_grid = child.level == Level.GRID
        households = child.households
        if households is None and not is_grid:
            households = grid_households.get(child.code)
        rows.append({
            "region": child,
            "code": child.code,
            "name": child.name,
            "level": child.level,
            "households": households,
            "grid_count": 0 if is_grid else grid_count.get(child.code, 0),
            "has_children": child.n_children > 0 and not is_grid,
            "url": reverse("region", args=[child.code]),
        })
    return rows


def region_totals(user, region) -> dict:
    """Households and grid count of a region (grids: its own households)."""
    if region.level == Level.GRID:
        return {"households": region.households, "grid_count": 1}
    grids = Region.objects.visible_to(user).filter(level=Level.GRID, path__startswith=region.path)
    households = region.households
    count = grids.count()
    if households is None and count:
        households = sum(h or 0 for h in grids.values_list("households", flat=True))
    return {"households": households, "grid_count": count}


def _page_context(request, region) -> dict:
    return {
        "region": region,
        "crumbs": breadcrumb(request.user, region),
        "totals": region_totals(request.user, region),
        "map_url_template": reverse("map_json", args=["000000"]).replace("000000", "{code}"),
        "region_url_template": reverse("region", args=["000000"]).replace("000000", "{code}"),
        "panel_url_template": reverse("region_panel", args=["000000"]).replace("000000", "{code}"),
        # The map's counted layers (population, floating, care): the registry's scoped counts.
        "layer_url_template": reverse("api-v1:region_population", args=["000000"]).replace("000000", "{code}"),
    }


# ------------------------------------------------------------------ pages


@login_required
@require_GET
def home(request):
    """The staff home: a role with a landing page (a department handler's 待办, a mediator's 我的调解) goes to
    its work; others start on the map at their own node (a grid worker on their work home)."""
    landing = shell.landing_for(request.user)
    if landing is not None:
        return redirect(landing)
    region = start_region(request.user)
    if region is not None and region.level == Level.GRID and request.user.role == Role.GRID_WORKER:
        return _work_home(request, region)
    return map_home(request)


@login_required
@require_GET
def map_home(request):
    """The map starting at the user's own node (/map/: one tap from any landing page)."""
    region = start_region(request.user)
    if region is None:
        return render(request, "areas/no_area.html")
    if region.level == Level.GRID:
        return _grid_page(request, region)
    context = _page_context(request, region)
    context.update(children=child_rows(request.user, region), is_home=True)
    return render(request, "areas/region.html", context)


def _work_home(request, grid):
    """A grid worker's home is their work, on a phone first: what waits for them today (the apps' panels,
    see core/shell.py), the quick actions, and their grid one tap away. Their map is the grid page."""
    return render(request, "areas/work_home.html", {
        "region": grid, "today": timezone.localdate(),
        "quick": shell.quick_items(request.user), "panels": shell.panels_for(request.user),
    })


@login_required
@require_GET
def region_page(request, code):
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    if region.level == Level.GRID:
        return _grid_page(request, region)
    context = _page_context(request, region)
    context["children"] = child_rows(request.user, region)
    return render(request, "areas/region.html", context)


@login_required
@require_GET
def region_panel(request, code):
    """The side panel of the map page (HTMX partial): breadcrumb, totals and child list."""
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    if region.level == Level.GRID:
        # The map never drills into a grid; it opens the grid page instead.
        return redirect("region", code=region.code)
    context = _page_context(request, region)
    context.update(children=child_rows(request.user, region), oob=True)
    return render(request, "areas/_region_panel.html", context)


@login_required
@require_GET
def grid_page(request, code):
    grid = get_visible_or_404(Region.objects.filter(level=Level.GRID).select_related("parent"),
                              request.user, code=code)
    return _grid_page(request, grid)


TEAM_ORDER = {role: i for i, role in enumerate(TeamRole.values)}  # 网格长, 网格员, the heads, volunteers


def _grid_page(request, grid):
    members = sorted(grid.team.visible_to(request.user), key=lambda m: (TEAM_ORDER.get(m.role, 99), m.id))
    # Phones are masked here, on the server: the full number never reaches the page.
    team = [
        {"role": m.get_role_display(), "name": m.name, "phone": mask_phone(m.phone), "is_staff": bool(m.user_id)}
        for m in members
    ]
    context = _page_context(request, grid)
    context["team"] = team
    return render(request, "areas/grid.html", context)


# ------------------------------------------------------------------ map data


def _map_etag(request, code):
    """Changes when anything below the region changes, or when the viewer's scope differs."""
    region = Region.objects.visible_to(request.user).filter(code=code).only("path").first()
    if region is None:
        return None  # the view answers 404
    below = Region.objects.visible_to(request.user).filter(path__startswith=region.path)
    stamp = below.aggregate(at=Max("updated_at"), n=Count("id"))
    prefix = scope_prefix(request.user)
    key = f"{code}|{'*' if prefix is ALL else prefix}|{stamp['at']}|{stamp['n']}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _union_of_grids(user, region):
    """A region drawn without a stored boundary: the union of its grids' boundaries."""
    polygons = []
    grids = Region.objects.visible_to(user).filter(level=Level.GRID, path__startswith=region.path,
                                                     polygon__isnull=False)
    for polygon in grids.values_list("polygon", flat=True):
        try:
            polygons.append(shape(polygon))
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
    if not polygons:
        return None
    return shapely.union_all(polygons)


def _geometry(user, region):
    if region.polygon:
        try:
            return shape(region.polygon)
        except (ValueError, TypeError, AttributeError, KeyError):
            return None
    return _union_of_grids(user, region)


def _label_point(region, geom):
    if region.center_lng is not None and region.center_lat is not None:
        return [region.center_lng, region.center_lat]
    point = geom.representative_point()
    return [round(point.x, 6), round(point.y, 6)]


def _colour_indexes(geoms: list) -> list[int]:
    """Colour indexes for a palette: neighbouring regions never share a colour, and among the
    colours still free the least used is taken, so the whole palette gets used."""
    present = [i for i, g in enumerate(geoms) if g is not None]
    colours = [0] * len(geoms)
    if not present:
        return colours
    tree = shapely.STRtree([geoms[i] for i in present])
    neighbours = {i: set() for i in present}
    left, right = tree.query([geoms[i] for i in present], predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist()):
        if a != b:
            neighbours[present[a]].add(present[b])
    used: dict[int, int] = {}
    coloured: set[int] = set()
    # Most-connected first: they have the fewest free colours.
    for i in sorted(present, key=lambda i: (-len(neighbours[i]), i)):
        taken = {colours[j] for j in neighbours[i] if j in coloured}
        free = [c for c in range(PALETTE_SIZE) if c not in taken] or [max(taken) + 1]
        colours[i] = min(free, key=lambda c: (used.get(c, 0), c))
        used[colours[i]] = used.get(colours[i], 0) + 1
        coloured.add(i)
    return colours


def _feature(region, geom, props) -> dict:
    return {
        "type": "Feature",
        "geometry": mapping(geom) if geom is not None else None,
        "properties": {"code": region.code, "name": region.name, "level": region.level, **props},
    }


@login_required
@require_GET
@condition(etag_func=_map_etag)
def map_json(request, code):
    """GeoJSON of a region's visible children, plus the region's own outline.

    GET /map/<code>.json -> {"type": "FeatureCollection", "features": [children...],
    "region": {code, name, level, households, grid_count}, "outline": Feature | null}
    """
    region = get_visible_or_404(Region, request.user, code=code)
    rows = child_rows(request.user, region)
    geoms = [_geometry(request.user, row["region"]) for row in rows]
    colours = _colour_indexes(geoms)
    features = []
    for row, geom, colour in zip(rows, geoms, colours):
        if geom is None:
            continue
        features.append(_feature(row["region"], geom, {
            "households": row["households"],
            "grid_count": row["grid_count"],
            "has_children": row["has_children"],
            "colour": colour,
            "cp": _label_point(row["region"], geom),
        }))
    outline_geom = _geometry(request.user, region)
    if outline_geom is None and any(g is not None for g in geoms):
        outline_geom = shapely.union_all([g for g in geoms if g is not None])
    totals = region_totals(request.user, region)
    outline = None
    if outline_geom is not None:
        outline = _feature(region, outline_geom, {"cp": _label_point(region, outline_geom), **totals})
    body = {
        "type": "FeatureCollection",
        "features": features,
        "region": {"code": region.code, "name": region.name, "level": region.level,
                   "parent_code": region.parent.code if region.parent_id else None, **totals},
        "outline": outline,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_GET
@gzip_page
@condition(etag_func=lambda request: outlines.etag())
def map_outlines(request):
    """Every community's and grid's outline and name, compact (areas/outlines.py): the base layer the point maps
    draw when no base map is configured. Public geography (docs/decisions/0004), no login, cached by browsers
    and proxies for five minutes and revalidated by its ETag after that."""
    response = HttpResponse(outlines.body(), content_type="application/json")
    patch_cache_control(response, public=True, max_age=300)
    return response
