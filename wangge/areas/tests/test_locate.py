"""locate(point) -> grid: the index, the coordinate systems, the API and the rebuild.

The world's grids are 0.01° squares side by side along lng from 104.00, lat 30.60–30.61.
"""
import json

import numpy as np
import pytest
import shapely
from django.test import Client
from django.utils import timezone, translation
from fast_geocn import coord

from wangge.areas import crs as crs_module
from wangge.areas import locate as locating
from wangge.areas.locate import CRSError, GridIndex, locate, locate_points
from wangge.areas.models import Region
from wangge.core.roles import Role
from wangge.core.services import do_create_token
from wangge.testing import CELL, ORIGIN_LAT, ORIGIN_LNG, square

URL = "/api/v1/locate"


@pytest.fixture(autouse=True)
def _fresh_index():
    # Test databases roll back without signals: never let one test's index answer the next.
    locating.invalidate()
    yield
    locating.invalidate()


@pytest.fixture
def bearer(world):
    _, raw = do_create_token(None, world.users[Role.GRID_WORKER])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def error_locs(response) -> list:
    return [tuple(e["loc"]) for e in response.json()["detail"]]


# --- GridIndex (pure) ---------------------------------------------------------------------------

def test_index_positions_outside_and_shared_edges():
    polys = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 1, 1, 2)]
    index = GridIndex(["a", "b", "c"], polys)
    lngs = [0.5, 1.5, 0.5, 5.0, 1.0, 1.0, 0.5, 1.0]
    lats = [0.5, 0.5, 1.5, 5.0, 0.5, 1.0, 1.0, 1.5]
    # Edge a|b → a, corner a|b|c → a, edge a|c → a, c's east edge (no neighbour) → c.
    assert index.locate_many(lngs, lats).tolist() == [0, 1, 2, -1, 0, 0, 0, 2]
    # The same answers in any input order.
    order = np.array([7, 3, 0, 5, 1, 6, 2, 4])
    assert index.locate_many(np.array(lngs)[order], np.array(lats)[order]).tolist() == \
        np.array([0, 1, 2, -1, 0, 0, 0, 2])[order].tolist()


def test_empty_index_and_no_points():
    assert GridIndex([], []).locate_many([1.0], [2.0]).tolist() == [-1]
    assert GridIndex(["a"], [shapely.box(0, 0, 1, 1)]).locate_many([], []).tolist() == []


# --- coordinate systems -------------------------------------------------------------------------

def test_crs_conversions_round_trip_below_a_centimetre():
    lng, lat = 104.0435, 30.6418
    for forward, name in ((coord.wgs84_to_gcj02, "gcj02"), (coord.wgs84_to_bd09, "bd09")):
        back = crs_module.to_wgs84(*forward(lng, lat), name)
        assert back == pytest.approx((lng, lat), abs=1e-7)  # 1e-7° ≈ 1 cm
    assert crs_module.to_wgs84(lng, lat) == (lng, lat)
    lngs, lats = crs_module.to_wgs84_many(np.array([lng, 104.1]), [lat, 30.7], "gcj02")
    assert lngs.shape == lats.shape == (2,)


def test_crs_refuses_unknown_names_and_bad_coordinates():
    with pytest.raises(CRSError, match="未知坐标系 'utm'，可用：wgs84, gcj02, bd09"):
        crs_module.to_wgs84(104.0, 30.6, "utm")
    assert issubclass(CRSError, ValueError)
    with translation.override("en"):  # the message ids
        with pytest.raises(CRSError, match="Unknown coordinate system 'utm'"):
            crs_module.to_wgs84(104.0, 30.6, "utm")
        for lng, lat, words in ((181, 30, "longitude 181"), (104, -90.5, "latitude -90.5"),
                                (float("nan"), 30, "longitude nan")):
            with pytest.raises(ValueError, match=words):
                crs_module.to_wgs84(lng, lat)
        with pytest.raises(ValueError, match="point 1: latitude 91"):
            crs_module.to_wgs84_many([104, 104], [30, 91])
    with pytest.raises(ValueError, match="第 1 个点：纬度 91.0 超出范围"):
        crs_module.to_wgs84_many([104, 104], [30, 91])


