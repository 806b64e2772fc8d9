"""Near-repeats (近重复): incidents close in space and in time, beyond what chance would put together.

The Knox test (Knox 1964; the near-repeat calculator of Ratcliffe 2009): among the incidents of one source and
category over KNOX_DAYS, X = the number of pairs within SPACE_METRES of each other and within TIME_DAYS of each
other. Under no space–time interaction, when an incident happened has nothing to do with where, so shuffling the
times among the places gives X's distribution: PERMUTATIONS shuffles (seeded: the same data gives the same
answer), p = (1 + #{X_shuffled ≥ X}) / (PERMUTATIONS + 1). The p-values of all the categories tested are corrected
with Benjamini–Hochberg.

Where the interaction is significant (q ≤ 0.05 and X above its expectation), the chains — incidents linked
through close pairs, at least CHAIN_MIN of them, one reported within the last RECENT_DAYS — become warnings.
"""
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from wangge.insight.hotspots import ALPHA, bh_qvalues
from wangge.insight.repeats import components, metres

KNOX_DAYS = 90
SPACE_METRES = 200.0
TIME_DAYS = 7.0
PERMUTATIONS = 999
CHAIN_MIN = 3
RECENT_DAYS = 14
MIN_EVENTS = 10  # fewer incidents than this in a category: nothing to test


@dataclass
class Knox:
    observed: int  # pairs close in space and time
    expected: float  # their mean over the shuffles
    p: float
    close_in_space: int  # pairs close in space (whatever the time)
    pairs: np.ndarray  # the close-in-both pairs (positions)


def knox_test(points, days, space: float = SPACE_METRES, time: float = TIME_DAYS,
              permutations: int = PERMUTATIONS, seed: int = 0) -> Knox:
    """The Knox statistic of incidents at `points` [(lng, lat)] and `days` (float days), with its Monte Carlo
    p-value from `permutations` shuffles of the times."""
    from scipy.spatial import cKDTree

    t = np.asarray(days, dtype=float)
    if len(t) < 2:
        return Knox(0, 0.0, 1.0, 0, np.empty((0, 2), dtype=int))
    near = cKDTree(metres(points)).query_pairs(space, output_type="ndarray")
    if not len(near):
        return Knox(0, 0.0, 1.0, 0, near)
    a, b = near[:, 0], near[:, 1]
    close = np.abs(t[a] - t[b]) <= time
    observed = int(close.sum())
    rng = np.random.default_rng(seed)
    shuffled = np.empty(permutations)
    for r in range(permutations):
        s = rng.permutation(t)
        shuffled[r] = np.count_nonzero(np.abs(s[a] - s[b]) <= time)
    p = (1 + np.count_nonzero(shuffled >= observed)) / (permutations + 1)
    return Knox(observed, float(shuffled.mean()), float(p), len(near), near[close])


@dataclass
class Chain:
    source: str
    category: str
    incidents: list  # oldest first
    knox: Knox
    q: float


def find_chains(incidents, now, alpha: float = ALPHA, permutations: int = PERMUTATIONS) -> list[Chain]:
    """Near-repeat chains of every source × category whose Knox test is significant after BH."""
    groups = {}
    for incident in incidents:
        if incident.lng is not None and incident.lat is not None and incident.at >= now - timedelta(days=KNOX_DAYS):
            groups.setdefault((incident.source, incident.category), []).append(incident)
    tested = []
    for key, group in sorted(groups.items()):
        if len(group) < MIN_EVENTS:
            continue
        days = [(i.at - now).total_seconds() / 86400 for i in group]
        knox = knox_test([(i.lng, i.lat) for i in group], days, permutations=permutations)
        tested.append((key, group, knox))
    q = bh_qvalues([k.p for _key, _group, k in tested])
    recent = now - timedelta(days=RECENT_DAYS)
    chains = []
    for (key, group, knox), q_value in zip(tested, q):
        if q_value > alpha or knox.observed <= knox.expected:
            continue
        for members in components(len(group), knox.pairs):
            chain = sorted((group[i] for i in members), key=lambda i: (i.at, i.id))
            if len(chain) >= CHAIN_MIN and chain[-1].at >= recent:
                chains.append(Chain(key[0], key[1], chain, knox, float(q_value)))
    return chains
