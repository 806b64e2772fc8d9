"""Small deterministic worlds for tests (synthetic).

`build_world()` makes a district with two streets, two communities in each and
two square grids in each community, plus one staff user for every role, bound
where that role sits. Tests across the apps share it, so the jurisdiction
matrix can ask "what does each role see?" of every endpoint.
"""
from dataclasses import dataclass, field

from wangge.areas.models import Level, Region, make_path
from wangge.core.models import Department, User
from wangge.core.roles import Role

PASSWORD = "synthetic-Pass-2026"
# Origin of the synthetic world: south-west Chengdu, in WGS-84.
ORIGIN_LNG, ORIGIN_LAT = 104.00, 30.60
CELL = 0.01  # degrees per grid square


def square(lng0: float, lat0: float, size: float = CELL) -> dict:
    ring = [[lng0, lat0], [lng0 + size, lat0], [lng0 + size, lat0 + size], [lng0, lat0 + size], [lng0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_region(code, name, level, parent=None, polygon=None, households=None) -> Region:
    return Region.objects.create(
        code=code, name=name, level=level, parent=parent,
        path=make_path(parent.path if parent else None, code),
        polygon=polygon, households=households,
    )


@dataclass
class World:
    province: Region
    city: Region
    district: Region
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    grids: list = field(default_factory=list)
    department: Department | None = None
    users: dict = field(default_factory=dict)  # role -> User (the "home" user of that role)
    outsiders: dict = field(default_factory=dict)  # role -> User bound to another street's node

    def grid_center(self, grid: Region) -> tuple[float, float]:
        ring = grid.polygon["coordinates"][0]
        return (ring[0][0] + CELL / 2, ring[0][1] + CELL / 2)


def make_user(username, role, region=None, department=None, **extra) -> User:
    user = User(username=username, role=role, region=region, department=department,
                full_name=extra.pop("full_name", username), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def build_world() -> World:
    province = make_region("51", "四川省", Level.PROVINCE)
    city = make_region("5101", "成都市", Level.CITY, province)
    district = make_region("510107", "武侯区", Level.DISTRICT, city)
    world = World(province, city, district)
    for s in range(2):
        street = make_region(f"510107{s + 1:03d}", f"测试街道{s + 1}", Level.STREET, district)
        world.streets.append(street)
        for c in range(2):
            community = make_region(f"{street.code}{c + 1:03d}", f"测试社区{s + 1}-{c + 1}", Level.COMMUNITY, street)
            world.communities.append(community)
            for g in range(2):
                col = s * 4 + c * 2 + g
                grid = make_region(f"{community.code}{g + 1:03d}", f"测试网格{s + 1}-{c + 1}-{g + 1}", Level.GRID,
                                   community, polygon=square(ORIGIN_LNG + col * CELL, ORIGIN_LAT), households=400)
                world.grids.append(grid)
    world.department = Department.objects.create(code="CG", name="城管局", region=district)
    s0, c0, g0 = world.streets[0], world.communities[0], world.grids[0]
    world.users = {
        Role.ADMINISTRATOR: make_user("admin", Role.ADMINISTRATOR, region=district),
        Role.DISTRICT_OPERATOR: make_user("district_op", Role.DISTRICT_OPERATOR, region=district),
        Role.STREET_OPERATOR: make_user("street_op", Role.STREET_OPERATOR, region=s0),
        Role.COMMUNITY_OPERATOR: make_user("community_op", Role.COMMUNITY_OPERATOR, region=c0),
        Role.GRID_WORKER: make_user("gridder", Role.GRID_WORKER, region=g0),
        Role.DEPARTMENT_HANDLER: make_user("dept_handler", Role.DEPARTMENT_HANDLER, department=world.department),
        Role.MEDIATOR: make_user("mediator_1", Role.MEDIATOR, region=c0),
        Role.SYSTEM: make_user("system_feed", Role.SYSTEM, region=district),
    }
    s1, c1, g1 = world.streets[1], world.communities[2], world.grids[4]
    world.outsiders = {
        Role.STREET_OPERATOR: make_user("street_op_2", Role.STREET_OPERATOR, region=s1),
        Role.COMMUNITY_OPERATOR: make_user("community_op_2", Role.COMMUNITY_OPERATOR, region=c1),
        Role.GRID_WORKER: make_user("grid_worker_2", Role.GRID_WORKER, region=g1),
        Role.MEDIATOR: make_user("mediator_2", Role.MEDIATOR, region=c1),
    }
    return world


def make_id_number(birth: str = "19900101", seq: int = 1, region: str = "510107") -> str:
    """A synthetic 公民身份号码 with a correct check digit (stdnum computes it)."""
    from stdnum.cn import ric

    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def build_registry(world: World) -> dict:
    """A building, a house, a household and two people in the first grid; one person in the other street."""
    from wangge.registry import services

    admin = world.users[Role.ADMINISTRATOR]
    out = {}
    for key, grid in (("home", world.grids[0]), ("away", world.grids[4])):
        lng, lat = world.grid_center(grid)
        building = services.do_create_building(admin, name="1栋", address=f"{grid.name}幸福路1号", lng=lng, lat=lat)
        house = services.do_create_house(admin, building, unit="1", number="101", use="rented")
        seq = 1 if key == "home" else 50
        head = services.do_register_person(admin, {"name": f"{key}户主", "id_number": make_id_number(seq=seq),
                                                   "phone": "13800001111"}, house=house)
        member = services.do_register_person(admin, {"name": f"{key}家人",
                                                     "id_number": make_id_number("19950505", seq + 1)},
                                             house=house)
        household = services.do_create_household(admin, house, head, [(member, "spouse")])
        out[key] = {"building": building, "house": house, "head": head, "member": member, "household": household}
    return out


def pager_link(response, rel: str) -> str | None:
    """The address of a list page's "next" or "prev" link (core/_pager.html), or None when there is none."""
    import html
    import re

    found = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return html.unescape(found.group(1)) if found else None