# --- locate() over the database's grids ---------------------------------------------------------

def test_every_grid_centre_locates_to_itself(world):
    for grid in world.grids:
        assert locate(*world.grid_center(grid))["code"] == grid.code


def test_inside_answer_carries_the_whole_path_top_down(world):
    grid = world.grids[5]
    found = locate(*world.grid_center(grid))
    assert found["name"] == grid.name
    expected = [(r.code, r.name, r.level) for r in grid.ancestors_and_self()]
    assert [(n["code"], n["name"], n["level"]) for n in found["path"]] == expected
    assert [n["level"] for n in found["path"]] == ["province", "city", "district", "street", "community", "grid"]
    assert found["path"][-1]["code"] == grid.code


def test_outside_every_grid_is_none(world):
    assert locate(ORIGIN_LNG - 0.005, ORIGIN_LAT + 0.005) is None
    assert locate(ORIGIN_LNG + 0.005, ORIGIN_LAT + 1) is None
    assert locate(0, 0) is None


def test_gcj02_and_bd09_input_locates_the_same_grid(world):
    for grid in world.grids:
        lng, lat = world.grid_center(grid)
        assert locate(*coord.wgs84_to_gcj02(lng, lat), crs="gcj02")["code"] == grid.code
        assert locate(*coord.wgs84_to_bd09(lng, lat), crs="bd09")["code"] == grid.code
    # Both are hundreds of metres east of WGS-84 here: near grid 0's east edge, reading
    # the input as WGS-84 would land in grid 1, so these answers prove the conversion ran.
    near_east_edge = (ORIGIN_LNG + 0.009, ORIGIN_LAT + 0.005)
    for forward, name in ((coord.wgs84_to_gcj02, "gcj02"), (coord.wgs84_to_bd09, "bd09")):
        shifted = forward(*near_east_edge)
        assert locate(*shifted, crs=name)["code"] == world.grids[0].code
        assert locate(*shifted)["code"] == world.grids[1].code


def test_point_on_a_shared_edge_belongs_to_exactly_one_grid(world):
    west, east = world.grids[0], world.grids[1]
    edge = (ORIGIN_LNG + CELL, ORIGIN_LAT + CELL / 2)
    assert locate(*edge)["code"] == west.code  # the lower code, every time, in any batch
    answers = locate_points([world.grid_center(east), edge, world.grid_center(west), edge])
    assert [a["code"] for a in answers] == [east.code, west.code, west.code, west.code]


def test_locate_points_keeps_order_and_refuses_bad_input(world):
    centres = [world.grid_center(g) for g in reversed(world.grids)]
    answers = locate_points(centres + [(0.0, 0.0)])
    assert [a["code"] for a in answers[:-1]] == [g.code for g in reversed(world.grids)]
    assert answers[-1] is None
    assert locate_points([]) == []
    with pytest.raises(CRSError):
        locate_points(centres, "wgs-84")
    with pytest.raises(ValueError, match="数字对"):
        locate_points([(104.0, 30.6, 1.0)])
    with pytest.raises(ValueError, match="数字对"):
        locate_points([("east", 30.6)])


def test_answers_are_copies(world):
    first = locate(*world.grid_center(world.grids[0]))
    first["path"][0]["name"] = "changed"
    assert locate(*world.grid_center(world.grids[0]))["path"][0]["name"] == "四川省"


# --- rebuild ------------------------------------------------------------------------------------

def test_moving_a_grid_rebuilds_the_index(world):
    grid = world.grids[0]
    old_centre = world.grid_center(grid)
    assert locate(*old_centre)["code"] == grid.code
    grid.polygon = square(ORIGIN_LNG, ORIGIN_LAT + 5 * CELL)  # five cells north, away from everyone
    grid.save()
    assert locate(*old_centre) is None
    assert locate(ORIGIN_LNG + CELL / 2, ORIGIN_LAT + 5.5 * CELL)["code"] == grid.code


