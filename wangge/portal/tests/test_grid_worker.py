"""找网格员 and the public grid outline: public geography and the posted team, nothing else."""
import pytest
from fast_geocn import coord

from wangge.cases.models import Case
from wangge.portal.tests.helpers import (
    LEADER_NAME,
    LEADER_PHONE,
    VOLUNTEER_NAME,
    VOLUNTEER_PHONE,
    WORKER_NAME,
    WORKER_PHONE,
    assert_no_people,
    dress_staff,
    dress_team,
)

pytestmark = pytest.mark.django_db


def test_a_point_finds_its_grid_and_team(client, world):
    dress_staff(world)
    dress_team(world)
    lng, lat = world.grid_center(world.grids[0])
    for url in ("/portal/grid-worker/lookup/", "/portal/grid-worker/"):
        response = client.get(url, {"lng": lng, "lat": lat, "crs": "wgs84"})
        assert response.status_code == 200
        html = response.content.decode()
        assert world.grids[0].name in html and world.communities[0].name in html and world.streets[0].name in html
        assert f"网格长 {LEADER_NAME}" in html and f'href="tel:{LEADER_PHONE}"' in html
        assert f"网格员 {WORKER_NAME}" in html and WORKER_PHONE in html
        # Volunteers are posted by name; their own phone is private.
        assert VOLUNTEER_NAME in html and VOLUNTEER_PHONE not in html
        assert_no_people(html, world)


def test_gcj02_point_finds_the_right_grid(client, world):
    dress_team(world)
    gcj_lng, gcj_lat = coord.wgs84_to_gcj02(104.009, 30.605)  # grid 0, near its east edge
    html = client.get("/portal/grid-worker/lookup/", {"lng": gcj_lng, "lat": gcj_lat, "crs": "gcj02"}).content.decode()
    assert world.grids[0].name in html and world.grids[1].name not in html


def test_no_team_yet_says_so(client, world):
    lng, lat = world.grid_center(world.grids[5])
    html = client.get("/portal/grid-worker/lookup/", {"lng": lng, "lat": lat}).content.decode()
    assert world.grids[5].name in html and "尚未公布" in html


@pytest.mark.parametrize("params,status", [
    ({"lng": "120.0", "lat": "31.0"}, 422),
    ({"lng": "abc", "lat": "30.6"}, 400),
    ({"lat": "30.6"}, 400),
    ({"lng": "104.005", "lat": "30.605", "crs": "mars"}, 400),
])
def test_bad_points_answer_4xx_with_a_message(client, world, params, status):
    for url in ("/portal/grid-worker/lookup/", "/portal/grid-worker/"):
        response = client.get(url, params)
        assert response.status_code == status
        assert 'id="grid-error"' in response.content.decode()


def test_page_without_a_point_shows_the_map(client, world):
    html = client.get("/portal/grid-worker/").content.decode()
    assert "data-portal-map" in html and 'data-outline-url="/map/outlines.json"' in html
    assert "vendor/leaflet/leaflet.js" in html and "echarts" not in html
    assert 'id="grid-error"' not in html


def test_outline_is_grid_polygons_and_names_only(client, world):
    response = client.get("/portal/map.json")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in data["features"]} == {g.code for g in world.grids}
    for feature in data["features"]:
        assert set(feature["properties"]) == {"code", "name"}
        assert feature["geometry"]["type"] == "Polygon"
    # Unchanged grids: the browser's copy is still good.
    again = client.get("/portal/map.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_outline_changes_when_a_grid_does(client, world):
    etag = client.get("/portal/map.json")["ETag"]
    grid = world.grids[0]
    grid.name = "改名网格"
    grid.save()
    response = client.get("/portal/map.json", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "改名网格" in response.content.decode()


def test_portal_reads_no_login_and_writes_nothing_on_get(client, world):
    for url in ("/portal/", "/portal/report/", "/portal/track/", "/portal/grid-worker/", "/portal/map.json"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert Case.objects.count() == 0
