"""Jurisdiction matrix rows for the registry API (see wangge/core/tests/scope_matrix.py).

`_registry(world)` puts base data in three places: the home grid (grids[0]), a grid
of the other street (grids[4]) and the matrix's second district, so that every scoped
user has records inside and outside. The FORBIDDEN hooks say what must never appear
in any answer to a user: people, organisations, places and plates outside their area,
and, for roles that may not see them, the special groups.
"""
from datetime import timedelta

from django.utils import timezone
from stdnum.cn import uscc

from wangge.areas.models import Region
from wangge.core.roles import OPERATORS, Role, can
from wangge.core.tests.scope_matrix import Row
from wangge.registry import services
from wangge.registry.models import (
    Building,
    House,
    Organisation,
    Person,
    Place,
    Tag,
    TagGroup,
    Vehicle,
)
from wangge.testing import build_registry, make_id_number

KEEPERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER)  # who keeps base data (registry.edit)
FAR_GRID = "510108002001001"  # the matrix world's second district
AWAY_TAIL = make_id_number(seq=50)[-4:]


def _credit_code(seq: int) -> str:
    body = f"91510107MA6{seq:06d}"
    return body + uscc.calc_check_digit(body)


def _registry(world):
    """Base data in three grids (idempotent: the world remembers it)."""
    if getattr(world, "registry", None):
        return world.registry
    admin = world.users[Role.ADMINISTRATOR]
    data = build_registry(world)
    far_grid = Region.objects.get(code=FAR_GRID)
    building = services.do_create_building(admin, name="9栋", address=f"{far_grid.name}建设路9号", grid=far_grid)
    house = services.do_create_house(admin, building, number="901", use="owner")
    head = services.do_register_person(admin, {"name": "far户主", "id_number": make_id_number("19920808", 90),
                                               "phone": "13900009999", "kind": "floating"}, house=house)
    services.do_create_household(admin, house, head)
    data["far"] = {"building": building, "house": house, "head": head}
    elder = Tag.objects.get(code="elder_living_alone")
    special = Tag.objects.get(code="community_correction")
    today = timezone.localdate()
    for n, key in enumerate(("home", "away", "far")):
        head = data[key]["head"]
        services.do_tag_person(admin, head, elder, since=today - timedelta(days=10 + n))
        services.do_tag_person(admin, head, special, since=today - timedelta(days=3))
        grid = head.grid
        services.do_create_organisation(admin, name=f"{key}科技公司", uscc=_credit_code(n + 1),
                                        kind="non_public_economic", address=f"{grid.name}商业街{n}号", grid=grid)
        services.do_create_place(admin, name=f"{key}小学", kind="school", address=f"{grid.name}学府路{n}号", grid=grid)
        services.do_register_vehicle(admin, head, f"川A{n}{n}{n}{n}{n}")
    worker = world.users[Role.GRID_WORKER]
    services.do_record_visit(worker, data["home"]["head"], visited_at=timezone.now() - timedelta(days=8),
                             notes="home走访记录")
    world.registry = data
    return data


def _records(model):
    def objects(world, user):
        _registry(world)
        visible = model.objects.visible_to(user)
        inside = list(visible.order_by("pk").values_list("pk", flat=True)[:2])
        outside = list(model.objects.exclude(pk__in=visible.values("pk")).order_by("-pk")
                       .values_list("pk", flat=True)[:2])
        return inside, outside
    return objects


def _outside(model, field):
    def hook(user):
        visible = model.objects.visible_to(user).values("pk")
        return list(model.objects.exclude(pk__in=visible).values_list(field, flat=True))
    return hook


def _special_groups(user):
    if can(user, "registry.view_special"):
        return []
    special = Tag.objects.filter(group=TagGroup.SPECIAL)
    return [*special.values_list("code", flat=True), *special.values_list("name", flat=True)]


FORBIDDEN = [
    _outside(Person, "name"),
    _outside(Organisation, "name"),
    _outside(Place, "name"),
    _outside(Vehicle, "plate"),
    _special_groups,
]


def _no_plain_numbers(response, ctx):
    """Not one ID number or phone in the clear, for anyone, in any person answer."""
    body = response.content.decode()
    for person in Person.objects.all():
        assert person.id_number not in body, f"plain ID number of {person.name}"
        if person.phone:
            assert person.phone not in body, f"plain phone of {person.name}"


def _ids_are_visible(model):
    def check(response, ctx):
        ids = {item["id"] for item in response.json()["items"]}
        assert ids == set(model.objects.visible_to(ctx.user).values_list("pk", flat=True))
        _no_plain_numbers(response, ctx)
    return check


def _tags_as_allowed(response, ctx):
    groups = {tag["group"] for tag in response.json()}
    assert (TagGroup.SPECIAL in groups) == can(ctx.user, "registry.view_special")
    assert TagGroup.CARE in groups