def test_clearing_and_deleting_grids_drop_them_from_the_index(world):
    cleared, deleted = world.grids[2], world.grids[3]
    cleared_centre = world.grid_center(cleared)
    assert locate(*cleared_centre)["code"] == cleared.code
    cleared.polygon = None
    cleared.save()
    deleted.delete()
    assert locate(*cleared_centre) is None
    assert locate(*world.grid_center(deleted)) is None
    assert locate(*world.grid_center(world.grids[4]))["code"] == world.grids[4].code


def test_renaming_a_street_shows_in_the_path(world, settings):
    settings.LOCATE_INDEX_CHECK_SECONDS = 0
    grid = world.grids[0]
    assert locate(*world.grid_center(grid))["path"][3]["name"] == "测试街道1"
    world.streets[0].name = "新街道"
    world.streets[0].save()  # not a grid, so no invalidate(): the stamp check notices
    assert locate(*world.grid_center(grid))["path"][3]["name"] == "新街道"


def test_an_edit_by_another_process_is_noticed(world, settings):
    settings.LOCATE_INDEX_CHECK_SECONDS = 3600
    grid = world.grids[7]
    old_centre = world.grid_center(grid)
    assert locate(*old_centre)["code"] == grid.code
    # Another server process moves the grid: no signal reaches this process.
    Region.objects.filter(pk=grid.pk).update(polygon=square(ORIGIN_LNG + 20 * CELL, ORIGIN_LAT),
                                             updated_at=timezone.now())
    assert locate(*old_centre)["code"] == grid.code  # not checked yet: the interval has not passed
    settings.LOCATE_INDEX_CHECK_SECONDS = 0
    locating._next_check = 0.0  # as if the hour had passed
    assert locate(*old_centre) is None
    assert locate(ORIGIN_LNG + 20.5 * CELL, ORIGIN_LAT + CELL / 2)["code"] == grid.code


# --- API ----------------------------------------------------------------------------------------

def test_get_with_bearer_token(world, client, bearer):
    grid = world.grids[6]
    lng, lat = world.grid_center(grid)
    response = client.get(URL, {"lng": lng, "lat": lat}, **bearer)
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == grid.code
    assert body["grid"]["name"] == grid.name
    assert [n["code"] for n in body["grid"]["path"]] == [r.code for r in grid.ancestors_and_self()]
    assert set(body["grid"]["path"][0]) == {"code", "name", "level"}
    assert client.get(URL, {"lng": 0, "lat": 0}, **bearer).json() == {"grid": None}


def test_get_with_crs(world, client, bearer):
    grid = world.grids[1]
    lng, lat = coord.wgs84_to_bd09(*world.grid_center(grid))
    response = client.get(URL, {"lng": lng, "lat": lat, "crs": "bd09"}, **bearer)
    assert response.json()["grid"]["code"] == grid.code


def test_get_and_post_with_a_session(world, client):
    client.force_login(world.users[Role.DEPARTMENT_HANDLER])
    grid = world.grids[4]
    assert client.get(URL, dict(zip(("lng", "lat"), world.grid_center(grid)))).json()["grid"]["code"] == grid.code
    response = post(client, {"points": [world.grid_center(grid)]})
    assert response.status_code == 200
    assert response.json()["results"][0]["grid"]["code"] == grid.code


def test_session_post_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.GRID_WORKER])
    assert post(client, {"points": [[104.0, 30.6]]}).status_code == 403


def test_post_batch_keeps_order(world, client, bearer):
    grids = list(reversed(world.grids))
    points = [coord.wgs84_to_gcj02(*world.grid_center(g)) for g in grids]
    points.insert(3, coord.wgs84_to_gcj02(100.0, 25.0))
    response = post(client, {"crs": "gcj02", "points": points}, **bearer)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == len(points)
    assert results[3] == {"grid": None}
    assert [r["grid"]["code"] for r in results[:3] + results[4:]] == [g.code for g in grids]


