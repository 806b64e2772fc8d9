"""Checking GeoJSON boundaries before they are stored (WGS-84)."""
import math

import shapely
from shapely.geometry import shape

# Sibling grids may share edges; an overlap smaller than this (square degrees,
# roughly 1 m² at Chengdu's latitude) is rounding noise, not a real overlap.
OVERLAP_TOLERANCE = 1e-10


class GeometryError(ValueError):
    pass


def _check_ring(ring, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeometryError(f"{where}: a ring needs at least 4 positions / 环至少需要 4 个点")
    for position in ring:
        if not isinstance(position, (list, tuple)) or len(position) < 2:
            raise GeometryError(f"{where}: a position must be [lng, lat] / 坐标格式应为 [经度, 纬度]")
        lng, lat = position[0], position[1]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lng, lat)):
            raise GeometryError(f"{where}: coordinates must be numbers / 坐标必须是数字")
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise GeometryError(f"{where}: coordinate out of range ({lng}, {lat}) / 坐标超出范围")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise GeometryError(f"{where}: ring is not closed / 环未闭合（首尾坐标不同）")


def parse_boundary(geometry) -> shapely.Geometry:
    """A valid shapely (Multi)Polygon from a GeoJSON geometry, or GeometryError saying why not."""
    if not isinstance(geometry, dict):
        raise GeometryError("geometry must be a GeoJSON object / 缺少几何对象")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, not {kind!r} / 几何类型须为面")
    if not isinstance(polygons, list) or not polygons:
        raise GeometryError("geometry has no coordinates / 缺少坐标")
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            raise GeometryError(f"polygon {p}: no rings / 面没有环")
        for r, ring in enumerate(rings):
            _check_ring(ring, f"polygon {p} ring {r}")
    geom = shape(geometry)
    if not geom.is_valid:
        raise GeometryError(f"invalid polygon: {shapely.is_valid_reason(geom)} / 无效的面（如自相交）")
    if geom.area == 0:
        raise GeometryError("polygon has no area / 面积为零")
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
