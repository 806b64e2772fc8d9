"""One run of the early-warning analysis (docs/early-warning.md): read the incidents once, run the four rules, and
hand what they find to `services.store_findings` (which raises new warnings and refreshes the open ones).

Run by the worker (poller.py, at most once an hour) and once at the end of `load_demo`; pages never run it.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.utils import timezone

from wangge.areas.models import Level, Region
from wangge.insight import hotspots, nearrepeat, repeats, sources, spikes

HOTSPOT_DAYS = 28
RECORDS_KEPT = 200  # records linked from one warning, at most (the numbers count them all)


@dataclass
class Finding:
    kind: str
    key: str
    source: str
    category: str
    grid_ids: list  # the grids of the records behind it: the warning's area is their lowest common region
    grid_id: int  # where a case handed down from it goes
    severity: str
    details: dict
    records: list = field(default_factory=list)  # [[source, id, number]]
    region_id: int | None = None  # set when the rule names its area itself (a spike's community)


class Grids:
    """The grids and regions the rules need: polygons for the weights, paths for the common region."""

    def __init__(self):
        self.grids = {row["id"]: row for row in Region.objects.filter(level=Level.GRID).values(
            "id", "code", "name", "path", "parent_id")}
        self.by_path = dict(Region.objects.values_list("path", "id"))
        self.codes = dict(Region.objects.values_list("id", "code"))

    def common_region(self, grid_ids) -> int:
        paths = [self.grids[g]["path"].strip("/").split("/") for g in set(grid_ids) if g in self.grids]
        common = []
        for parts in zip(*paths):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
        while common and "/" + "/".join(common) + "/" not in self.by_path:
            common.pop()
        return self.by_path["/" + "/".join(common) + "/"]


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _records(incidents) -> list:
    return [[i.source, i.id, i.number] for i in incidents[:RECORDS_KEPT]]


def _main_grid(incidents) -> int:
    return Counter(i.grid_id for i in incidents).most_common(1)[0][0]


def hotspot_findings(incidents, grids: Grids, now) -> list[Finding]:
    since = now - timedelta(days=HOTSPOT_DAYS)
    polygons = [(pk, polygon) for pk, polygon in Region.objects.filter(level=Level.GRID).exclude(polygon=None)
                .order_by("pk").values_list("pk", "polygon") if polygon]
    if len(polygons) < 3:
        return []
    weights = hotspots.grid_weights(polygons)
    position = {pk: i for i, pk in enumerate(weights.ids)}
    counts, members = {}, {}
    for incident in incidents:
        if incident.at < since or incident.grid_id not in position:
            continue
        key = (incident.source, incident.category)
        counts.setdefault(key, np.zeros(len(weights.ids)))[position[incident.grid_id]] += 1
        members.setdefault((key, position[incident.grid_id]), []).append(incident)
    found = []
    for (source, category), y in sorted(counts.items()):
        for spot in hotspots.hot_spots(y, weights):
            if spot.observed < hotspots.MIN_OBSERVED:
                continue
            grid_id = weights.ids[spot.index]
            behind = sorted(members.get(((source, category), spot.index), []), key=lambda i: i.at, reverse=True)
            around = [{"code": grids.grids[weights.ids[j]]["code"], "name": grids.grids[weights.ids[j]]["name"],
                       "n": int(y[j])} for j in spot.neighbours if weights.ids[j] in grids.grids]
            near = [i for j in spot.neighbours for i in members.get(((source, category), j), [])]
            details = {"window_from": _iso(since), "window_to": _iso(now), "observed": spot.observed,
                       "neighbourhood": spot.neighbourhood, "expected": spot.expected,
                       "mean": round(float(y.mean()), 3), "total": int(y.sum()), "grids": len(y),
                       "z": spot.z, "p": spot.p, "q": spot.q, "neighbours": around}
            found.append(Finding("hotspot", f"{source}:{category}:{grids.grids[grid_id]['code']}", source, category,
                                 [grid_id], grid_id, "high" if spot.q <= 0.01 else "medium", details,
                                 _records(behind + sorted(near, key=lambda i: i.at, reverse=True))))
    return found


def spike_findings(incidents, grids: Grids, now) -> list[Finding]:
    oldest = {source: _oldest(source) for source in sources.LOADERS}
    found = []
    for source in sources.LOADERS:
        years = 0
        if oldest[source] is not None:
            reach = now - oldest[source]
            years = min(3, int((reach - timedelta(days=7 * (spikes.SEASONAL_SPAN + 1))).days // 364))
        kind, windows = spikes.baseline_windows(now, years)
        if kind == "seasonal":
            rows = [i for i in incidents if i.source == source and i.at >= now - spikes.WEEK]
            for start, end in windows:
                rows += sources.LOADERS[source](start, end)
        else:
            rows = [i for i in incidents if i.source == source]
        area_of_grid = {pk: row["parent_id"] for pk, row in grids.grids.items()}
        for spike in spikes.find_spikes(rows, area_of_grid, now, windows, kind):
            this_week = sorted((i for i in rows if i.at >= now - spikes.WEEK and i.category == spike.category
                                and area_of_grid.get(i.grid_id) == spike.area_id), key=lambda i: i.at, reverse=True)
            code = grids.codes.get(spike.area_id, "")
            details = {"window_from": _iso(now - spikes.WEEK), "window_to": _iso(now), "observed": spike.observed,
                       "expected": spike.expected, "ratio": spike.ratio, "baseline": spike.baseline,
                       "baseline_kind": spike.baseline_kind, "p": spike.p, "q": spike.q}
            week = timezone.localtime(now).isocalendar()
            found.append(Finding("spike", f"{source}:{spike.category}:{code}:{week.year}-W{week.week:02d}", source,
                                 spike.category, [i.grid_id for i in this_week], _main_grid(this_week),
                                 "high" if spike.q <= 0.01 and spike.ratio >= 3 else "medium", details,
                                 _records(this_week), region_id=spike.area_id))
    return found


def _oldest(source: str):
    """When the source's first record is dated: how far back a seasonal baseline can reach."""
    from wangge.cases.models import Case
    from wangge.mediation.models import Dispute
    from wangge.sensing.models import Alert

    model, dated_by = {"case": (Case, "reported_at"), "dispute": (Dispute, "reported_at"),
                       "alert": (Alert, "first_seen")}[source]
    return model.objects.order_by(dated_by).values_list(dated_by, flat=True).first()