def test_post_batch_limit(world, client, bearer, settings):
    settings.LOCATE_BATCH_LIMIT = 5
    centre = list(world.grid_center(world.grids[0]))
    assert post(client, {"points": [centre] * 5}, **bearer).status_code == 200
    response = post(client, {"points": [centre] * 6}, **bearer)
    assert response.status_code == 422
    assert error_locs(response) == [("body", "payload", "points")]
    assert "at most 5 points" in response.json()["detail"][0]["msg"]


def test_post_default_batch_limit_is_ten_thousand(world, client, bearer):
    response = post(client, {"points": [[104.0, 30.6]] * 10_001}, **bearer)
    assert response.status_code == 422
    assert "at most 10000 points" in response.json()["detail"][0]["msg"]


def test_unknown_crs_is_a_field_error(world, client, bearer):
    response = client.get(URL, {"lng": 104.0, "lat": 30.6, "crs": "utm"}, **bearer)
    assert response.status_code == 422
    assert error_locs(response) == [("query", "crs")]
    response = post(client, {"crs": "WGS84", "points": [[104.0, 30.6]]}, **bearer)
    assert response.status_code == 422
    assert error_locs(response) == [("body", "payload", "crs")]


@pytest.mark.parametrize("query, field", [
    ({"lng": 180.5, "lat": 30.6}, "lng"),
    ({"lng": 104.0, "lat": -91}, "lat"),
    ({"lng": "nan", "lat": 30.6}, "lng"),
    ({"lng": "east", "lat": 30.6}, "lng"),
    ({"lat": 30.6}, "lng"),
])
def test_get_bad_coordinates_are_field_errors(world, client, bearer, query, field):
    response = client.get(URL, query, **bearer)
    assert response.status_code == 422
    assert error_locs(response) == [("query", field)]


@pytest.mark.parametrize("points, loc", [
    ([[104.0, 30.6], [104.0, 95.0]], ("body", "payload", "points", 1, 1)),
    ([[-181, 30.6]], ("body", "payload", "points", 0, 0)),
    ([["104.0", 30.6]], ("body", "payload", "points", 0, 0)),
    ([[True, 30.6]], ("body", "payload", "points", 0, 0)),
    ([[104.0, 30.6, 5]], ("body", "payload", "points", 0)),
    ([[104.0]], ("body", "payload", "points", 0, 1)),
    ("104.0,30.6", ("body", "payload", "points")),
])
def test_post_bad_points_are_field_errors(world, client, bearer, points, loc):
    response = post(client, {"points": points}, **bearer)
    assert response.status_code == 422
    assert error_locs(response) == [loc]


def test_post_malformed_body(world, client, bearer):
    response = client.post(URL, "{points: oops", content_type="application/json", **bearer)
    assert response.status_code == 400
    response = post(client, {"crs": "wgs84"}, **bearer)
    assert response.status_code == 422
    assert error_locs(response) == [("body", "payload", "points")]


def test_missing_or_wrong_token_is_401(world, client):
    query = {"lng": 104.005, "lat": 30.605}
    assert client.get(URL, query).status_code == 401
    assert client.get(URL, query, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    assert post(client, {"points": [[104.005, 30.605]]}, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_ping_needs_no_auth(client, db):
    response = client.get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_openapi_documents_locate(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    get_params = {p["name"] for p in schema["paths"]["/api/v1/locate"]["get"]["parameters"]}
    assert get_params == {"lng", "lat", "crs"}
    components = schema["components"]["schemas"]
    assert set(components["LocateBatchIn"]["properties"]) == {"crs", "points"}
    assert set(components["LocateBatchOut"]["properties"]) == {"results"}
    assert set(components["GridOut"]["properties"]) == {"code", "name", "path"}
