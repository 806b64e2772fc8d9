"""Hot spots (热点) per grid and category: Getis-Ord Gi* over the grids' polygons, corrected with FDR.

Weights: queen contiguity of the grid polygons (two grids are neighbours when their outlines share an edge or a
corner, within a metre: `grid_weights`). Grids tile their community without gaps, so contiguity is what "next door"
means on the ground; a distance band would need one radius for 150 m downtown grids and 2 km suburban ones alike. A
grid with no neighbour (an island: a polygon digitised with a gap) is joined to its nearest grid by centroid, so
every grid has a neighbourhood. Gi* (star: the grid itself is in its own neighbourhood) with binary weights, the
analytic z-score (Getis & Ord 1992; Ord & Getis 1995): z = (Σ_j w_ij x_j − x̄ W_i) / (s √((n S1_i − W_i²)/(n −
1))).

One test per grid makes 550 tests per category: at p ≤ 0.05 about 27 grids of pure noise would look "hot". The
one-sided p-values are corrected with the Benjamini–Hochberg step-up procedure (Benjamini & Hochberg 1995,
J. R. Stat. Soc. B 57:289–300) into q-values; a grid is a hot spot when z > 0 and q ≤ 0.05. (esda.fdr gives the
same cut-off, but only the cut-off: the q of each grid is what the warning shows.)

esda, libpysal and scipy are imported inside the functions: loading them takes a second, which the server's
start-up and the pages (which read stored warnings and never run this) should not pay.
"""
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
# Gi*'s normal approximation is generous with sparse counts: two reports in neighbouring grids can give z ≈ 5 in
# a category with a dozen reports district-wide. A hot spot also needs this many incidents in the grid itself.
MIN_OBSERVED = 3
TOLERANCE = 1e-5  # degrees (≈1 m): polygons this close are neighbours


@dataclass
class Weights:
    """The grids' neighbourhoods: `ids` (grid ids in order) and `w` (a libpysal W over positions 0..n-1)."""

    ids: list
    w: object

    def neighbours(self, index: int) -> list[int]:
        return list(self.w.neighbors[index])


def grid_weights(grids, tolerance: float = TOLERANCE) -> Weights:
    """Queen contiguity over `grids` [(id, polygon GeoJSON dict)], islands joined to their nearest grid.

    Contiguity is tested with a tolerance (polygons within `tolerance` degrees, ≈1 m, touch): exact vertex
    matching, libpysal's Queen, misses neighbours whose shared edge was digitised twice a few centimetres apart."""
    import shapely
    from libpysal import weights
    from shapely.geometry import shape

    ids = [pk for pk, _polygon in grids]
    shapes = [shape(polygon).buffer(0) for _pk, polygon in grids]
    tree = shapely.STRtree(shapes)
    grown = shapely.buffer(np.array(shapes, dtype=object), tolerance)
    left, right = tree.query(grown, predicate="intersects")
    neighbours = {i: [] for i in range(len(shapes))}
    for a, b in zip(left.tolist(), right.tolist()):
        if a != b:
            neighbours[a].append(b)
    islands = [i for i, around in neighbours.items() if not around]
    if islands and len(shapes) > 1:
        centroids = np.array([[s.centroid.x, s.centroid.y] for s in shapes])
        for i in islands:
            distance = np.hypot(*(centroids - centroids[i]).T)
            distance[i] = np.inf
            j = int(np.argmin(distance))
            neighbours[i].append(j)
            neighbours[j].append(i)
    w = weights.W({i: sorted(set(around)) for i, around in neighbours.items()}, silence_warnings=True)
    return Weights(ids, w)


def gi_star(counts, weights: Weights):
    """The Gi* z-score of every grid (binary weights, the grid in its own neighbourhood) and its one-sided p-value
    (the chance of a z this high or higher with no clustering). All zero or all equal: no grid stands out."""
    from esda import G_Local
    from scipy.stats import norm

    y = np.asarray(counts, dtype=float)
    if len(y) < 3 or np.all(y == y[0]):
        return np.zeros(len(y)), np.ones(len(y))
    g = G_Local(y, weights.w, transform="B", permutations=0, star=True)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    return z, norm.sf(z)


def bh_qvalues(pvalues) -> np.ndarray:
    """Benjamini–Hochberg q-values: q_(i) = min over j ≥ i of p_(j) · n / j, capped at 1 (BH 1995)."""
    p = np.asarray(pvalues, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


@dataclass
class HotSpot:
    index: int  # the grid's position in Weights.ids
    observed: int
    neighbourhood: int  # the grid's and its neighbours' count together
    expected: float  # what the neighbourhood would hold at the district's mean
    z: float
    p: float
    q: float
    neighbours: list  # positions of the neighbours


def hot_spots(counts, weights: Weights, alpha: float = ALPHA) -> list[HotSpot]:
    """The grids where `counts` cluster: z > 0 and BH q ≤ alpha. The hottest first."""
    y = np.asarray(counts, dtype=float)
    z, p = gi_star(y, weights)
    q = bh_qvalues(p)
    mean = float(y.mean()) if len(y) else 0.0
    found = []
    for i in np.flatnonzero((z > 0) & (q <= alpha)):
        around = weights.neighbours(int(i))
        members = [int(i), *around]
        found.append(HotSpot(int(i), int(y[i]), int(y[members].sum()), round(mean * len(members), 2),
                             round(float(z[i]), 3), float(p[i]), float(q[i]), around))
    return sorted(found, key=lambda h: -h.z)
