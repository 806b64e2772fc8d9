"""The early-warning statistics on hand-built data: Gi* with FDR on a lattice, the spike test, repeat callers and
places, and the Knox near-repeat test (no database)."""
from datetime import datetime, timedelta, timezone

import numpy as np

from wangge.insight import hotspots, nearrepeat, repeats, spikes
from wangge.insight.sources import Incident
from wangge.testing import square

SIDE = 12  # a 12 × 12 lattice of square grids
NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def lattice():
    grids = [(r * SIDE + c, square(104.0 + c * 0.01, 30.6 + r * 0.01)) for r in range(SIDE) for c in range(SIDE)]
    return hotspots.grid_weights(grids)


def test_queen_weights_of_a_lattice():
    weights = lattice()
    assert weights.w.n == SIDE * SIDE and not weights.w.islands
    assert len(weights.neighbours(0)) == 3  # a corner: right, up and the diagonal
    assert len(weights.neighbours(SIDE + 1)) == 8  # inside: queen's eight


def test_a_planted_cluster_is_a_significant_hot_spot():
    weights = lattice()
    rng = np.random.default_rng(7)
    counts = rng.poisson(1.0, SIDE * SIDE)
    block = [r * SIDE + c for r in (5, 6, 7) for c in (5, 6, 7)]
    counts[block] += 6
    found = hotspots.hot_spots(counts, weights)
    centre = 6 * SIDE + 6
    hits = {spot.index for spot in found}
    assert centre in hits
    assert hits <= set(block) | {i for b in block for i in weights.neighbours(b)}  # nothing far away
    spot = next(s for s in found if s.index == centre)
    assert spot.z > 3 and spot.q <= 0.05 and spot.observed == counts[centre]
    assert spot.neighbourhood == counts[[centre, *weights.neighbours(centre)]].sum()


def test_uniform_counts_give_no_hot_spot_after_fdr():
    weights = lattice()
    rng = np.random.default_rng(11)
    counts = rng.poisson(2.0, SIDE * SIDE)
    z, p = hotspots.gi_star(counts, weights)
    assert (p < 0.05).any()  # uncorrected, noise alone looks "hot" somewhere
    assert hotspots.hot_spots(counts, weights) == []  # after Benjamini–Hochberg it does not


def test_no_variation_no_hot_spot():
    weights = lattice()
    assert hotspots.hot_spots(np.full(SIDE * SIDE, 3), weights) == []
    assert hotspots.hot_spots(np.zeros(SIDE * SIDE), weights) == []


def test_bh_qvalues_match_the_step_up_rule_and_esda_cut_off():
    import esda

    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    q = hotspots.bh_qvalues(p)
    # p·n/rank, made monotone from the top: the third is min(0.039·10/3, 0.041·10/4, 0.042·10/5, …) = 0.084.
    assert np.allclose(q[:3], [0.01, 0.04, 0.084])
    assert (q >= p).all() and (q <= 1).all()
    rejected = q <= 0.05
    assert rejected.tolist() == (p <= esda.fdr(p, 0.05)).tolist()


def test_poisson_upper_tail():
    assert abs(spikes.poisson_upper_tail(1, 2.0) - (1 - np.exp(-2))) < 1e-12
    assert spikes.poisson_upper_tail(0, 2.0) == 1.0
    assert spikes.poisson_upper_tail(12, 2.0) < 1e-5


def _incident(pk, at, grid=1, category="04", lng=104.0, lat=30.6, address="", caller="", source="case"):
    return Incident(source, pk, f"N{pk}", grid, category, at, lng, lat, address, caller, caller[:6])


def test_a_week_far_above_the_area_s_baseline_is_a_spike_and_a_usual_week_is_not():
    kind, windows = spikes.baseline_windows(NOW, 0)
    assert kind == "recent" and len(windows) == spikes.BASELINE_WEEKS
    pk = 0
    incidents = []
    for start, _end in windows:  # two a week in both areas, for eight weeks
        for area in (1, 2):
            for k in range(2):
                pk += 1
                incidents.append(_incident(pk, start + timedelta(days=1 + k), grid=area))
    for k in range(12):  # area 1: twelve this week
        pk += 1
        incidents.append(_incident(pk, NOW - timedelta(hours=10 + k), grid=1))
    for k in range(3):  # area 2: three (within chance)
        pk += 1
        incidents.append(_incident(pk, NOW - timedelta(hours=10 + k), grid=2))
    found = spikes.find_spikes(incidents, {1: 101, 2: 102}, NOW, windows, kind)
    assert [(s.area_id, s.observed, s.expected) for s in found] == [(101, 12, 2.0)]
    assert found[0].p < 1e-4 and found[0].q <= 0.05 and found[0].baseline == [2] * 8


