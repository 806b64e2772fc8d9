"""The synthetic demo district: determinism, real divisions, sound geometry, staff and teams, idempotent load."""
import csv
import io
import random
from collections import Counter, defaultdict

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from wangge.areas.models import GridTeamMember, Level, Region, TeamRole, make_path
from wangge.core.models import AuditEntry, Department, User
from wangge.core.roles import ROLE_LEVEL, Role
from wangge.demo import services
from wangge.demo.generator import (
    DEMO_PASSWORD,
    DEPARTMENTS,
    DIVISIONS_CSV,
    SYNTHETIC_NOTE,
    generate,
    outline_geojson,
)

SMALL = {"target_grids": 40, "streets": 3}


@pytest.fixture(scope="module")
def full_plan():
    return generate()


@pytest.fixture(scope="module")
def small_plan():
    return generate(7, **SMALL)


def _grids(plan):
    return plan.by_level(Level.GRID)


def _shapes(rows):
    return [shape(r.polygon) for r in rows]


# ------------------------------------------------------------------ the plan


def test_same_seed_gives_the_same_district(small_plan):
    again = generate(7, **SMALL)
    assert [(r.code, r.name, r.polygon, r.households, r.center) for r in again.regions] == \
           [(r.code, r.name, r.polygon, r.households, r.center) for r in small_plan.regions]
    assert again.staff == small_plan.staff
    assert again.team == small_plan.team


def test_another_seed_gives_another_partition(small_plan):
    other = generate(8, **SMALL)
    assert [g.polygon for g in _grids(other)] != [g.polygon for g in _grids(small_plan)]


def test_real_streets_and_communities(full_plan):
    with open(DIVISIONS_CSV, encoding="utf-8") as f:
        real = {r["code"]: r for r in csv.DictReader(f) if r["code"].startswith("510107")}
    streets = full_plan.by_level(Level.STREET)
    communities = full_plan.by_level(Level.COMMUNITY)
    assert {(s.code, s.name) for s in streets} == {(c, r["name"]) for c, r in real.items() if r["level"] == "street"}
    assert {(c.code, c.name, c.parent_code) for c in communities} == \
           {(c, r["name"], r["parent_code"]) for c, r in real.items() if r["level"] == "community"}
    assert len(streets) == 15 and len(communities) == 113
    assert ("510107005", "玉林街道") in {(s.code, s.name) for s in streets}
    assert ("510107001004", "洗面桥社区居委会") in {(c.code, c.name) for c in communities}
    assert [(r.code, r.name) for r in full_plan.regions[:3]] == [("51", "四川省"), ("5101", "成都市"),
                                                                 ("510107", "武侯区")]


def test_about_550_grids_of_300_to_500_households(full_plan):
    grids = _grids(full_plan)
    assert 540 <= len(grids) <= 560
    assert all(300 <= g.households <= 500 for g in grids)
    by_parent = defaultdict(int)
    for r in full_plan.regions:
        if r.level in (Level.GRID, Level.COMMUNITY, Level.STREET):
            by_parent[r.parent_code] += r.households
    for r in full_plan.regions:
        if r.level in (Level.COMMUNITY, Level.STREET, Level.DISTRICT):
            assert r.households == by_parent[r.code], r.code


def test_grid_codes_and_names(full_plan):
    communities = {c.code: c for c in full_plan.by_level(Level.COMMUNITY)}
    sequences = defaultdict(list)
    for g in _grids(full_plan):
        assert len(g.code) == 15 and g.code.isdigit() and g.code[:12] == g.parent_code
        sequences[g.parent_code].append(int(g.code[12:]))
        assert g.name == f"{communities[g.parent_code].name.removesuffix('居委会')}第{int(g.code[12:])}网格"
    assert set(sequences) == set(communities)  # every community has grids
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in sequences.values())


def test_polygons_are_valid_and_inside_the_outline(full_plan):
    outline = shape(outline_geojson())
    assert full_plan.district.polygon == outline_geojson()
    for r in full_plan.regions:
        if r.polygon is None:
            continue
        geom = shape(r.polygon)
        assert geom.is_valid, (r.code, shapely.is_valid_reason(geom))
        if r.level != Level.DISTRICT:
            assert geom.geom_type == "Polygon", r.code
            assert outline.buffer(1e-5).contains(geom), r.code
            coords = shapely.get_coordinates(geom)
            assert (coords.round(6) == coords).all(), r.code
        assert shapely.contains_xy(geom, *r.center), r.code
    grids = _shapes(_grids(full_plan))
    assert sum(g.area for g in grids) == pytest.approx(outline.area, rel=1e-4)


