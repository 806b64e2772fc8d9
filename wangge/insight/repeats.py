"""Repeat reports (重复报告): one caller, or one place, again and again within a window.

* caller: cases reported from the same phone (compared by its keyed hash, never in the clear) or, without a phone,
  the same citizen account; REPEAT_MIN or more within REPEAT_DAYS.
* place: cases within PLACE_METRES of each other, or at the same address in the same grid (joined transitively:
  a place is a chain of reports each near another), REPEAT_MIN or more within REPEAT_DAYS.

Disputes' repeats (the same parties, the same address) are the mediation board's (wangge/mediation/warnings.py);
alerts repeat by their own source already (one open alert per source). Both rules here read cases.
"""
from collections import defaultdict

import numpy as np

REPEAT_DAYS = 30
REPEAT_MIN = 3
PLACE_METRES = 50.0


def metres(points) -> np.ndarray:
    """Local metres (x east, y north) of [(lng, lat)]: an equirectangular projection, good to a few metres over a
    district."""
    array = np.asarray(points, dtype=float).reshape(-1, 2)
    if not len(array):
        return array
    lat0 = np.radians(array[:, 1].mean())
    return np.column_stack([array[:, 0] * 111_320.0 * np.cos(lat0), array[:, 1] * 110_574.0])


def components(n: int, pairs) -> list[list[int]]:
    """The connected components of the graph on 0..n-1 with edges `pairs` (union-find)."""
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return list(groups.values())


def repeat_callers(incidents, minimum: int = REPEAT_MIN) -> list[list]:
    """Groups of incidents with one caller, `minimum` or more each (oldest first)."""
    by_caller = defaultdict(list)
    for incident in incidents:
        if incident.caller:
            by_caller[incident.caller].append(incident)
    return [sorted(group, key=lambda i: (i.at, i.id)) for group in by_caller.values() if len(group) >= minimum]


def repeat_places(incidents, minimum: int = REPEAT_MIN, radius: float = PLACE_METRES) -> list[list]:
    """Groups of incidents at one place (near each other, or one address in one grid), `minimum` or more each."""
    from scipy.spatial import cKDTree

    located = [i for i in incidents if i.lng is not None and i.lat is not None]
    pairs = []
    if len(located) > 1:
        pairs = list(cKDTree(metres([(i.lng, i.lat) for i in located])).query_pairs(radius))
    same_address = defaultdict(list)
    for index, incident in enumerate(located):
        if incident.address:
            same_address[(incident.grid_id, incident.address)].append(index)
    for indexes in same_address.values():
        pairs += [(indexes[0], other) for other in indexes[1:]]
    groups = [[located[i] for i in group] for group in components(len(located), pairs)]
    return [sorted(group, key=lambda i: (i.at, i.id)) for group in groups if len(group) >= minimum]
