"""WGS-84 ⇄ GCJ-02 in the browser (wangge/static/wangge/gcj02.js) and its server twin (areas.crs.from_wgs84):
published reference values, agreement with each other, and a round trip well under a metre."""
import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

from wangge.areas.crs import from_wgs84, to_wgs84

MODULE = Path(__file__).resolve().parents[2] / "static" / "wangge" / "gcj02.js"

# WGS-84 -> GCJ-02 reference pairs (the values every implementation of the published transform gives, e.g.
# eviltransform's test vectors): Beijing (Tian'anmen) and Shanghai (Pudong).
REFERENCE = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
]
# Across China and our district (成都武侯), plus points outside China that stay as they are.
POINTS = [(104.0435, 30.6418), (104.0, 30.6), (87.6, 43.8), (126.6, 45.75), (113.26, 23.13), (91.1, 29.65),
          (121.47, 31.23), (116.404, 39.915), (2.35, 48.85), (-74.0, 40.7), (139.69, 35.69)]


def metres(a, b):
    """Distance between two (lng, lat) points, equirectangular (fine for a metre)."""
    k = math.pi / 180 * 6371000
    return math.hypot((a[0] - b[0]) * k * math.cos(a[1] * math.pi / 180), (a[1] - b[1]) * k)


def run_js(points):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for this test (it installs the front-end packages too: make vendor)")
    script = (f"const c = require({json.dumps(str(MODULE))});"
              f"const pts = {json.dumps(points)};"
              "console.log(JSON.stringify(pts.map(p => { const g = c.toGcj02(p[0], p[1]);"
              " return {gcj: g, back: c.toWgs84(g[0], g[1]), out: c.outOfChina(p[0], p[1])}; })));")
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=30)
    return json.loads(out.stdout)


def test_the_browser_module_gives_the_reference_values():
    answers = run_js([list(w) for w, _g in REFERENCE])
    for (wgs, gcj), answer in zip(REFERENCE, answers):
        assert answer["gcj"][0] == pytest.approx(gcj[0], abs=1e-9)
        assert answer["gcj"][1] == pytest.approx(gcj[1], abs=1e-9)
        assert metres(answer["back"], wgs) < 0.01


def test_browser_and_server_agree_and_round_trip_under_a_metre():
    answers = run_js([list(p) for p in POINTS])
    for point, answer in zip(POINTS, answers):
        server_gcj = from_wgs84(*point, "gcj02")
        assert metres(answer["gcj"], server_gcj) < 0.001, point
        # The offset is hundreds of metres in China, none outside it.
        offset = metres(answer["gcj"], point)
        assert (offset == 0) == answer["out"], (point, offset)
        if not answer["out"]:
            assert 50 < offset < 1000, (point, offset)
        # Back to WGS-84: in the browser and on the server (the server converts tapped GCJ-02 points too).
        assert metres(answer["back"], point) < 1, point
        assert metres(to_wgs84(*answer["gcj"], "gcj02"), point) < 1, point


def test_server_twin_keeps_wgs84_and_refuses_an_unknown_crs():
    assert from_wgs84(104.0435, 30.6418, "wgs84") == (104.0435, 30.6418)
    assert from_wgs84(*REFERENCE[0][0], "gcj02") == pytest.approx(REFERENCE[0][1], abs=1e-9)
    with pytest.raises(ValueError):
        from_wgs84(104.0, 30.0, "mercator")
