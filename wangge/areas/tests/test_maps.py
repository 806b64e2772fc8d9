"""The point maps' data (docs/maps.md): the public outlines, the base map's settings, the staff's labelled points
and the address search."""
import gzip
import json

import pytest

from wangge.areas import geocoding
from wangge.areas.geocoding import Geocoder, Hit
from wangge.areas.outlines import QUANTUM
from wangge.core.pinyin import as_initials_query, initials
from wangge.core.roles import Role
from wangge.registry import services
from wangge.testing import build_registry


def decode_ring(data, ring):
    ox, oy = data["origin"]
    x = y = 0
    out = []
    for i in range(0, len(ring), 2):
        x += ring[i]
        y += ring[i + 1]
        out.append(((ox + x) / QUANTUM, (oy + y) / QUANTUM))
    return out


# ------------------------------------------------------------------ outlines


def test_outlines_are_public_names_and_shapes_only(client, world):
    response = client.get("/map/outlines.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    data = json.loads(response.content)
    by_code = {a["code"]: a for a in data["areas"]}
    assert set(by_code) == {r.code for r in [*world.communities, *world.grids]}
    for area in data["areas"]:
        assert set(area) == {"code", "name", "level", "py", "label", "polys"}  # no counts, no people
    grid = by_code[world.grids[0].code]
    assert grid["name"] == world.grids[0].name and grid["level"] == "grid" and grid["py"] == initials(grid["name"])
    # The quantized ring is the grid's square to a metre (the closing point left out).
    ring = decode_ring(data, grid["polys"][0][0])
    square = world.grids[0].polygon["coordinates"][0][:-1]
    assert len(ring) == 4
    for (x, y), (sx, sy) in zip(ring, square):
        assert abs(x - sx) < 1e-5 and abs(y - sy) < 1e-5
    # A community without a boundary of its own is the union of its grids.
    community = by_code[world.communities[0].code]
    xs = [x for x, _y in decode_ring(data, community["polys"][0][0])]
    assert min(xs) == pytest.approx(104.0, abs=1e-5) and max(xs) == pytest.approx(104.02, abs=1e-5)


def test_outlines_are_compressed_and_revalidated(client, world):
    response = client.get("/map/outlines.json", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["areas"]
    assert client.get("/map/outlines.json", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    grid = world.grids[0]
    grid.name = "改名网格"
    grid.save()
    again = client.get("/map/outlines.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 200 and "改名网格" in again.content.decode()


# ------------------------------------------------------------------ base map settings


def test_no_base_map_by_default_draws_our_own(client, world):
    client.force_login(world.users[Role.GRID_WORKER])
    html = client.get("/cases/report/").content.decode()
    assert '<script id="map-base" type="application/json">{"url": ""' in html
    assert "wangge/gcj02.js" not in html  # nothing to convert
    assert "img-src 'self' data: blob:;" in client.get("/cases/report/")["Content-Security-Policy"]


def test_a_gcj02_base_map_is_named_allowed_and_converted(client, world, settings):
    settings.WANGGE_BASE_MAP = {"url": "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}",
                                "crs": "gcj02", "attribution": "高德地图", "subdomains": "1234", "max_zoom": 18}
    html = client.get("/portal/report/").content.decode()
    assert '"crs": "gcj02"' in html and "autonavi.com" in html and "wangge/gcj02.js" in html
    assert "vendor/leaflet/leaflet.js" in html and "echarts" not in html


def test_tile_host_joins_the_image_policy():
    from wangge.settings import _tile_source

    assert _tile_source("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}") == "https://*.tianditu.gov.cn"
    assert _tile_source("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png") == "http://10.1.2.3:8080"
    assert _tile_source("") == ""


# ------------------------------------------------------------------ the staff's labelled points


def test_points_are_the_users_buildings_in_the_box(client, world):
    build_registry(world)
    box = "104.001,30.599,104.049,30.611"  # the home grid's building and the other street's
    client.force_login(world.users[Role.GRID_WORKER])
    points = client.get(f"/map/points.json?bbox={box}").json()["points"]
    assert [p["label"] for p in points] == [f"{world.grids[0].name}幸福路1号 1栋"]
    assert points[0]["kind"] == "building" and points[0]["lng"] == pytest.approx(104.005)
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert len(client.get(f"/map/points.json?bbox={box}").json()["points"]) == 2
    # Someone who does not read the registry sees no building.
    client.force_login(world.users[Role.DEPARTMENT_HANDLER])
    assert client.get(f"/map/points.json?bbox={box}").json()["points"] == []


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "104.05,30.6,104.0,30.61", "0,-91,1,0", "nan,1,2,3",
                                  "104,30.6,104.01,30.6"])
def test_points_refuse_a_bad_box(client, world, bbox):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/map/points.json", {"bbox": bbox})
    assert response.status_code == 400 and "bbox" in response.json()["detail"]


def test_points_need_a_login_and_a_small_box(client, world):
    build_registry(world)
    assert client.get("/map/points.json?bbox=104.001,30.599,104.049,30.611").status_code == 302
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get("/map/points.json?bbox=103.9,30.5,104.1,30.7").json()["points"] == []  # a whole district


# ------------------------------------------------------------------ address search


def test_pinyin_initials():
    assert initials("武侯大道3号") == "whdd3h"
    assert initials("洗面桥社区第1网格") == "xmqsqd1wg"
    assert as_initials_query(" W H ") == "wh" and as_initials_query("武侯") is None and as_initials_query("") is None


def search(client, q, **params):
    response = client.get("/api/v1/address-search", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_search_finds_buildings_houses_places_and_areas_in_the_users_area(client, world):
    data = build_registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    lng, lat = world.grid_center(world.grids[0])
    services.do_create_place(admin, name="武侯实验小学", kind="school", address="幸福路8号", lng=lng, lat=lat)
    services.do_create_organisation(admin, name="成都武侯科技有限公司", uscc="91510107MA6000001Y",
                                    kind="non_public_economic", address="幸福路9号", lng=lng + 0.001, lat=lat)
    client.force_login(world.users[Role.GRID_WORKER])
    home = f"{world.grids[0].name}幸福路1号 1栋"
    # A part of the address; the other street's building is not the grid worker's.
    hits = search(client, "幸福路")
    assert [h["label"] for h in hits if h["kind"] == "building"] == [home]
    others = {h["label"] for h in hits if h["kind"] in ("place", "organisation")}
    assert others == {"武侯实验小学", "成都武侯科技有限公司"}
    building = next(h for h in hits if h["kind"] == "building")
    assert (building["lng"], building["lat"]) == (data["home"]["building"].lng, data["home"]["building"].lat)
    # Pinyin initials: "wh" finds 武侯…, "xfl" finds 幸福路.
    assert {h["label"] for h in search(client, "wh")} >= {"武侯实验小学", "成都武侯科技有限公司"}
    assert home in {h["label"] for h in search(client, "XFL")}
    # A house by its building, unit and number.
    houses = [h for h in search(client, f"{world.grids[0].name}幸福路1号1栋1单元101") if h["kind"] == "house"]
    assert len(houses) == 1 and houses[0]["label"].startswith(home) and "101" in houses[0]["label"]
    # The areas by name: the grid worker's own grid, not another street's.
    grids = {h["label"] for h in search(client, "测试网格") if h["kind"] == "grid"}
    assert grids == set()  # the test world's grids have no label point
    for grid in world.grids:
        grid.center_lng, grid.center_lat = world.grid_center(grid)
        grid.save()
    grids = {h["label"] for h in search(client, "测试网格") if h["kind"] == "grid"}
    assert grids == {world.grids[0].name}
    assert {h["label"] for h in search(client, "cswg") if h["kind"] == "grid"} == {world.grids[0].name}
    assert search(client, "no such place") == []


def test_search_of_a_role_without_the_registry_finds_only_areas(client, world):
    build_registry(world)
    client.force_login(world.users[Role.DEPARTMENT_HANDLER])
    assert search(client, "幸福路") == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 51}, {"q": "a", "limit": 0}, {"q": "a", "limit": 21},
                                    {"q": "a", "limit": "ten"}, {"q": "a", "limit": "1e9"}])
def test_search_refuses_bad_input_with_422(client, world, params):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/api/v1/address-search", params)
    assert response.status_code == 422


def test_search_needs_a_login(client, world):
    assert client.get("/api/v1/address-search", {"q": "幸福路"}).status_code == 401


class FixedGeocoder(Geocoder):
    """A deployment's own geocoder (here: one answer for everything)."""

    def search(self, user, text, limit):
        return [Hit("address", f"{text}（外部）", "", 104.01, 30.61)]


def test_the_geocoder_is_the_one_the_setting_names(client, world, settings):
    settings.WANGGE_GEOCODER = f"{__name__}.FixedGeocoder"
    geocoding._geocoder.cache_clear()
    client.force_login(world.users[Role.GRID_WORKER])
    try:
        assert search(client, "人民南路") == [{"kind": "address", "label": "人民南路（外部）", "detail": "",
                                              "lng": 104.01, "lat": 30.61}]
        settings.WANGGE_GEOCODER = "wangge.areas.geocoding.NoGeocoder"
        build_registry(world)
        assert search(client, "幸福路") == []
    finally:
        geocoding._geocoder.cache_clear()