def test_seasonal_baseline_reads_the_same_weeks_a_year_back():
    kind, windows = spikes.baseline_windows(NOW, 2)
    assert kind == "seasonal" and len(windows) == 2 * (2 * spikes.SEASONAL_SPAN + 1)
    assert all(NOW - timedelta(days=800) < start < NOW - timedelta(days=350) for start, _end in windows)


def test_repeat_callers_and_places():
    at = NOW - timedelta(days=2)
    incidents = [_incident(1, at, caller="phone:a"), _incident(2, at, caller="phone:a", lng=104.05),
                 _incident(3, at, caller="phone:a", lng=104.1), _incident(4, at, caller="phone:b", lng=104.2),
                 _incident(5, at, caller="phone:b", lng=104.3)]
    groups = repeats.repeat_callers(incidents)
    assert [[i.id for i in g] for g in groups] == [[1, 2, 3]]
    # Places: three within 50 m of each other (about 20 m apart), one at the same address far off, one alone.
    place = [_incident(10, at, lng=104.0, lat=30.6), _incident(11, at, lng=104.0002, lat=30.6),
             _incident(12, at, lng=104.0004, lat=30.6), _incident(13, at, lng=104.02, lat=30.6),
             _incident(14, at, lng=104.05, lat=30.65, address="武侯祠大街1号"),
             _incident(15, at, lng=104.06, lat=30.65, address="武侯祠大街1号")]
    groups = repeats.repeat_places(place)
    assert [[i.id for i in g] for g in groups] == [[10, 11, 12]]
    place.append(_incident(16, at, lng=104.07, lat=30.66, address="武侯祠大街1号"))
    assert sorted(sorted(i.id for i in g) for g in repeats.repeat_places(place)) == [[10, 11, 12], [14, 15, 16]]


def _scattered(rng, n):
    return [(104.0 + rng.uniform(0, 0.1), 30.6 + rng.uniform(0, 0.1)) for _ in range(n)]


def test_knox_finds_planted_near_repeats_and_not_random_ones():
    rng = np.random.default_rng(3)
    points = _scattered(rng, 120)
    days = list(rng.uniform(-90, 0, 120))
    random_result = nearrepeat.knox_test(points, days, permutations=499)
    assert random_result.p > 0.05
    # Plant 15 follow-ups, each within ~50 m and 2 days of an earlier incident.
    for i in range(15):
        lng, lat = points[i]
        points.append((lng + 0.0004, lat + 0.0002))
        days.append(days[i] + 2.0)
    planted = nearrepeat.knox_test(points, days, permutations=499)
    assert planted.p <= 0.01 and planted.observed > planted.expected + 10
    assert planted.observed == len(planted.pairs) and planted.close_in_space >= planted.observed


def test_near_repeat_chains_need_a_significant_knox_and_a_recent_member():
    rng = np.random.default_rng(5)
    incidents = [_incident(i, NOW - timedelta(days=float(rng.uniform(20, 90))), lng=lng, lat=lat)
                 for i, (lng, lat) in enumerate(_scattered(rng, 80))]
    assert nearrepeat.find_chains(incidents, NOW, permutations=199) == []
    for k in range(6):  # a chain of six within 100 m, a day apart, the last yesterday
        incidents.append(_incident(100 + k, NOW - timedelta(days=6 - k), lng=104.2 + k * 0.0003, lat=30.9))
    for k in range(8):  # and follow-ups of older incidents, so the category's interaction is strong
        first = incidents[k]
        incidents.append(_incident(200 + k, first.at + timedelta(days=1), lng=first.lng + 0.0003, lat=first.lat))
    chains = nearrepeat.find_chains(incidents, NOW, permutations=199)
    assert [sorted(i.id for i in c.incidents) for c in chains] == [[100, 101, 102, 103, 104, 105]]
    assert chains[0].knox.p <= 0.05 and chains[0].q <= 0.05
