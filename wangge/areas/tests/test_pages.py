"""The map home, region and grid pages and the map data, for every role.

Every read goes through Region.objects.visible_to(user): a region outside the user's
area answers 404, and nothing outside is drawn, listed or linked.
"""
import re

import pytest

from wangge.areas.models import GridTeamMember, Region
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.testing import PASSWORD

# ------------------------------------------------------------------ home


LANDINGS = {Role.DEPARTMENT_HANDLER: "/cases/inbox/", Role.MEDIATOR: "/mediation/m/", Role.DISTRICT_OPERATOR: "/cases/",
            Role.STREET_OPERATOR: "/cases/", Role.COMMUNITY_OPERATOR: "/cases/"}


@pytest.mark.parametrize("role, expected", [
    (Role.ADMINISTRATOR, "510107"),
    (Role.DISTRICT_OPERATOR, "510107"),
    (Role.STREET_OPERATOR, "510107001"),
    (Role.COMMUNITY_OPERATOR, "510107001001"),
    (Role.GRID_WORKER, "510107001001001"),
    (Role.DEPARTMENT_HANDLER, "510107"),  # the region their department serves
    (Role.MEDIATOR, "510107001001"),
])
def test_home_starts_at_the_users_node(world, client, role, expected):
    client.force_login(world.users[role])
    response = client.get("/")
    if role in LANDINGS:  # their home is their work; the map is at /map/, in their menu
        assert response.status_code == 302 and response["Location"] == LANDINGS[role]
        response = client.get("/map/")
        assert 'id="nav-map"' in response.content.decode()
    assert response.status_code == 200
    if role == Role.GRID_WORKER:  # their home is their work; their map is "my grid", linked from it
        assert response.context["region"].code == expected
        assert f'href="/grids/{expected}/"' in response.content.decode()
        response = client.get(f"/grids/{expected}/")
    assert response.context["region"].code == expected
    html = response.content.decode()
    mode = "single" if role == Role.GRID_WORKER else "explore"
    assert re.search(rf'data-region-map="{mode}"\s+data-code="{expected}"', html)
    assert "vendor/echarts.min.js" in html and "wangge/map.js" in html


def test_home_for_a_grid_worker_is_their_work(world, client):
    """Today's work first (cases waiting, visits due today, report a case), not the map."""
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.get("/")
    assert "areas/work_home.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "今日工作" in html and "echarts" not in html
    for block in ('id="home-cases"', 'id="home-visits"', 'id="home-grid"', 'id="quick-actions"'):
        assert block in html, block
    quick = html[html.index('id="quick-actions"'):html.index("</nav>", html.index('id="quick-actions"'))]
    assert re.findall(r'href="([^"]+)"', quick) == ["/cases/report/", "/visits/due/", "/grids/510107001001001/"]


def test_my_grid_of_a_grid_worker_is_their_grid_page(world, client):
    world.grids[0].team.create(role="grid_worker", name="李网格", phone="13812345678")
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.get(f"/grids/{world.grids[0].code}/")
    assert "areas/grid.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "测试网格1-1-1" in html and "138****5678" in html and "13812345678" not in html


