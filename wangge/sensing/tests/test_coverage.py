"""一栋楼"三个一" coverage and the building card."""
import pytest

from wangge.core.roles import Role
from wangge.registry.models import Building
from wangge.sensing.coverage import coverage
from wangge.sensing.testing import make_device

pytestmark = pytest.mark.django_db


def _team_member(world, grid=None):
    from wangge.areas.models import GridTeamMember

    return GridTeamMember.objects.create(grid=grid or world.grids[0], role="grid_worker", name="张网格员",
                                         user=world.users[Role.GRID_WORKER])


def test_a_building_counts_when_it_has_all_three(world, registry, sensing):
    operator = world.users[Role.DISTRICT_OPERATOR]
    home = registry["home"]["building"]
    rows, total = coverage(operator, None)
    assert (total.buildings, total.door, total.video, total.all_three) == (2, 2, 1, 0)  # no head yet
    Building.objects.filter(pk=home.pk).update(head_staff=_team_member(world), is_rental=True)
    rows, total = coverage(operator, None)
    assert (total.head, total.all_three, total.rental, total.rental_all_three) == (1, 1, 1, 1)
    by_street = {row.region.code: row for row in rows}
    assert by_street[world.streets[0].code].all_three == 1 and by_street[world.streets[1].code].all_three == 0
    assert total.all_three_pct == 50.0


def test_video_needs_thirty_days_and_a_device_in_service(world, registry, sensing):
    operator = world.users[Role.DISTRICT_OPERATOR]
    sensing["camera"].storage_days = 15
    sensing["camera"].save()
    assert coverage(operator, None)[1].video == 0
    sensing["camera"].storage_days = 30
    sensing["camera"].state = "retired"
    sensing["camera"].save()
    assert coverage(operator, None)[1].video == 0
    make_device(world.grids[0], "51010700001320000009", kind="camera", building=registry["home"]["building"],
                storage_days=90, camera_class="courtyard")
    assert coverage(operator, None)[1].video == 1


def test_coverage_is_the_users_area_only(world, registry, sensing):
    rows, total = coverage(world.users[Role.COMMUNITY_OPERATOR], None)
    assert total.buildings == 1 and [row.region for row in rows] == list(world.communities[0].children.order_by("code"))


def test_coverage_page_and_api(client, world, registry, sensing):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    page = client.get(f"/sensing/coverage/?area={world.streets[0].code}")
    assert page.status_code == 200 and f'data-code="{world.communities[0].code}"' in page.content.decode()
    data = client.get("/api/v1/coverage/buildings").json()
    assert data["total"]["buildings"] == 2 and data["total"]["door"] == 2
    assert {row["code"] for row in data["rows"]} == {s.code for s in world.streets}
    assert client.get("/api/v1/coverage/buildings?area=510199").status_code == 404


def test_the_building_card(client, world, registry, sensing):
    from wangge.registry import services as registry_services
    from wangge.registry.models import Tag

    admin = world.users[Role.ADMINISTRATOR]
    home = registry["home"]
    registry_services.do_tag_person(admin, home["head"], Tag.objects.get(code="community_correction"))
    registry_services.do_tag_person(admin, home["member"], Tag.objects.get(code="elder_living_alone"))
    client.force_login(world.users[Role.GRID_WORKER])
    html = client.get(f"/sensing/buildings/{home['building'].pk}/").content.decode()
    assert 'id="residents">2<' in html and 'id="households">1<' in html and "社区矫正人员" in html
    assert sensing["door"].code in html and "独居老人" in html
    assert client.get(f"/sensing/buildings/{registry['away']['building'].pk}/").status_code == 404


def test_card_holders_by_category_with_special_groups_only_for_those_allowed(client, world, registry, sensing,
                                                                             monkeypatch):
    from wangge.core.roles import PERMISSIONS
    from wangge.registry import services as registry_services
    from wangge.registry.models import Tag
    from wangge.sensing import services
    from wangge.sensing.holders import holders

    admin = world.users[Role.ADMINISTRATOR]
    home = registry["home"]
    services.do_issue_card(admin, home["member"])
    registry_services.do_tag_person(admin, home["head"], Tag.objects.get(code="community_correction"))
    registry_services.do_tag_person(admin, home["member"], Tag.objects.get(code="elder_living_alone"))
    operator = world.users[Role.DISTRICT_OPERATOR]
    rows, total, special = holders(operator, None)
    assert special and total == {"holders": 2, "registered": 2, "floating": 0, "separated": 0, "overseas": 0,
                                 "care": 1, "special": 1}
    assert dict((r.code, c["holders"]) for r, c in rows) == {world.streets[0].code: 2, world.streets[1].code: 0}
    monkeypatch.setitem(PERMISSIONS, "registry.view_special", {Role.ADMINISTRATOR})
    rows, total, special = holders(operator, None)
    assert not special and "special" not in total and total["care"] == 1
    client.force_login(operator)
    data = client.get("/api/v1/cards/holders").json()
    assert data["total"]["holders"] == 2 and "special" not in data["total"]
    assert client.get("/sensing/cards/holders/").status_code == 200


def test_set_the_building_head_and_rental_from_the_card(client, world, registry, sensing):
    from wangge.core.models import AuditEntry

    home = registry["home"]
    member = _team_member(world)
    client.force_login(world.users[Role.GRID_WORKER])
    url = f"/sensing/buildings/{home['building'].pk}/profile/"
    answer = client.post(url, {"head": f"team:{member.pk}", "is_rental": "1", "property_company": "安居物业（合成）"})
    assert answer.status_code == 302
    building = Building.objects.get(pk=home["building"].pk)
    assert (building.head_staff, building.head, building.is_rental) == (member, None, True)
    assert AuditEntry.objects.get(operation="registry.set_building_profile").details["changed"]["is_rental"] is True
    html = client.get(f"/sensing/buildings/{building.pk}/").content.decode()
    assert "张网格员" in html and 'id="rental-chip"' in html
    # A resident of another building is refused, and nothing changes.
    refused = client.post(url, {"head": f"person:{registry['away']['head'].pk}", "property_company": ""})
    assert refused.status_code == 422 and 'id="profile-error"' in refused.content.decode()
    building.refresh_from_db()
    assert building.head_staff == member and building.is_rental and building.property_company == "安居物业（合成）"
    assert client.post(url, {"head": f"person:{home['head'].pk}"}).status_code == 302
    building.refresh_from_db()
    assert building.head == home["head"] and building.head_staff is None and not building.is_rental
