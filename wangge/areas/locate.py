"""locate(point) -> grid: which grid holds a point, with its whole path.

`GridIndex` is the pure part (polygons in, grid positions out) and is what the
benchmark times. Around it the module keeps one index per process, built from
the grids in the database. It is rebuilt lazily:

- at once after `invalidate()`, which signals.py calls on every grid save/delete
  in this process;
- when another process (another server worker) changed a region: at most once
  per LOCATE_INDEX_CHECK_SECONDS we compare a cheap aggregate (grids with a
  polygon, latest updated_at of any region) with the one the index was built
  from. Changes must go through save() or set updated_at to be seen.

A point on an edge shared by two grids belongs to the one with the lower code,
so every point has at most one answer and it never depends on the input order.
"""
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from shapely.geometry import shape

from wangge.areas.crs import WGS84, CRSError, to_wgs84_many  # noqa: F401 (CRSError is part of this API)

logger = logging.getLogger(__name__)


class GridIndex:
    """An STRtree over grid polygons. Positions in the answer index `ids`/`polygons`."""

    def __init__(self, ids, polygons):
        self.ids = list(ids)
        self.polygons = np.asarray(polygons, dtype=object).reshape(-1)
        if len(self.ids) != len(self.polygons):
            raise ValueError("ids and polygons differ in length")
        # Prepared up front: the tree would otherwise prepare lazily, inside queries from many threads.
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        bounds = shapely.bounds(self.polygons) if len(self.polygons) else np.zeros((1, 4))
        self._origin = bounds[:, :2].min(axis=0)
        sizes = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        self._cell = float(np.median(sizes)) or 1.0

    def __len__(self):
        return len(self.ids)

    def locate_many(self, lngs, lats) -> np.ndarray:
        """Grid position for every point (WGS-84), -1 where no grid holds it."""
        lngs = np.asarray(lngs, dtype=float).reshape(-1)
        lats = np.asarray(lats, dtype=float).reshape(-1)
        found = np.full(lngs.size, -1, dtype=np.intp)
        if not len(self) or not lngs.size:
            return found
        # Querying in spatial order keeps the tree's nodes and prepared polygons in
        # cache; for a million scattered points it is faster than the query alone.
        order = self._spatial_order(lngs, lats)
        points = shapely.points(lngs[order], lats[order])
        point_pos, grid_pos = self.tree.query(points, predicate="intersects")  # edges count as inside
        if point_pos.size:
            if np.any(point_pos[1:] < point_pos[:-1]):  # GEOS answers grouped by point; make sure
                by_point = np.argsort(point_pos, kind="stable")
                point_pos, grid_pos = point_pos[by_point], grid_pos[by_point]
            firsts = np.flatnonzero(np.r_[True, point_pos[1:] != point_pos[:-1]])
            # A point on a shared edge hits several grids: keep the lowest position.
            found[order[point_pos[firsts]]] = np.minimum.reduceat(grid_pos, firsts)
        return found

    def _spatial_order(self, lngs, lats) -> np.ndarray:
        """Row-major order over cells about the size of one grid."""
        cols = np.floor((lngs - self._origin[0]) / self._cell)
        rows = np.floor((lats - self._origin[1]) / self._cell)
        cols = np.clip(np.nan_to_num(cols), -1, 1 << 20).astype(np.int64)
        rows = np.clip(np.nan_to_num(rows), -1, 1 << 20).astype(np.int64)
        return np.argsort((rows << 22) + cols)


# --- the process-wide index over the database's grids --------------------------------------------

@dataclass(frozen=True)
class _Snapshot:
    index: GridIndex
    answers: list  # per grid position: (code, name, path as a tuple of {"code","name","level"})
    stamp: dict
    generation: int


_lock = threading.Lock()
_snapshot: _Snapshot | None = None
_generation = 0  # bumped by invalidate(); a snapshot from an older generation is stale
_next_check = 0.0


def invalidate() -> None:
    """Mark the index stale; the next locate rebuilds it. Called on every grid save/delete."""
    global _generation
    _generation += 1


def locate(lng: float, lat: float, crs: str = WGS84) -> dict | None:
    """The grid holding the point, `{"code", "name", "path": [...]}`, or None when outside every grid.

    Raises CRSError for an unknown crs and ValueError for coordinates out of range.
    """
    return locate_points([(lng, lat)], crs)[0]


def locate_points(points, crs: str = WGS84) -> list[dict | None]:
    """locate() for many (lng, lat) pairs, answered in the same order."""
    try:
        coords = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(_("Points must be [lng, lat] pairs of numbers")) from None
    if coords.size == 0:
        coords = coords.reshape(0, 2)
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(_("Points must be [lng, lat] pairs of numbers"))
    lngs, lats = to_wgs84_many(coords[:, 0], coords[:, 1], crs)
    snapshot = _current()
    return [None if pos < 0 else _answer(snapshot.answers[pos])
            for pos in snapshot.index.locate_many(lngs, lats).tolist()]


def _answer(cached) -> dict:
    code, name, path = cached
    return {"code": code, "name": name, "path": [dict(node) for node in path]}  # copies: callers may edit


def _current() -> _Snapshot:
    global _snapshot, _next_check
    snapshot = _snapshot
    if snapshot is not None and snapshot.generation == _generation and time.monotonic() < _next_check:
        return snapshot
    with _lock:
        snapshot, now = _snapshot, time.monotonic()
        if snapshot is None or snapshot.generation != _generation:
            snapshot = _build()
        elif now >= _next_check and _stamp() != snapshot.stamp:
            snapshot = _build()
        _snapshot = snapshot
        _next_check = now + getattr(settings, "LOCATE_INDEX_CHECK_SECONDS", 1.0)
        return snapshot


def _stamp() -> dict:
    """Cheap summary that changes whenever a grid polygon or any region's name/path does."""
    from wangge.areas.models import Level, Region

    return Region.objects.aggregate(
        grids=Count("pk", filter=Q(level=Level.GRID, polygon__isnull=False)),
        changed=Max("updated_at"),
    )


def _build() -> _Snapshot:
    from wangge.areas.models import Level, Region

    generation = _generation  # read first: an invalidate() during the build makes this one stale
    stamp = _stamp()
    grids = (Region.objects.filter(level=Level.GRID, polygon__isnull=False)
             .order_by("code").values_list("code", "name", "path", "polygon"))
    codes, polygons, rows = [], [], []
    for code, name, path, polygon in grids.iterator(chunk_size=2000):
        try:
            polygons.append(shape(polygon))
        except Exception:  # imports validate boundaries; a bad row must not take locate down
            logger.warning("grid %s: unreadable polygon, left out of the locate index", code)
            continue
        codes.append(code)
        rows.append((code, name, [c for c in path.split("/") if c]))
    nodes = _path_nodes({c for _, _, path in rows for c in path})
    answers = [(code, name, tuple(nodes[c] for c in path if c in nodes)) for code, name, path in rows]
    logger.info("locate index built: %d grids", len(codes))
    return _Snapshot(GridIndex(codes, polygons), answers, stamp, generation)


def _path_nodes(codes: set[str]) -> dict[str, dict]:
    from wangge.areas.models import Region

    codes, nodes = sorted(codes), {}
    for i in range(0, len(codes), 500):  # stay under SQLite's bound-parameter limit
        for code, name, level in Region.objects.filter(code__in=codes[i:i + 500]).values_list(
                "code", "name", "level"):
            nodes[code] = {"code": code, "name": name, "level": level}
    return nodes
