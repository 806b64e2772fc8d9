import pytest

from wangge.areas.models import GridTeamMember
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.testing import ORIGIN_LAT, ORIGIN_LNG, square

pytestmark = pytest.mark.django_db


def login(client, world, role):
    client.force_login(world.users[role])
    return world.users[role]


def test_region_detail_path_stops_at_the_users_node(world, client):
    login(client, world, Role.STREET_OPERATOR)
    grid = world.grids[0]
    data = client.get(f"/api/v1/regions/{grid.code}").json()
    assert [p["code"] for p in data["path"]] == [world.streets[0].code, world.communities[0].code, grid.code]
    assert data["level"] == "grid" and data["parent_code"] == world.communities[0].code


def test_region_list_filters(world, client):
    login(client, world, Role.DISTRICT_OPERATOR)
    items = client.get("/api/v1/regions", {"level": "street"}).json()["items"]
    assert [i["code"] for i in items] == [s.code for s in world.streets]
    items = client.get("/api/v1/regions", {"parent": world.communities[0].code}).json()["items"]
    assert [i["code"] for i in items] == [g.code for g in world.grids[:2]]
    assert client.get("/api/v1/regions", {"level": "planet"}).status_code == 422


def test_team_is_listed_with_masked_phones(world, client):
    world.grids[0].team.create(role="grid_leader", name="张三", phone="19912345678")
    login(client, world, Role.GRID_WORKER)
    team = client.get(f"/api/v1/grids/{world.grids[0].code}/team").json()
    assert team == [{"role": "grid_leader", "role_label": team[0]["role_label"], "name": "张三",
                     "phone": "199****5678"}]


def test_operator_adds_and_removes_a_team_member(world, client):
    login(client, world, Role.COMMUNITY_OPERATOR)
    url = f"/api/v1/grids/{world.grids[0].code}/team"
    response = client.post(url, {"role": "volunteer", "name": "李四", "phone": "19900000001"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["phone"] == "199****0001"
    member_id = response.json()["id"]
    assert AuditEntry.objects.filter(operation="areas.add_team_member").count() == 1
    assert client.delete(f"{url}/{member_id}").status_code == 204
    assert not GridTeamMember.objects.filter(pk=member_id).exists()
    assert AuditEntry.objects.filter(operation="areas.remove_team_member").count() == 1


@pytest.mark.parametrize("payload,field", [
    ({"role": "king", "name": "李四"}, "role"),
    ({"role": "volunteer", "name": "  "}, "name"),
    ({"role": "volunteer", "name": "李四", "phone": "call me"}, "phone"),
])
def test_bad_team_member_is_refused_field_by_field(world, client, payload, field):
    login(client, world, Role.COMMUNITY_OPERATOR)
    response = client.post(f"/api/v1/grids/{world.grids[0].code}/team", payload, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert not GridTeamMember.objects.exists()
    assert not AuditEntry.objects.exists()


def test_grid_worker_cannot_edit_the_team_and_outsiders_get_404(world, client):
    login(client, world, Role.GRID_WORKER)
    payload = {"role": "volunteer", "name": "李四"}
    assert client.post(f"/api/v1/grids/{world.grids[0].code}/team", payload,
                       content_type="application/json").status_code == 403
    client.force_login(world.outsiders[Role.COMMUNITY_OPERATOR])
    assert client.post(f"/api/v1/grids/{world.grids[0].code}/team", payload,
                       content_type="application/json").status_code == 404
    assert not GridTeamMember.objects.exists()


def test_set_boundary_by_api(world, client):
    login(client, world, Role.DISTRICT_OPERATOR)
    grid = world.grids[0]
    smaller = square(ORIGIN_LNG, ORIGIN_LAT, 0.005)
    response = client.put(f"/api/v1/regions/{grid.code}/boundary", {"geometry": smaller},
                          content_type="application/json")
    assert response.status_code == 200
    grid.refresh_from_db()
    assert grid.polygon == smaller


@pytest.mark.parametrize("geometry,fragment", [
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "Self-intersection"),
    (square(ORIGIN_LNG + 0.005, ORIGIN_LAT), "与相邻网格 510107001001002 重叠"),
    ({"type": "Polygon", "coordinates": [[[500, 0], [1, 1], [1, 0], [500, 0]]]}, "坐标超出范围（500, 0）"),
])
def test_bad_boundary_is_refused_and_nothing_changes(world, client, geometry, fragment):
    login(client, world, Role.DISTRICT_OPERATOR)
    grid = world.grids[0]
    before = grid.polygon
    response = client.put(f"/api/v1/regions/{grid.code}/boundary", {"geometry": geometry},
                          content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "geometry"]
    assert fragment in response.json()["detail"][0]["msg"]
    grid.refresh_from_db()
    assert grid.polygon == before
    assert not AuditEntry.objects.filter(operation="areas.set_boundary").exists()


def test_only_editors_set_boundaries(world, client):
    login(client, world, Role.STREET_OPERATOR)
    grid = world.grids[0]
    response = client.put(f"/api/v1/regions/{grid.code}/boundary", {"geometry": None}, content_type="application/json")
    assert response.status_code == 403
    grid.refresh_from_db()
    assert grid.polygon is not None
