"""Warnings for tests: a stored hot spot in a grid of `wangge.testing.build_world`, as the worker would raise it."""
from wangge.insight.analysis import Finding
from wangge.insight.services import store_findings


def hotspot_finding(grid, *, observed=9, category="04", key_suffix="", records=(), neighbour=None, z=4.2):
    details = {"window_from": "2026-11-01T00:00:00+08:00", "window_to": "2026-11-29T00:00:00+08:00",
               "observed": observed, "neighbourhood": observed + 2, "expected": 1.2, "mean": 0.4, "total": 40,
               "grids": 8, "z": z, "p": 1.3e-05, "q": 0.0011,
               "neighbours": [{"code": neighbour.code, "name": neighbour.name, "n": 2}] if neighbour else []}
    return Finding("hotspot", f"case:{category}:{grid.code}{key_suffix}", "case", category, [grid.pk], grid.pk,
                   "high", details, [list(r) for r in records], region_id=grid.pk)


def raise_hotspot(grid, **kwargs):
    from wangge.insight.models import EarlyWarning

    store_findings([hotspot_finding(grid, **kwargs)])
    return EarlyWarning.objects.filter(key__endswith=grid.code + kwargs.get("key_suffix", "")).latest("pk")
