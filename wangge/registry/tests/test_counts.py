"""Counts per region equal what is counted by hand on a small world, for what each user may see."""
import pytest

from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.counts import population_by_child, population_counts
from wangge.registry.models import Tag
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(world):
    """build_registry (two people in a rented house in grids[0], two in grids[4]) plus:

    grids[0]: house 102 (owner-occupied) with one floating person;
    grids[1]: a business house with one floating person, tagged 残疾人 (care);
    grids[4]: a vacant house, nobody in it.
    The home head is 独居老人 (care) and 社区矫正人员 (special); the away head is 退役军人 (care).
    """
    reg = build_registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    home = reg["home"]
    services.do_create_house(admin, home["building"], unit="1", number="102", use="owner")
    house_102 = home["building"].houses.get(number="102")
    services.do_register_person(admin, {"name": "流动甲", "id_number": make_id_number("19960101", 21),
                                        "kind": "floating"}, house=house_102)
    lng, lat = world.grid_center(world.grids[1])
    shop_building = services.do_create_building(admin, name="商铺", address="东街1号", lng=lng, lat=lat)
    shop = services.do_create_house(admin, shop_building, number="1", use="business")
    shopkeeper = services.do_register_person(admin, {"name": "流动乙", "id_number": make_id_number("19970101", 22),
                                                     "kind": "floating"}, house=shop)
    services.do_create_house(admin, reg["away"]["building"], number="201", use="vacant")
    services.do_tag_person(admin, home["head"], Tag.objects.get(code="elder_living_alone"))
    services.do_tag_person(admin, home["head"], Tag.objects.get(code="community_correction"))
    services.do_tag_person(admin, shopkeeper, Tag.objects.get(code="disabled"))
    services.do_tag_person(admin, reg["away"]["head"], Tag.objects.get(code="veteran"))
    return reg


def by_tag(counts):
    return {t["code"]: t["people"] for t in counts["by_tag"] if t["people"]}


def test_community_counts_by_hand(world, town):
    counts = population_counts(world.users[Role.COMMUNITY_OPERATOR], world.communities[0])
    assert counts["people"] == 4
    assert counts["by_kind"] == {"registered": 2, "floating": 2, "overseas": 0, "separated": 0}
    assert by_tag(counts) == {"elder_living_alone": 1, "community_correction": 1, "disabled": 1}
    assert counts["houses"] == 3 and counts["buildings"] == 2 and counts["households"] == 1
    assert counts["houses_by_use"] == {"owner": 1, "rented": 1, "vacant": 0, "business": 1, "other": 0}
    assert counts["rented_houses"] == 1 and counts["people_in_rented_houses"] == 2


def test_district_counts_by_hand(world, town):
    counts = population_counts(world.users[Role.DISTRICT_OPERATOR], world.district)
    assert counts["people"] == 6 and counts["by_kind"]["floating"] == 2 and counts["by_kind"]["registered"] == 4
    assert counts["houses"] == 5 and counts["rented_houses"] == 2 and counts["people_in_rented_houses"] == 4
    assert counts["houses_by_use"]["vacant"] == 1 and counts["households"] == 2
    assert by_tag(counts) == {"elder_living_alone": 1, "community_correction": 1, "disabled": 1, "veteran": 1}


@pytest.mark.usefixtures("registry_readers_without_special")
def test_counts_are_of_what_the_user_may_see(world, town):
    # The mediator sees the same community but not the special groups; zero counts for them are not even listed.
    counts = population_counts(world.users[Role.MEDIATOR], world.communities[0])
    assert counts["people"] == 4
    assert by_tag(counts) == {"elder_living_alone": 1, "disabled": 1}
    assert {t["group"] for t in counts["by_tag"]} == {"care"}
    # A grid worker asking about the district is told about their grid only.
    counts = population_counts(world.users[Role.GRID_WORKER], world.district)
    assert counts["people"] == 3 and counts["houses"] == 2


def test_layers_per_child(world, town):
    operator = world.users[Role.DISTRICT_OPERATOR]
    s0, s1 = world.streets
    assert population_by_child(operator, world.district) == {s0.code: 4, s1.code: 2}
    assert population_by_child(operator, world.district, "floating") == {s0.code: 2, s1.code: 0}
    assert population_by_child(operator, world.district, "care") == {s0.code: 2, s1.code: 1}
    c0 = world.communities[0]
    g0, g1 = world.grids[0], world.grids[1]
    assert population_by_child(operator, c0) == {g0.code: 3, g1.code: 1}
    assert population_by_child(operator, c0, "care") == {g0.code: 1, g1.code: 1}
    assert population_by_child(operator, g0) == {}
    # A community operator sees their community's grids only, whatever they ask about.
    community_op = world.users[Role.COMMUNITY_OPERATOR]
    assert population_by_child(community_op, s0) == {c0.code: 4}
    with pytest.raises(ValueError):
        population_by_child(operator, world.district, "income")


def test_counts_take_a_handful_of_queries(world, town, django_assert_max_num_queries):
    operator = world.users[Role.DISTRICT_OPERATOR]
    with django_assert_max_num_queries(8):
        population_counts(operator, world.district)
    with django_assert_max_num_queries(3):
        population_by_child(operator, world.district, "care")


def test_population_endpoint(world, town, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    s0 = world.streets[0]
    data = client.get(f"/api/v1/regions/{s0.code}/population", {"layer": "floating"}).json()
    assert data["people"] == 4 and data["layer"] == "floating"
    assert data["children"] == {world.communities[0].code: 2, world.communities[1].code: 0}
    assert client.get(f"/api/v1/regions/{world.streets[1].code}/population").status_code == 404
    response = client.get(f"/api/v1/regions/{s0.code}/population", {"layer": "income"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "layer"