def test_sibling_grids_do_not_overlap(full_plan):
    grids = _shapes(_grids(full_plan))
    assert shapely.coverage_is_valid(grids)  # edges shared exactly, no overlaps
    tree = shapely.STRtree(grids)
    left, right = tree.query(grids, predicate="intersects")
    overlaps = [grids[i].intersection(grids[j]).area for i, j in zip(left, right) if i < j]
    assert overlaps and max(overlaps) < 1e-12
    for level in (Level.COMMUNITY, Level.STREET):
        assert shapely.coverage_is_valid(_shapes(full_plan.by_level(level)))


def test_grids_tile_their_community_and_communities_their_street(full_plan):
    geoms = {r.code: shape(r.polygon) for r in full_plan.regions if r.polygon}
    children = defaultdict(list)
    for r in full_plan.regions:
        if r.level in (Level.GRID, Level.COMMUNITY):
            children[r.parent_code].append(geoms[r.code])
    for parent, parts in children.items():
        union = shapely.union_all(parts)
        assert union.symmetric_difference(geoms[parent]).area < 1e-12, parent
        assert sum(p.area for p in parts) == pytest.approx(geoms[parent].area, rel=1e-9), parent


def test_a_point_inside_a_grid_is_inside_exactly_that_grid(full_plan):
    rows = _grids(full_plan)
    grids = _shapes(rows)
    tree = shapely.STRtree(grids)
    rng = random.Random(1)
    for index in rng.sample(range(len(grids)), 60):
        x0, y0, x1, y1 = grids[index].bounds
        while True:
            point = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if grids[index].contains(point):
                break
        assert tree.query(point, predicate="within").tolist() == [index], rows[index].code


def test_every_grid_has_a_whole_team(full_plan):
    team = defaultdict(Counter)
    for m in full_plan.team:
        team[m.grid_code][m.role] += 1
    workers = {s.region_code: s for s in full_plan.staff if s.role == Role.GRID_WORKER}
    for grid in _grids(full_plan):
        roles = team[grid.code]
        for role in ("grid_leader", "grid_worker", "party_leader", "council_head", "supervisor_head", "police_head"):
            assert roles[role] == 1, (grid.code, role)
        assert 2 <= roles["volunteer"] <= 4
        assert workers[grid.code].username == f"grid{grid.code[6:]}"
    linked = {m.grid_code: m.username for m in full_plan.team if m.role == "grid_worker"}
    assert all(linked[code] == s.username for code, s in workers.items())


def test_people_are_synthetic(full_plan):
    phones = [s.phone for s in full_plan.staff] + [m.phone for m in full_plan.team if not m.username]
    assert len(phones) == len(set(phones))
    assert all(p.startswith("19900") and len(p) == 11 for p in phones)
    assert len({s.username for s in full_plan.staff}) == len(full_plan.staff)
    assert "合成数据" in SYNTHETIC_NOTE and "synthetic" in SYNTHETIC_NOTE


# ---------------------------------------------------------------- the database


@pytest.mark.django_db
def test_load_writes_regions_staff_and_teams(small_plan):
    result = services.load(small_plan)
    assert result.counts["grids"] == len(_grids(small_plan))
    district = Region.objects.get(code="510107")
    assert district.polygon == outline_geojson() and district.households == small_plan.district.households
    for row in small_plan.regions:
        node = Region.objects.get(code=row.code)
        parent_path = Region.objects.get(code=row.parent_code).path if row.parent_code else None
        assert node.path == make_path(parent_path, row.code) and node.level == row.level
        assert node.polygon == row.polygon and node.households == row.households
    assert {u.role for u in User.objects.all()} == set(Role)
    for grid in Region.objects.filter(level=Level.GRID):
        worker = User.objects.get(role=Role.GRID_WORKER, region=grid)
        member = GridTeamMember.objects.get(grid=grid, role=TeamRole.GRID_WORKER)
        assert member.user == worker and member.name == worker.full_name
        assert set(grid.team.values_list("role", flat=True)) == set(TeamRole)
    assert Department.objects.count() == len(DEPARTMENTS)
    assert User.objects.filter(role=Role.DEPARTMENT_HANDLER).count() == len(DEPARTMENTS)
    assert all(u.department_id and not u.region_id for u in User.objects.filter(role=Role.DEPARTMENT_HANDLER))
    assert {u.region.level for u in User.objects.filter(role=Role.MEDIATOR)} == {"street", "community"}
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    for user in User.objects.select_related("region"):
        assert not (user.region_id and user.department_id)
        if user.role in ROLE_LEVEL:  # each role sits at its level
            assert user.region.level == ROLE_LEVEL[user.role], user.username
    entry = AuditEntry.objects.get(operation="demo.load")
    assert entry.details["seed"] == 7 and entry.details["grids"] == result.counts["grids"]
    assert entry.object_id == str(district.pk)