def _population_is_visible(response, ctx):
    data = response.json()
    people = Person.objects.visible_to(ctx.user).filter(grid__path__startswith=ctx.region.path)
    assert data["people"] == people.count()
    visible_codes = {r.code for r in ctx.visible_regions}
    assert set(data["children"]) <= visible_codes
    assert sum(data["children"].values()) <= data["people"]


def _due_is_visible(response, ctx):
    ids = {item["person_id"] for item in response.json()["items"]}
    assert ids <= set(Person.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _search_is_visible(kind_of_query):
    """The address search finds every building of the user's area on 幸福路, and nothing else of the registry."""
    def check(response, ctx):
        hits = response.json()["results"]
        found = {h["label"] for h in hits if h["kind"] == "building"}
        expected = {f"{address} {name}" for address, name in Building.objects.visible_to(ctx.user)
                    .filter(address__contains="幸福路", lng__isnull=False).values_list("address", "name")}
        assert found == expected, (kind_of_query, found, expected)
        assert {h["kind"] for h in hits} <= {"building", "house", "community", "grid"}
    return check


def _points_are_visible(response, ctx):
    labels = {p["label"] for p in response.json()["points"]}
    expected = {f"{address} {name}" for address, name in Building.objects.visible_to(ctx.user)
                .filter(lng__range=(104.001, 104.049), lat__range=(30.599, 30.611)).values_list("address", "name")}
    assert labels == expected, (labels, expected)


def _row(name, url, **kwargs):
    return Row(name, url, setup=_registry, **kwargs)


ROWS = [
    _row("api: buildings", "/api/v1/buildings?limit=1000", check=_ids_are_visible(Building)),
    _row("api: buildings in a grid", "/api/v1/buildings?grid={code}", levels=("grid",)),
    _row("api: buildings under a region", "/api/v1/buildings?region={code}&q=栋"),
    _row("api: building", "/api/v1/buildings/{id}", objects=_records(Building)),
    _row("api: building houses", "/api/v1/buildings/{id}/houses", objects=_records(Building)),
    _row("api: house", "/api/v1/houses/{id}", objects=_records(House), check=_no_plain_numbers),
    _row("api: people", "/api/v1/people?limit=1000", check=_ids_are_visible(Person)),
    _row("api: people in a grid", "/api/v1/people?grid={code}", levels=("grid",), check=_no_plain_numbers),
    _row("api: people under a region", "/api/v1/people?region={code}&kind=registered"),
    _row("api: people by ID tail", f"/api/v1/people?q={AWAY_TAIL}"),
    _row("api: people by phone", "/api/v1/people?q=13800001111"),
    _row("api: people by address", "/api/v1/people?q=幸福路"),
    _row("api: people by special tag", "/api/v1/people?tag=community_correction"),
    _row("api: person", "/api/v1/people/{id}", objects=_records(Person), check=_no_plain_numbers),
    _row("api: person history", "/api/v1/people/{id}/history", objects=_records(Person), check=_no_plain_numbers),
    _row("api: tags", "/api/v1/tags", check=_tags_as_allowed),
    _row("api: due visits", "/api/v1/visits/due", roles=KEEPERS, check=_due_is_visible),
    _row("api: due visits in a grid", "/api/v1/visits/due?grid={code}", roles=KEEPERS, levels=("grid",)),
    _row("api: population", "/api/v1/regions/{code}/population", check=_population_is_visible),
    _row("api: population care layer", "/api/v1/regions/{code}/population?layer=care", check=_population_is_visible),
    _row("api: organisations", "/api/v1/organisations?limit=1000", check=_ids_are_visible(Organisation)),
    _row("api: organisation", "/api/v1/organisations/{id}", objects=_records(Organisation)),
    _row("api: places", "/api/v1/places?limit=1000&kind=school", check=_ids_are_visible(Place)),
    _row("api: place", "/api/v1/places/{id}", objects=_records(Place)),
    _row("api: vehicles", "/api/v1/vehicles?limit=1000", check=_ids_are_visible(Vehicle)),
    _row("api: vehicle", "/api/v1/vehicles/{id}", objects=_records(Vehicle)),
    # The point maps' search and labelled points (docs/maps.md): the user's area only.
    _row("api: address search", "/api/v1/address-search?q=幸福路&limit=20", check=_search_is_visible("text")),
    _row("api: address search by initials", "/api/v1/address-search?q=xfl&limit=20",
         check=_search_is_visible("initials")),
    _row("page: map points", "/map/points.json?bbox=104.001,30.599,104.049,30.611", check=_points_are_visible),
]

# The registry's pages (wangge/registry/tests/page_rows.py) join the matrix here.
from wangge.registry.tests.page_rows import PAGE_ROWS  # noqa: E402

ROWS += PAGE_ROWS