def repeat_findings(incidents, now) -> list[Finding]:
    since = now - timedelta(days=repeats.REPEAT_DAYS)
    recent = [i for i in incidents if i.source == "case" and i.at >= since]
    found = []
    for group in repeats.repeat_callers(recent):
        details = {"window_from": _iso(since), "window_to": _iso(now), "observed": len(group),
                   "threshold": repeats.REPEAT_MIN, "caller": group[-1].caller_shown,
                   "first": _iso(group[0].at), "last": _iso(group[-1].at)}
        found.append(Finding("repeat_caller", group[0].caller, "case", "", [i.grid_id for i in group],
                             _main_grid(group), "high" if len(group) >= 5 else "medium", details,
                             _records(group[::-1])))
    for group in repeats.repeat_places(recent):
        spread = repeats.metres([(i.lng, i.lat) for i in group])
        radius = float(np.max(np.hypot(*(spread - spread.mean(axis=0)).T))) if len(spread) else 0.0
        details = {"window_from": _iso(since), "window_to": _iso(now), "observed": len(group),
                   "threshold": repeats.REPEAT_MIN, "metres": repeats.PLACE_METRES, "radius": round(radius, 1),
                   "addresses": sorted({i.address for i in group if i.address})[:5],
                   "first": _iso(group[0].at), "last": _iso(group[-1].at)}
        found.append(Finding("repeat_place", f"case:{group[0].id}", "case", "", [i.grid_id for i in group],
                             _main_grid(group), "high" if len(group) >= 5 else "medium", details,
                             _records(group[::-1])))
    return found


def near_repeat_findings(incidents, now) -> list[Finding]:
    found = []
    for chain in nearrepeat.find_chains(incidents, now):
        knox = chain.knox
        details = {"window_from": _iso(now - timedelta(days=nearrepeat.KNOX_DAYS)), "window_to": _iso(now),
                   "observed": len(chain.incidents), "pairs": knox.observed, "expected_pairs": round(knox.expected, 2),
                   "close_in_space": knox.close_in_space, "metres": nearrepeat.SPACE_METRES,
                   "days": nearrepeat.TIME_DAYS, "permutations": nearrepeat.PERMUTATIONS, "p": knox.p, "q": chain.q,
                   "first": _iso(chain.incidents[0].at), "last": _iso(chain.incidents[-1].at)}
        found.append(Finding("near_repeat", f"{chain.source}:{chain.category}:{chain.incidents[0].id}",
                             chain.source, chain.category, [i.grid_id for i in chain.incidents],
                             _main_grid(chain.incidents), "high" if len(chain.incidents) >= 5 else "medium", details,
                             _records(chain.incidents[::-1])))
    return found


def findings(now=None) -> list[Finding]:
    """Everything the four rules find now."""
    now = now or timezone.now()
    window = max(HOTSPOT_DAYS, nearrepeat.KNOX_DAYS, repeats.REPEAT_DAYS, 7 * (spikes.BASELINE_WEEKS + 1)) + 1
    incidents = sources.incidents(now - timedelta(days=window), now)
    grids = Grids()
    found = (hotspot_findings(incidents, grids, now) + spike_findings(incidents, grids, now)
             + repeat_findings(incidents, now) + near_repeat_findings(incidents, now))
    for finding in found:
        if finding.region_id is None:
            finding.region_id = grids.common_region(finding.grid_ids)
    return found


def run(now=None) -> dict:
    """Analyse and store: {"raised": n, "seen_again": n} (services.store_findings)."""
    from wangge.insight import services

    now = now or timezone.now()
    return services.store_findings(findings(now), now)
