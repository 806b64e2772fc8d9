"""Checking GeoJSON boundaries before they are stored (WGS-84)."""
import math

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape

# Sibling grids may share edges; an overlap smaller than this (square degrees,
# roughly 1 m² at Chengdu's latitude) is rounding noise, not a real overlap.
OVERLAP_TOLERANCE = 1e-10


class GeometryError(ValueError):
    pass


def _check_ring(ring, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeometryError(_("%(where)s: a ring needs at least 4 positions") % {"where": where})
    for position in ring:
        if not isinstance(position, (list, tuple)) or len(position) < 2:
            raise GeometryError(_("%(where)s: a position must be [lng, lat]") % {"where": where})
        lng, lat = position[0], position[1]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lng, lat)):
            raise GeometryError(_("%(where)s: coordinates must be numbers") % {"where": where})
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise GeometryError(_("%(where)s: coordinate out of range (%(lng)s, %(lat)s)")
                                % {"where": where, "lng": lng, "lat": lat})
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise GeometryError(_("%(where)s: ring is not closed (its first and last positions differ)") % {"where": where})


def parse_boundary(geometry) -> shapely.Geometry:
    """A valid shapely (Multi)Polygon from a GeoJSON geometry, or GeometryError saying why not."""
    if not isinstance(geometry, dict):
        raise GeometryError(_("The geometry must be a GeoJSON object"))
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        raise GeometryError(_("The geometry type must be Polygon or MultiPolygon, not %(kind)s") % {"kind": repr(kind)})
    if not isinstance(polygons, list) or not polygons:
        raise GeometryError(_("The geometry has no coordinates"))
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            raise GeometryError(_("polygon %(polygon)s: no rings") % {"polygon": p})
        for r, ring in enumerate(rings):
            _check_ring(ring, _("polygon %(polygon)s, ring %(ring)s") % {"polygon": p, "ring": r})
    geom = shape(geometry)
    if not geom.is_valid:
        raise GeometryError(_("Invalid polygon (crossing itself, say): %(reason)s")
                            % {"reason": shapely.is_valid_reason(geom)})
    if geom.area == 0:
        raise GeometryError(_("The polygon has no area"))
    return geom


def find_overlaps(named_geoms: list[tuple[str, shapely.Geometry]]) -> list[tuple[str, str]]:
    """Pairs of codes whose areas overlap (shared edges and corners are fine)."""
    if len(named_geoms) < 2:
        return []
    geoms = [g for _, g in named_geoms]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = []
    for i, j in zip(left.tolist(), right.tolist()):
        if i < j and geoms[i].intersection(geoms[j]).area > OVERLAP_TOLERANCE:
            pairs.append((named_geoms[i][0], named_geoms[j][0]))
    return pairs


def center_of(geom: shapely.Geometry) -> tuple[float, float]:
    point = geom.representative_point()
    return round(point.x, 6), round(point.y, 6)
