"""The demo district's devices and its buildings' "三个一" marks. Every device is synthetic.

Made from the base data already written (buildings, places, grids), one seed giving the same devices:

* some residential buildings become rental buildings (出租屋, `is_rental`), with a member of the grid's team
  (a volunteer where there is one) as their building head (`head_staff`); most estates get a property company;
* a door controller (门禁) on every building the base data gave an electronic door, and on every rental building:
  a GB/T 28181 code of type 142 (智能门禁) under 510107, maintained by the property company;
* cameras of the three classes, each with a valid GB/T 28181 camera code under 510107, a storage figure and a
  play URL on a made-up video platform (`video.wuhou.example.invalid`): a courtyard camera (院落) at each estate,
  public-security cameras (天网) near a corner of each grid, social cameras at schools, hospitals, markets and
  hotels (the industry digits say which: 教育, 卫生, 商务, 住宿);
* detectors in places: a smoke detector in each, a gas detector in markets, hotels and hospitals.

Nothing has talked yet (connectivity "unknown", so the offline poller leaves them alone) until the simulator
sends their events. One bulk insert (`core/bulk.py`), a few UPDATEs for the buildings; one audit row.
"""
import random
from collections import defaultdict
from datetime import date, timedelta

import shapely
from shapely.geometry import shape

from wangge.areas.models import GridTeamMember, Level, Region, TeamRole
from wangge.core.audit import record
from wangge.core.bulk import BulkWriter, Table, catch_up_sequences, first_free_id
from wangge.registry.models import Building, Place, PlaceKind
from wangge.sensing.codes import make_code
from wangge.sensing.models import Alert, CameraClass, Device, DeviceKind

CENTRE = "51010700"  # 武侯区, padded
VIDEO = "https://video.wuhou.example.invalid/play/"  # synthetic: not a real platform
RENTAL_SHARE = 0.12
PROPERTY_SHARE = 0.7
COMPANIES = ("蓝光物业", "嘉宝物业", "万科物业", "龙湖智慧服务", "保利物业", "新希望服务", "中海物业", "华润万象生活",
             "碧桂园服务", "金科服务")
SOCIAL_INDUSTRY = {PlaceKind.SCHOOL: "11", PlaceKind.HOSPITAL: "09", PlaceKind.MARKET: "53", PlaceKind.HOTEL: "50"}
GAS_PLACES = (PlaceKind.MARKET, PlaceKind.HOTEL, PlaceKind.HOSPITAL)
HEAD_ROLES = (TeamRole.VOLUNTEER, TeamRole.PARTY_LEADER, TeamRole.COUNCIL_HEAD, TeamRole.GRID_WORKER)


def _head(members, rng):
    """A building head from the grid's team (楼栋长): one of its volunteers if it has any, else the next role."""
    if not members:
        return None
    best = min(rank for rank, _pk in members)
    return rng.choice([pk for rank, pk in members if rank == best])


def has_devices(district: Region) -> bool:
    return Device.objects.filter(grid__path__startswith=district.path).exists()


