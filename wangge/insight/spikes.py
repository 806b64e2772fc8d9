"""Spikes (突增): this week's count in an area against that area's own baseline, per source and category.

The area is the community (grids are too small for weekly counts to mean anything). The baseline is seasonal when
the data reaches back far enough: the same week of the year (the 7 days ending a year ago, with the weeks on either
side) in each earlier year on record; otherwise the 8 weeks before this one. Expected λ = the baseline's weekly mean
(at least 0.5, so an area that was quiet does not turn one report into infinity).

The test: the Poisson upper tail, p = P(X ≥ observed | λ) — the chance of this many or more in a week if the area
kept its usual rate. One test per community × category makes thousands of tests a week, so the p-values are
corrected with Benjamini–Hochberg (hotspots.bh_qvalues) over all of them. A spike is warned when q ≤ 0.05, the week
holds at least MIN_OBSERVED incidents and at least RATIO times what was expected.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from wangge.insight.hotspots import ALPHA, bh_qvalues

WEEK = timedelta(days=7)
BASELINE_WEEKS = 8
MIN_OBSERVED = 5
RATIO = 2.0
FLOOR = 0.5
SEASONAL_SPAN = 1  # weeks on either side of the same week a year ago


def poisson_upper_tail(observed: int, expected: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(expected)."""
    from scipy.stats import poisson

    return float(poisson.sf(observed - 1, expected)) if observed > 0 else 1.0


@dataclass
class Spike:
    area_id: int
    source: str
    category: str
    observed: int
    expected: float
    baseline: list  # the baseline weeks' counts, oldest first
    baseline_kind: str  # "seasonal" or "recent"
    p: float
    q: float
    ratio: float


def baseline_windows(now, seasonal_years: int) -> tuple[str, list]:
    """[(start, end)] of the baseline weeks: the same weeks in each earlier year when `seasonal_years` > 0, else the
    previous BASELINE_WEEKS weeks."""
    if seasonal_years > 0:
        windows = []
        for year in range(seasonal_years, 0, -1):
            centre = now - timedelta(days=364 * year)
            for shift in range(-SEASONAL_SPAN, SEASONAL_SPAN + 1):
                end = centre + shift * WEEK
                windows.append((end - WEEK, end))
        return "seasonal", windows
    return "recent", [(now - (k + 1) * WEEK, now - k * WEEK) for k in range(BASELINE_WEEKS, 0, -1)]


def find_spikes(incidents, area_of_grid: dict, now, windows: list, baseline_kind: str,
                alpha: float = ALPHA) -> list[Spike]:
    """Spikes in the week ending `now` against the `windows`' counts. `incidents` span this week and the windows."""
    this_week = Counter()
    weekly = defaultdict(Counter)  # key -> {window index: count}
    for incident in incidents:
        area = area_of_grid.get(incident.grid_id)
        if area is None:
            continue
        key = (area, incident.source, incident.category)
        if now - WEEK <= incident.at < now:
            this_week[key] += 1
            continue
        for index, (start, end) in enumerate(windows):
            if start <= incident.at < end:
                weekly[key][index] += 1
                break
    keys = sorted(set(this_week) | set(weekly))
    if not keys:
        return []
    tests = []
    for key in keys:
        counts = [weekly[key].get(index, 0) for index in range(len(windows))]
        expected = max(float(np.mean(counts)), FLOOR)
        tests.append((key, this_week.get(key, 0), expected, counts, poisson_upper_tail(this_week.get(key, 0),
                                                                                      expected)))
    q = bh_qvalues([t[4] for t in tests])
    found = []
    for (key, observed, expected, counts, p), q_value in zip(tests, q):
        if observed >= MIN_OBSERVED and observed >= RATIO * expected and q_value <= alpha:
            found.append(Spike(key[0], key[1], key[2], observed, round(expected, 2), counts, baseline_kind, p,
                               float(q_value), round(observed / expected, 2)))
    return sorted(found, key=lambda s: s.p)
