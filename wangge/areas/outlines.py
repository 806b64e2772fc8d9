"""The base layer of the point maps when no base map is configured: every community's and grid's outline with
its name (public geography, docs/decisions/0004), small enough for a phone on a slow network.

Coordinates are WGS-84, simplified (SIMPLIFY degrees, about a metre) and quantized to whole QUANTUM-degree steps
(about 1.1 m): each ring is a flat list [x0, y0, dx1, dy1, …] of integers from `origin`, the first point absolute,
then differences, the closing point left out. wangge/static/wangge/pointmap.js decodes it.

    {"v": 1, "scale": 100000, "origin": [x, y], "bbox": [w, s, e, n],
     "areas": [{"code", "name", "level": "community"|"grid", "py", "label": [x, y], "polys": [[ring, …], …]}]}

`py` is the name's pinyin initials (the portal searches names in the page, without asking the server).
The body is built once per change of the regions (their count and last update) and kept in the process.
"""
import hashlib
import json
import threading

import shapely
from django.db.models import Count, Max, Q
from shapely.geometry import shape

from wangge.areas.models import Level, Region
from wangge.core.pinyin import initials

QUANTUM = 100_000  # steps per degree
SIMPLIFY = 0.00001  # degrees; about a metre, below what a phone's screen shows at street level
LEVELS = (Level.COMMUNITY, Level.GRID)

_lock = threading.Lock()
_cache: dict = {"stamp": None, "body": None, "script": None}


def stamp() -> str:
    """Changes when a community or grid is added, removed or changed."""
    s = Region.objects.filter(level__in=LEVELS).aggregate(
        n=Count("pk"), p=Count("pk", filter=Q(polygon__isnull=False)), at=Max("updated_at"))
    return f"{s['n']}|{s['p']}|{s['at']}"


def etag() -> str:
    return hashlib.sha256(f"outlines|{stamp()}".encode()).hexdigest()[:32]


def body() -> bytes:
    """The JSON body (UTF-8 bytes), rebuilt when the regions changed."""
    current = stamp()
    with _lock:
        if _cache["stamp"] != current:
            text = json.dumps(build(), ensure_ascii=False, separators=(",", ":"))
            _cache["body"] = text.encode()
            # As json_script writes it: nothing in it can end the <script> element.
            _cache["script"] = text.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})
            _cache["stamp"] = current
        return _cache["body"]


def script_text() -> str:
    """The body, escaped for a <script type="application/json"> element of a page (areas_tags.inline_outlines)."""
    body()
    return _cache["script"]


def _geometry(polygon):
    try:
        geom = shape(polygon)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return geom if not geom.is_empty else None


def _polys(geom) -> list:
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type == "MultiPolygon":
        return list(geom.geoms)
    if geom.geom_type == "GeometryCollection":
        return [g for part in geom.geoms for g in _polys(part)]
    return []


def _ring(coords, origin) -> list[int]:
    out, px, py = [], 0, 0
    points = list(coords)[:-1]  # the closing point repeats the first
    for i, (x, y) in enumerate(points):
        qx, qy = round(x * QUANTUM) - origin[0], round(y * QUANTUM) - origin[1]
        if i and qx == px and qy == py:
            continue
        out += [qx - px, qy - py]
        px, py = qx, qy
    return out


def build() -> dict:
    rows = list(Region.objects.filter(level__in=LEVELS).order_by("level", "code")
                .values_list("code", "name", "level", "polygon", "path", "center_lng", "center_lat"))
    geoms = {code: _geometry(polygon) if polygon else None for code, _n, _l, polygon, *_rest in rows}
    # A community stored without a boundary is drawn as the union of its grids.
    for code, _name, level, *_rest in rows:
        if level == Level.COMMUNITY and geoms[code] is None:
            parts = [g for c, g in geoms.items() if g is not None and c != code and c.startswith(code)]
            geoms[code] = shapely.union_all(parts) if parts else None
    present = [g for g in geoms.values() if g is not None]
    if not present:
        return {"v": 1, "scale": QUANTUM, "origin": [0, 0], "bbox": None, "areas": []}
    w, s, e, n = shapely.total_bounds(present).tolist()
    origin = [round(w * QUANTUM), round(s * QUANTUM)]
    areas = []
    for code, name, level, _polygon, _path, center_lng, center_lat in rows:
        geom = geoms[code]
        if geom is None:
            continue
        simple = geom.simplify(SIMPLIFY, preserve_topology=True)
        polys = [[_ring(p.exterior.coords, origin), *(_ring(i.coords, origin) for i in p.interiors)]
                 for p in _polys(simple)]
        if center_lng is not None and center_lat is not None and geom.contains(shapely.Point(center_lng, center_lat)):
            label = (center_lng, center_lat)
        else:
            point = geom.representative_point()
            label = (point.x, point.y)
        areas.append({
            "code": code, "name": name, "level": level,
            "py": initials(name),
            "label": [round(label[0] * QUANTUM) - origin[0], round(label[1] * QUANTUM) - origin[1]],
            "polys": polys,
        })
    return {"v": 1, "scale": QUANTUM, "origin": origin, "bbox": [round(w, 6), round(s, 6), round(e, 6), round(n, 6)],
            "areas": areas}