def load_devices(district: Region, seed: int, today: date | None = None) -> dict:
    """Mark the rental buildings and write the devices; call inside the demo's transaction."""
    rng = random.Random(f"wangge-demo:{seed}:devices")
    today = today or date.today()
    grids = {pk: (code, polygon) for pk, code, polygon in Region.objects.filter(
        level=Level.GRID, path__startswith=district.path).values_list("pk", "code", "polygon") if polygon}
    team = defaultdict(list)  # grid -> its team members who may head a building: volunteers and heads first
    for member_pk, grid_id, role in (GridTeamMember.objects.filter(grid__path__startswith=district.path)
                                     .order_by("pk").values_list("pk", "grid_id", "role")):
        team[grid_id].append((HEAD_ROLES.index(role) if role in HEAD_ROLES else len(HEAD_ROLES), member_pk))
    buildings = list(Building.objects.filter(grid__path__startswith=district.path).order_by("pk")
                     .values_list("pk", "grid_id", "address", "name", "lng", "lat", "has_electronic_door"))
    places = list(Place.objects.filter(grid__path__startswith=district.path).order_by("pk")
                  .values_list("pk", "grid_id", "name", "kind", "lng", "lat"))
    taken = set(Device.objects.values_list("code", flat=True))
    plan = _Plan(rng, today, taken)

    estates = defaultdict(list)
    for row in buildings:
        estates[(row[1], row[2])].append(row)
    updates = []
    for (grid_id, address), members in sorted(estates.items()):
        company = rng.choice(COMPANIES) if rng.random() < PROPERTY_SHARE else ""
        for pk, _grid, _address, name, lng, lat, door in members:
            rental = rng.random() < RENTAL_SHARE
            head = _head(team.get(grid_id), rng) if rental else None
            if rental or company:
                updates.append((rental, company, head, pk))
            if door or rental:
                plan.door(pk, grid_id, f"{address}{name}门禁", lng, lat, company)
        first = members[0]
        plan.camera(CameraClass.COURTYARD, "01", "8", f"{address}院落摄像机", first[1], first[4], first[5],
                    company or "社区居委会", building_id=first[0], storage=rng.choice((30, 30, 30, 60, 15)))
    for grid_id, (code, polygon) in sorted(grids.items()):
        lng, lat = _corner(shape(polygon), rng)
        plan.camera(CameraClass.PUBLIC_SECURITY, "00", "5", f"{code[-6:]}路口天网摄像机", grid_id, lng, lat,
                    "武侯公安分局", storage=90)
    for pk, grid_id, name, kind, lng, lat in places:
        if kind in SOCIAL_INDUSTRY:
            plan.camera(CameraClass.SOCIAL, SOCIAL_INDUSTRY[kind], "8", f"{name}摄像机", grid_id, lng, lat, name,
                        place_id=pk, storage=30)
        plan.detector(f"{name}烟感", pk, grid_id, lng, lat, name)
        if kind in GAS_PLACES:
            plan.detector(f"{name}燃气探测器", pk, grid_id, lng, lat, name)

    writer = BulkWriter()
    if updates:
        writer.update(Building._meta.db_table, ["is_rental", "property_company", "head_staff_id"], ["id"], updates)
    first = first_free_id(Device)
    for offset, row in enumerate(plan.rows):
        row["id"] = first + offset
    writer.insert(Table(Device), plan.rows)
    catch_up_sequences([Device])
    writer.finish()
    counts = {"rental_buildings": sum(1 for u in updates if u[0]), **plan.counts}
    record(None, "demo.load_devices", district, seed=seed, **counts)
    return counts


class _Plan:
    def __init__(self, rng, today, taken):
        self.rng, self.today, self.taken = rng, today, taken
        self.rows, self.serial = [], defaultdict(int)
        self.counts = defaultdict(int)

    def _code(self, industry, type_code, network) -> str:
        while True:
            key = (industry, type_code, network)
            self.serial[key] += 1
            code = make_code(CENTRE, industry, type_code, network, self.serial[key])
            if code not in self.taken:
                self.taken.add(code)
                return code

    def _installed(self) -> date:
        return self.today - timedelta(days=self.rng.randint(30, 6 * 365))

    def _add(self, **row):
        self.rows.append({"building_id": None, "place_id": None, "camera_class": "", "storage_days": None,
                          "play_url": "", **row, "installed_on": self._installed()})
        self.counts[row["kind"] + "s"] += 1

    def door(self, building_id, grid_id, name, lng, lat, company):
        self._add(code=self._code("01", "142", "8"), kind=DeviceKind.DOOR, name=name[:100], grid_id=grid_id,
                  building_id=building_id, lng=lng, lat=lat, maintainer=company or "社区居委会")

    def camera(self, camera_class, industry, network, name, grid_id, lng, lat, maintainer, *, storage,
               building_id=None, place_id=None):
        code = self._code(industry, "132", network)
        self._add(code=code, kind=DeviceKind.CAMERA, name=name[:100], grid_id=grid_id, lng=lng, lat=lat,
                  maintainer=maintainer[:100], camera_class=camera_class, storage_days=storage,
                  play_url=VIDEO + code, building_id=building_id, place_id=place_id)

    def detector(self, name, place_id, grid_id, lng, lat, maintainer):
        self._add(code=self._code("01", "134", "8"), kind=DeviceKind.DETECTOR, name=name[:100], grid_id=grid_id,
                  place_id=place_id, lng=lng, lat=lat, maintainer=maintainer[:100])


def _corner(polygon, rng) -> tuple[float, float]:
    """A point just inside one corner of the grid: where its roads meet."""
    shapely.prepare(polygon)
    corners = list(polygon.exterior.coords)[:-1]
    centre = polygon.centroid
    for _ in range(8):
        x, y = rng.choice(corners)
        px, py = round(x + (centre.x - x) * 0.06, 6), round(y + (centre.y - y) * 0.06, 6)
        if shapely.contains_xy(polygon, px, py):
            return px, py
    return round(centre.x, 6), round(centre.y, 6)


def wipe_sensing(district: Region) -> None:
    """Delete the district's sensing rows before its base data goes (alerts and their timelines, door events and
    cards: `demo.cards.wipe_cards`; then the devices); call inside a transaction."""
    from wangge.demo.cards import wipe_cards

    wipe_cards(district)
    devices = Device.objects.filter(grid__path__startswith=district.path)
    Alert.objects.filter(device__in=devices.values("pk")).update(device=None)  # an alert elsewhere about one
    devices._raw_delete(devices.db)