def test_home_lists_children_with_code_households_and_grid_count(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/map/")
    rows = response.context["children"]
    assert [(r["code"], r["households"], r["grid_count"], r["has_children"]) for r in rows] == [
        ("510107001", 1600, 4, True), ("510107002", 1600, 4, True)]
    html = response.content.decode()
    assert 'id="child-list"' in html
    assert 'data-drill="510107001"' in html and "测试街道2" in html
    assert "3200" in html  # households of the district


def test_superuser_without_a_node_starts_at_the_district(world, client):
    root = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    client.force_login(root)
    assert client.get("/").context["region"].code == "510107"


def test_user_without_an_area_sees_an_explanation(world, client):
    nobody = User.objects.create_user("nobody", password=PASSWORD)
    client.force_login(nobody)
    response = client.get("/")
    assert response.status_code == 200
    assert "areas/no_area.html" in [t.name for t in response.templates]
    assert client.get("/map/510107.json").status_code == 404


# ------------------------------------------------------------------ map data


def _codes(data):
    return [f["properties"]["code"] for f in data["features"]]


def test_map_json_is_a_feature_collection_of_children_with_the_outline(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/map/510107.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert _codes(data) == ["510107001", "510107002"]
    props = data["features"][0]["properties"]
    assert {"code", "name", "level", "households", "grid_count", "has_children"} <= set(props)
    assert props["level"] == "street" and props["households"] == 1600 and props["grid_count"] == 4
    assert props["has_children"] is True
    # Streets carry no stored boundary in the test world: drawn as the union of their grids.
    assert data["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert data["region"]["code"] == "510107"
    assert data["outline"]["properties"]["code"] == "510107"
    assert data["outline"]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_neighbouring_children_get_different_colours(world, client):
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    data = client.get("/map/510107001001.json").json()
    colours = [f["properties"]["colour"] for f in data["features"]]
    assert len(colours) == 2 and colours[0] != colours[1]  # the two grids share an edge


def test_map_json_of_a_community_lists_its_grids(world, client):
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    data = client.get("/map/510107001001.json").json()
    assert _codes(data) == ["510107001001001", "510107001001002"]
    assert all(f["properties"]["has_children"] is False for f in data["features"])
    assert all(f["properties"]["level"] == "grid" for f in data["features"])


def test_map_json_of_a_grid_is_its_outline(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    data = client.get(f"/map/{world.grids[0].code}.json").json()
    assert data["features"] == []
    assert data["outline"]["geometry"] == world.grids[0].polygon


@pytest.mark.parametrize("role, inside, outside", [
    (Role.STREET_OPERATOR, ["510107001", "510107001001", "510107001001001"],
     ["510107", "510107002", "510107002001", "510107002001001", "51"]),
    (Role.COMMUNITY_OPERATOR, ["510107001001", "510107001001002"],
     ["510107001", "510107001002", "510107002001"]),
    (Role.GRID_WORKER, ["510107001001001"], ["510107001001", "510107001001002", "510107"]),
    (Role.MEDIATOR, ["510107001001"], ["510107001", "510107002001"]),
])
def test_map_json_answers_404_outside_the_area(world, client, role, inside, outside):
    client.force_login(world.users[role])
    for code in inside:
        response = client.get(f"/map/{code}.json")
        assert response.status_code == 200, code
        for child in _codes(response.json()):
            assert child.startswith(world.users[role].scope_node.code), child
    for code in outside:
        assert client.get(f"/map/{code}.json").status_code == 404, code


@pytest.mark.parametrize("role", [Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR, Role.GRID_WORKER, Role.MEDIATOR])
def test_outsiders_cannot_see_the_home_users_node(world, client, role):
    client.force_login(world.outsiders[role])
    node = world.users[role].scope_node.code
    assert client.get(f"/map/{node}.json").status_code == 404
    assert client.get(f"/regions/{node}/").status_code == 404


def test_map_json_for_district_roles_covers_both_streets(world, client):
    for role in (Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.DEPARTMENT_HANDLER):
        client.force_login(world.users[role])
        assert _codes(client.get("/map/510107.json").json()) == ["510107001", "510107002"]
        # Administrators keep the whole platform; everyone else stops at their district.
        expected = 200 if role == Role.ADMINISTRATOR else 404
        assert client.get("/map/5101.json").status_code == expected


def test_map_json_is_cache_friendly(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    first = client.get("/map/510107001.json")
    etag = first["ETag"]
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    assert client.get("/map/510107001.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    grid = world.grids[0]
    grid.households = 401
    grid.save()
    again = client.get("/map/510107001.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag
    # Another user's scope gives another tag for the same region.
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get("/map/510107001.json")["ETag"] != again["ETag"]


# ------------------------------------------------------------------ region pages


def test_region_page_breadcrumb_links_only_what_the_user_may_see(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = client.get("/regions/510107001001/")
    assert response.status_code == 200
    crumbs = [(c["region"].code, c["linked"], c["current"]) for c in response.context["crumbs"]]
    assert crumbs == [("51", False, False), ("5101", False, False), ("510107", False, False),
                      ("510107001", True, False), ("510107001001", True, True)]
    html = response.content.decode()
    assert 'href="/regions/510107001/"' in html
    assert 'href="/regions/510107/"' not in html
    assert "武侯区" in html  # above the user's node: plain text
    assert "测试社区1-1" in html and "510107001001002" in html  # its grids


def test_region_page_404_outside_the_area(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    for code in ("510107", "510107002", "510107002001", "510107002001001", "999999"):
        assert client.get(f"/regions/{code}/").status_code == 404, code


def test_region_panel_is_an_htmx_partial(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/regions/510107002/panel/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="region-head" class="region-head" hx-swap-oob="true"' in html
    assert "510107002001" in html and "510107001001" not in html


def test_region_page_of_a_grid_is_the_grid_page(world, client):
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    response = client.get("/regions/510107001001002/")
    assert response.status_code == 200
    assert "areas/grid.html" in [t.name for t in response.templates]


def test_grid_url_refuses_a_region_that_is_not_a_grid(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get("/grids/510107001001/").status_code == 404


# ------------------------------------------------------------------ grid page


def test_grid_page_shows_code_households_boundary_and_team_with_masked_phones(world, client):
    grid = world.grids[0]
    GridTeamMember.objects.create(grid=grid, role="grid_worker", name="李网格", phone="13812345678",
                                  user=world.users[Role.GRID_WORKER])
    GridTeamMember.objects.create(grid=grid, role="grid_leader", name="张组长", phone="13987654321")
    GridTeamMember.objects.create(grid=grid, role="volunteer", name="赵志愿", phone="")
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.get(f"/grids/{grid.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert grid.code in html and "400" in html
    assert 'data-region-map="single"' in html and "vendor/echarts.min.js" in html
    assert "138****5678" in html and "139****4321" in html
    assert "13812345678" not in html and "13987654321" not in html
    assert "12345678" not in html and "87654321" not in html
    # The team comes in the order of 一长一员五长N志愿者, in Chinese.
    roles = [m["role"] for m in response.context["team"]]
    assert [str(r) for r in roles] == ["网格长", "网格员", "志愿者"]


def test_grid_page_in_another_grid_is_404(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(f"/grids/{world.grids[1].code}/").status_code == 404
    assert client.get(f"/regions/{world.grids[1].code}/").status_code == 404


def test_pages_load_no_external_assets(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    for url in ("/", "/regions/510107001/", f"/grids/{world.grids[0].code}/"):
        html = client.get(url).content.decode()
        assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html, re.I), url


def test_region_without_any_boundary_still_answers(world, client):
    lone = Region.objects.create(code="510107003", name="无边界街道", level="street", parent=world.district,
                                 path=f"{world.district.path}510107003/")
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    data = client.get("/map/510107003.json").json()
    assert data["features"] == [] and data["outline"] is None
    assert lone.code not in _codes(client.get("/map/510107.json").json())  # nothing to draw
    assert "无边界街道" in client.get("/map/").content.decode()  # but it is listed