@pytest.mark.django_db
def test_load_reuses_divisions_that_exist(small_plan):
    province = Region.objects.create(code="51", name="四川省", level="province", path=make_path(None, "51"))
    city = Region.objects.create(code="5101", name="成都市", level="city", parent=province,
                                 path=make_path(province.path, "5101"))
    district = Region.objects.create(code="510107", name="武侯区", level="district", parent=city,
                                     path=make_path(city.path, "510107"))
    services.load(small_plan)
    assert Region.objects.get(code="510107").pk == district.pk
    assert Region.objects.filter(code="510107").count() == 1
    assert Region.objects.get(code="510107").polygon == outline_geojson()


@pytest.mark.django_db
def test_command_loads_once_then_reports_loaded():
    out = io.StringIO()
    call_command("load_demo", "--people", "0", "--cases", "0", stdout=out)
    text = out.getvalue()
    assert Region.objects.filter(level=Level.GRID).count() == 550
    assert Region.objects.filter(level=Level.STREET).count() == 15
    assert Region.objects.filter(level=Level.COMMUNITY).count() == 113
    for username in ("admin", "district", "street001", "comm001004", "grid001004001", "dept_cg", "mediator1"):
        assert username in text
    assert DEMO_PASSWORD in text and "合成数据" in text
    counts = (Region.objects.count(), User.objects.count(), GridTeamMember.objects.count())
    polygons = dict(Region.objects.filter(level=Level.GRID).values_list("code", "polygon"))

    out = io.StringIO()
    call_command("load_demo", "--people", "0", "--cases", "0", stdout=out)
    assert "already loaded" in out.getvalue() and "grid001004001" in out.getvalue()
    assert (Region.objects.count(), User.objects.count(), GridTeamMember.objects.count()) == counts
    assert AuditEntry.objects.filter(operation="demo.load").count() == 1

    call_command("load_demo", "--force", "--people", "0", "--cases", "0", stdout=io.StringIO())
    assert (Region.objects.count(), User.objects.count(), GridTeamMember.objects.count()) == counts
    assert dict(Region.objects.filter(level=Level.GRID).values_list("code", "polygon")) == polygons
    assert AuditEntry.objects.filter(operation="demo.load").count() == 2


@pytest.mark.django_db
def test_force_keeps_ancestors_that_other_districts_use():
    call_command("load_demo", "--grids", "20", "--streets", "2", "--people", "200", stdout=io.StringIO())
    city = Region.objects.get(code="5101")
    Region.objects.create(code="510108", name="成华区", level="district", parent=city,
                          path=make_path(city.path, "510108"))
    call_command("load_demo", "--force", "--seed", "3", "--grids", "20", "--streets", "2", "--people", "200",
                 stdout=io.StringIO())
    assert Region.objects.filter(code__in=["51", "5101", "510108"]).count() == 3
    assert Region.objects.filter(level=Level.GRID).count() == 20
    assert Region.objects.filter(code="510107").count() == 1


@pytest.mark.django_db
def test_command_rejects_nonsense_sizes():
    with pytest.raises(CommandError):
        call_command("load_demo", "--grids", "0", stdout=io.StringIO())
    assert not Region.objects.exists()


@pytest.mark.django_db
def test_the_printed_grid_worker_and_handler_are_the_ones_with_work_waiting(small_plan):
    from wangge.cases.models import Case, Category, State

    services.load(small_plan)
    workers = list(User.objects.filter(role=Role.GRID_WORKER).order_by("username"))
    handlers = list(User.objects.filter(role=Role.DEPARTMENT_HANDLER).order_by("username"))

    def printed(role):
        label = dict(services.LOGIN_ROLES)[role]
        return next(row[1] for row in services.login_rows() if row[0] == label)

    # nothing waiting anywhere: the first by name
    assert (printed(Role.GRID_WORKER), printed(Role.DEPARTMENT_HANDLER)) == (workers[0].username,
                                                                             handlers[0].username)
    category = Category.objects.first()
    for n, (state, fields) in enumerate([(State.DISPATCHED, {"assignee_region": workers[2].region}),
                                         (State.ACCEPTED, {"assignee_region": workers[2].region}),
                                         (State.DISPATCHED, {"assignee_region": workers[1].region}),
                                         (State.CLOSED, {"assignee_region": workers[1].region}),
                                         (State.ACCEPTED, {"assignee_department": handlers[-1].department})]):
        grid = workers[0].region
        Case.objects.create(number=f"T{n}", tracking_code=f"TC{n}", channel="grid_worker", category=category,
                            title="测试", grid=grid, owner_region=grid, state=state, **fields)
    assert printed(Role.GRID_WORKER) == workers[2].username  # two waiting; a closed case does not count
    assert printed(Role.DEPARTMENT_HANDLER) == handlers[-1].username
