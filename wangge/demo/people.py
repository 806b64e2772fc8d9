"""The demo district's base data (人、地、物、组织): buildings, houses, households,
people with their residence history and tags, visits, organisations, places
and vehicles. Every record is synthetic.

`plan_base_data()` builds the rows in memory from the seed and the grids alone
(no database), so one seed always gives the same people, ID numbers and names.
`load_base_data()` writes them: primary keys are handed out up front, so the
circular references (a house's owner lives in a house; a household's head is
one of its members; a building's head lives in it) are set on insert and every
table is one bulk insert, with no second pass of updates. Foreign keys are
checked at commit (Django declares them DEFERRABLE INITIALLY DEFERRED on SQLite
and PostgreSQL). History rows (django-simple-history) are not written for this
seed data; one audit row records the load.

What comes out, per grid (the district's people shared out by the grids'
household counts):

* buildings in compounds on synthetic roads (芳草北路12号 3栋), at random
  points inside the grid, with floors, units, electronic doors and a 楼栋长;
* every house of a building, used about 65 % 自住, 22 % 出租, 8 % 空置, 4 % 经营,
  1 % 其他; a household in each lived-in house, its members related to the head;
* people about 70 % 户籍, 25 % 流动, 1 % 境外, 4 % 人户分离, aged 0–95, with ID
  numbers that python-stdnum accepts (check digit, birth date, and an area
  code that existed in the birth year: 武侯区 510107 dates from 1990, so older
  residents carry its predecessors 510103 西城区 / 510102 东城区 or 510120 市区);
* tags in rough real proportions, and visits by the grid's worker: most tagged
  people visited within their tag's frequency, some overdue;
* per street, a few organisations (valid 统一社会信用代码) and key places; cars
  for some households (川A plates).
"""
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

import shapely
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from shapely.geometry import shape
from stdnum import numdb
from stdnum.cn import ric, uscc

from wangge.areas.models import Level, Region
from wangge.core.audit import record
from wangge.core.bulk import BulkWriter, Table, catch_up_sequences, first_free_id, roomy_sqlite_cache
from wangge.core.crypto import lookup_hash
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.demo import names
from wangge.demo.generator import _apportion, short_name
from wangge.registry.due import refresh_schedules
from wangge.registry.models import (
    Building,
    House,
    Household,
    HouseUse,
    Organisation,
    OrganisationKind,
    Person,
    PersonKind,
    PersonTag,
    Place,
    PlaceKind,
    Relation,
    Residence,
    Tag,
    Vehicle,
    Visit,
    VisitPhoto,
    VisitSchedule,
)

DEFAULT_PEOPLE = 100_000
# Ages, birth dates and moving dates are counted back from this fixed day, so a
# seed gives the same ID numbers whatever day it is loaded. Visits are counted
# back from the day of loading, so the due list is always current.
AS_OF = date(2026, 1, 1)
PHONE_START = 200_000  # people's phones after the staff's in the 199-00xx-xxxx block

HOUSE_USES = ((HouseUse.OWNER_OCCUPIED, 65), (HouseUse.RENTED, 22), (HouseUse.VACANT, 8),
              (HouseUse.BUSINESS, 4), (HouseUse.OTHER, 1))
LIVED_IN = (HouseUse.OWNER_OCCUPIED, HouseUse.RENTED)
PEOPLE_PER_HOUSE = 2.2  # what a house brings on average (lived in 87 % x ~2.6 people)

# Kinds of people by the use of the house they live in; together about 70/25/1/4.
KINDS_BY_USE = {
    HouseUse.OWNER_OCCUPIED: ((PersonKind.REGISTERED, 88), (PersonKind.SEPARATED, 4), (PersonKind.FLOATING, 8)),
    HouseUse.RENTED: ((PersonKind.FLOATING, 88), (PersonKind.REGISTERED, 4), (PersonKind.SEPARATED, 3),
                      (PersonKind.OVERSEAS, 5)),
}
# GB 3304 codes: mostly 汉族; 藏族 and 彝族 from western Sichuan, and others.
ETHNICITIES = (("01", 9400), ("04", 200), ("07", 120), ("03", 80), ("33", 60), ("15", 40), ("11", 30),
               ("02", 20), ("06", 15), ("08", 15), ("05", 10), ("10", 10))

# Area codes (the first six digits of an ID number). python-stdnum checks that the
# code existed in the birth year, so each pool is filtered by year when drawn.
CHENGDU_OTHER = ("510104", "510105", "510106", "510108", "510112", "510113", "510114", "510115", "510116",
                 "510121", "510122", "510124", "510129", "510131", "510181", "510182", "510183", "510184",
                 "510102", "510111", "510120")
SICHUAN = ("510722", "510723", "510781", "511302", "511321", "511322", "511324", "511381", "511502", "511523",
           "511602", "511621", "511623", "510521", "510522", "510623", "510681", "510921", "511025", "511123",
           "511181", "511722", "511724", "511921", "512021", "510821", "510321", "510421", "510121")
OTHER_PROVINCES = ("500101", "500102", "500103", "500106", "500112", "500230", "500233", "500236", "530102",
                   "530111", "520102", "520111", "420106", "420111", "610113", "620102", "410105", "370102",
                   "320102", "330106", "440106", "450102", "360102", "130102", "230102", "522623", "522701")
TIBETAN_AREAS = ("513322", "513323", "513325", "513326", "513328", "513330", "513334", "513221", "513224",
                 "513226", "513231", "513232", "540102", "540121")
YI_AREAS = ("513401", "513423", "513424", "513428", "513429", "513431", "513432", "513433", "513434", "513436")
OVERSEAS = ("810000", "820000", "710000")  # 港澳台居民居住证 numbers carry these
ALWAYS_VALID = ("510121", "510321", "510421", "510422")  # codes stdnum accepts for any birth year


def area_code_valid(code: str, year: int) -> bool:
    """Whether python-stdnum accepts this area code for someone born in `year`."""
    spans = _code_spans(code)
    return spans is not None and any(start <= year <= end for start, end in spans)


@lru_cache(maxsize=None)
def _code_spans(code: str) -> tuple | None:
    """The years a code was in use, read from stdnum's own table the way `ric.get_birth_place` reads it
    ("[1990-]武侯区", "[1983-1990]西城区", or no brackets: always). One lookup per code, not per year."""
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if not info:
        return None
    spans = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            return ((0, 9999),)
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start or 0), int(end or 9999)))
    return tuple(spans)


@lru_cache(maxsize=None)
def _valid_codes(pool: tuple, year: int) -> tuple:
    return tuple(code for code in pool if area_code_valid(code, year))


def home_area_code(year: int, rng: random.Random) -> str:
    """The area code of an ID number issued in 武侯区 (or where it was before 1990)."""
    if year >= 1990:
        return "510107"
    if year >= 1983:
        return "510103" if rng.random() < 0.6 else "510102"
    return "510120"


# ---------------------------------------------------------------- the plan


@dataclass
class DemoGrid:
    """What the plan needs to know of a grid."""

    pk: int
    code: str
    polygon: dict
    households: int
    community: str  # short name, e.g. 玉林北路社区
    street_code: str
    street: str
    worker_id: int | None = None


@dataclass
class Taken:
    """Values already in the database that the plan must not repeat."""

    id_hashes: set = field(default_factory=set)
    plates: set = field(default_factory=set)
    usccs: set = field(default_factory=set)


@dataclass
class BaseData:
    buildings: list = field(default_factory=list)
    houses: list = field(default_factory=list)
    households: list = field(default_factory=list)
    people: list = field(default_factory=list)
    residences: list = field(default_factory=list)
    person_tags: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    organisations: list = field(default_factory=list)
    places: list = field(default_factory=list)
    vehicles: list = field(default_factory=list)

    def tables(self):
        """(model, rows) in an order that also suits immediate foreign-key checks where it can."""
        return ((Building, self.buildings), (House, self.houses), (Household, self.households),
                (Person, self.people), (Residence, self.residences), (PersonTag, self.person_tags),
                (Visit, self.visits), (Organisation, self.organisations), (Place, self.places),
                (Vehicle, self.vehicles))

    def counts(self) -> dict:
        # "households" is taken in the district's counts (the grids' nominal figures).
        return {"buildings": len(self.buildings), "houses": len(self.houses),
                "registered_households": len(self.households), "people": len(self.people),
                "residences": len(self.residences), "tags": len(self.person_tags), "visits": len(self.visits),
                "organisations": len(self.organisations), "places": len(self.places),
                "vehicles": len(self.vehicles)}


MODELS = tuple(model for model, _ in BaseData().tables())


VISIT_NOTES = (
    "上门了解近况，身体状况良好。", "询问生活困难，已登记需求。", "宣传防诈骗知识，发放资料。",
    "电话预约后入户，家中无异常。", "协助办理补贴申请，材料已收齐。", "提醒按时服药，情绪稳定。",
    "检查燃气和用电安全，已提醒。", "与家属沟通照护安排。", "了解就业情况，推荐社区岗位。", "送达慰问品。",
)


@dataclass
class _Member:
    age: int
    sex: str
    relation: str
    surname: str  # "family" (the head's line) or "own"


class _Planner:
    def __init__(self, seed, tags, now, first_ids, taken):
        self.seed = seed
        self.tags = tags  # code -> (pk, visit every N days or None)
        self.now = now
        self.today = timezone.localdate(now)
        self.taken = taken
        self.next_id = {model: first_ids.get(model, 1) for model in MODELS}
        self.out = BaseData()
        self.bodies = set()  # the first 17 digits of every ID number handed out
        self.phones = names.PhoneBook(PHONE_START)
        self.dwellings = []  # (house pk, grid pk) of lived-in houses so far, for past residences
        self.roads = {}  # grid code -> its road names

    def _row(self, model, **values) -> SimpleNamespace:
        """A row of `model` with the next primary key (a namespace: far cheaper than a model instance)."""
        pk = self.next_id[model]
        self.next_id[model] = pk + 1
        return SimpleNamespace(id=pk, **values)

    # ------------------------------------------------------------ grids

    def grid(self, grid: DemoGrid, target: int) -> None:
        rng = random.Random(f"wangge-demo:{self.seed}:base:{grid.code}")
        polygon = shape(grid.polygon)
        shapely.prepare(polygon)
        stem = grid.community.removesuffix("社区").removesuffix("村")[:3]
        roads = [names.road_name(rng, stem)] + [names.road_name(rng) for _ in range(rng.randint(1, 2))]
        self.roads[grid.code] = roads
        residents, numbers = [], set()
        people_before, houses_before = len(self.out.people), len(self.out.houses)
        households = []  # (household, [(person, age)])
        buildings = []  # (building, [(person, age)])
        compound = None
        while len(self.out.people) - people_before < target:
            if compound is None or rng.random() < 0.45:
                road = rng.choice(roads)
                number = rng.randint(1, 300)
                while (road, number) in numbers:
                    number += 1
                numbers.add((road, number))
                compound = {"address": f"{road}{number}号", "centre": _point_in(polygon, rng), "next": 1}
            remaining = target - (len(self.out.people) - people_before)
            building, dwellers, homes = self._building(rng, grid, polygon, compound, remaining)
            buildings.append((building, dwellers))
            households += homes
            residents += dwellers
        self._choose_heads_and_owners(rng, buildings, self.out.houses[houses_before:], households, residents)
        self._vehicles(rng, grid, households)
        self._tags_and_visits(rng, grid, polygon, households)

    def _building(self, rng, grid, polygon, compound, remaining):
        kind = rng.random()
        if kind < 0.65:  # old multi-storey (多层)
            floors, units, per_floor = rng.randint(4, 7), rng.randint(1, 3), 2
        elif kind < 0.82:
            floors, units, per_floor = rng.randint(8, 11), rng.randint(1, 2), rng.choice((2, 3))
        else:  # high-rise
            floors, units, per_floor = rng.randint(12, 33), rng.randint(1, 2), rng.choice((2, 3, 4))
        # The grid's last building is cut to what the grid still needs, so the
        # district ends a little above the people asked for, not a tower above.
        most = max(4, math.ceil(remaining / PEOPLE_PER_HOUSE * 1.1))
        if floors * units * per_floor > most:
            units = min(units, max(1, most // (2 * per_floor)))
            floors = max(2, min(floors, most // (units * per_floor)))
        x, y = _point_near(polygon, compound["centre"], rng)
        building = self._row(
            Building, grid_id=grid.pk, address=compound["address"], lng=x, lat=y,
            name=f"{compound['next']}栋", floors=floors, units=units,
            has_electronic_door=rng.random() < (0.85 if floors >= 12 else 0.35 if floors >= 8 else 0.2))
        compound["next"] += 1
        self.out.buildings.append(building)
        dwellers, homes = [], []
        uses, weights = zip(*HOUSE_USES)
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for door in range(1, per_floor + 1):
                    use = rng.choices(uses, weights)[0]
                    house = self._row(House, grid_id=grid.pk, building_id=building.id,
                                      unit=str(unit) if units > 1 else "", number=f"{floor}{door:02d}",
                                      area=_area(rng, use), use=use)
                    house._demo_building = building
                    self.out.houses.append(house)
                    if use in LIVED_IN:
                        household, members = self._household(rng, grid, house)
                        homes.append((household, members))
                        dwellers += members
                        self.dwellings.append((house.id, grid.pk))
        return building, dwellers, homes

    # ------------------------------------------------------- households

    def _household(self, rng, grid, house):
        template, members = _members(rng, house.use)
        kinds, weights = zip(*KINDS_BY_USE[house.use])
        kind = rng.choices(kinds, weights)[0]
        codes, eth_weights = zip(*ETHNICITIES)
        ethnicity = rng.choices(codes, eth_weights)[0]
        origin = self._origin(rng, kind, ethnicity)
        family = names.surname(rng)
        span = 365 * 30 if house.use == HouseUse.OWNER_OCCUPIED else 365 * 6
        moved_in = AS_OF - timedelta(days=rng.randint(15, span))
        household = self._row(Household, grid_id=grid.pk, house_id=house.id)
        household._demo_template = template
        self.out.households.append(household)
        people = []
        for m in members:
            own_ethnicity = ethnicity if m.relation != Relation.SPOUSE or rng.random() < 0.97 else "01"
            person = self._person(rng, m, kind, own_ethnicity, origin,
                                  family if m.surname == "family" else names.surname(rng))
            birth = person.birth_date
            person.house_id, person.household_id, person.grid_id = house.id, household.id, grid.pk
            person.relation = m.relation
            person.moved_in = max(moved_in, birth)
            person._demo_building = house._demo_building
            self.out.people.append(person)
            self.out.residences.append(self._row(Residence, person_id=person.id, house_id=house.id,
                                                 grid_id=grid.pk, moved_in=person.moved_in))
            if m.age >= 20 and person.moved_in.year >= 2000 and rng.random() < 0.1:
                self._past_residence(rng, person, house.id)
            people.append((person, m.age))
        household.head_id = people[0][0].id
        return household, people

    def _origin(self, rng, kind, ethnicity):
        """The pool of area codes a household's ID numbers come from, and its first choice."""
        if kind == PersonKind.REGISTERED:
            pool = None  # 武侯区 (by birth year), a few moved their 户口 in from elsewhere
        elif kind == PersonKind.SEPARATED:
            pool = CHENGDU_OTHER
        elif kind == PersonKind.OVERSEAS:
            pool = OVERSEAS
        elif ethnicity == "04":
            pool = TIBETAN_AREAS
        elif ethnicity == "07":
            pool = YI_AREAS
        else:
            pool = SICHUAN if rng.random() < 0.7 else OTHER_PROVINCES
        return (pool, rng.choice(pool)) if pool else (None, None)

    def _area_code(self, rng, origin, year, age):
        pool, first = origin
        if pool is None:
            if age >= 18 and rng.random() < 0.08:
                pool, first = SICHUAN + CHENGDU_OTHER, None
            else:
                return home_area_code(year, rng)
        if first and area_code_valid(first, year):
            return first
        return rng.choice(_valid_codes(pool, year) or ALWAYS_VALID)

    def _person(self, rng, member, kind, ethnicity, origin, surname) -> SimpleNamespace:
        birth = AS_OF - timedelta(days=int(member.age * 365.25) + rng.randint(1, 364))
        code = self._area_code(rng, origin, birth.year, member.age)
        parity = 1 if member.sex == "M" else 0
        while True:
            body = f"{code}{birth:%Y%m%d}{rng.randrange(0, 500) * 2 + parity:03d}"
            if body in self.bodies:
                continue
            number = body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit
            id_hash = lookup_hash(number)
            if id_hash not in self.taken.id_hashes:
                break
        self.bodies.add(body)
        phone = ""
        if member.age >= 14 and rng.random() < 0.92:
            phone = self.phones.next()
            if len(phone) != 11:  # the block is used up
                phone = ""
        return self._row(
            Person, name=surname + names.given_name(rng, member.sex), id_number=number,
            id_hash=id_hash, id_tail=number[-4:], sex=member.sex, birth_date=birth, ethnicity=ethnicity,
            phone=phone, phone_hash=lookup_hash(phone) if phone else "", kind=kind)

    def _past_residence(self, rng, person, current_house):
        """A house elsewhere in the district they lived in before (居住史)."""
        if not self.dwellings:
            return
        house_pk, grid_pk = self.dwellings[rng.randrange(len(self.dwellings))]
        earliest = person.birth_date + timedelta(days=int(18 * 365.25))
        since = person.moved_in - timedelta(days=rng.randint(365, 365 * 10))
        if house_pk == current_house or since <= earliest:
            return
        self.out.residences.append(self._row(Residence, person_id=person.id, house_id=house_pk,
                                             grid_id=grid_pk, moved_in=since, moved_out=person.moved_in))

    # ---------------------------------------------- heads, owners, cars

    def _choose_heads_and_owners(self, rng, buildings, houses, households, residents):
        """楼栋长 among a building's settled adults; owners: the head if they live in it, else a local landlord."""
        for building, dwellers in buildings:
            adults = [p for p, age in dwellers if 25 <= age <= 70]
            settled = [p for p in adults if p.kind == PersonKind.REGISTERED]
            if settled or adults:
                building.head_id = rng.choice(settled or adults).id
        landlords = [p for p, age in residents if 30 <= age <= 80 and p.kind == PersonKind.REGISTERED]
        heads = {household.house_id: household.head_id for household, _ in households}
        for house in houses:
            if house.use == HouseUse.OWNER_OCCUPIED:
                house.owner_id = heads.get(house.id)
            elif landlords and rng.random() < 0.75:
                house.owner_id = rng.choice(landlords).id

    def _vehicles(self, rng, grid, households):
        for household, members in households:
            if rng.random() >= 0.18:
                continue
            drivers = [p for p, age in members if 20 <= age <= 75]
            if not drivers:
                continue
            plate = self._plate(rng)
            self.out.vehicles.append(self._row(Vehicle, grid_id=grid.pk, plate=plate, owner_id=drivers[0].id))

    def _plate(self, rng) -> str:
        """川A plates as stored (no separator): 5 characters, or D/F + 5 digits for new energy."""
        while True:
            if rng.random() < 0.2:
                tail = rng.choice("DF") + "".join(rng.choice("0123456789") for _ in range(5))
            else:
                chars = [rng.choice("0123456789") for _ in range(5)]
                for i in rng.sample(range(5), rng.choice((0, 1, 1, 2))):
                    chars[i] = rng.choice(PLATE_LETTERS)
                tail = "".join(chars)
            plate = "川A" + tail
            if plate not in self.taken.plates:
                self.taken.plates.add(plate)
                return plate

    # ------------------------------------------------- tags and visits

    def _tags_and_visits(self, rng, grid, polygon, households):
        tagged = []  # (person, visit every N days, their tag rows)
        for household, members in households:
            template = household._demo_template
            subsistence = rng.random() < 0.015
            for person, age in members:
                codes = [c for c in _tag_codes(rng, template, person, age, subsistence) if c in self.tags]
                rows = []
                for code in codes:
                    since = max(person.birth_date, AS_OF - timedelta(days=rng.randint(0, 2500)))
                    rows.append(self._row(PersonTag, person_id=person.id, tag_id=self.tags[code][0], since=since))
                self.out.person_tags += rows
                every = [self.tags[c][1] for c in codes if self.tags[c][1]]
                if every:
                    tagged.append((person, min(every), rows))
        if not tagged or grid.worker_id is None:
            return
        overdue = [rng.random() < 0.2 for _ in tagged]
        if len(tagged) >= 2:  # every grid worker's list shows both kinds
            if all(overdue):
                overdue[0] = False
            elif not any(overdue):
                overdue[0] = True
        for (person, every, rows), late in zip(tagged, overdue):
            if late:
                if rng.random() < 0.25:  # tagged a little while ago and not visited yet
                    since = max(person.birth_date, self.today - timedelta(days=every + rng.randint(1, 30)))
                    for row in rows:
                        row.since = since
                    continue
                days_ago = every + rng.randint(1, 45)
            else:
                days_ago = rng.randint(1, max(1, every - 1))
            for _ in range(rng.randint(1, 3)):
                if days_ago > 200:
                    break
                self._visit(rng, grid, polygon, person, days_ago)
                days_ago += every + rng.randint(0, every)

    def _visit(self, rng, grid, polygon, person, days_ago):
        when = datetime.combine(self.today - timedelta(days=days_ago), time(rng.randint(9, 17), rng.randint(0, 59)))
        when = timezone.make_aware(when)
        building = person._demo_building
        x, y = _point_near(polygon, (building.lng, building.lat), rng, spread=0.0001)
        self.out.visits.append(self._row(Visit, grid_id=grid.pk, person_id=person.id, worker_id=grid.worker_id,
                                         visited_at=when, lng=x, lat=y, in_grid=True, notes=rng.choice(VISIT_NOTES)))

    # ------------------------------------------ organisations and places

    def street(self, street_grids: list[DemoGrid]) -> None:
        rng = random.Random(f"wangge-demo:{self.seed}:street:{street_grids[0].street_code}")
        shapes = {g.code: shape(g.polygon) for g in street_grids}
        for p in shapes.values():
            shapely.prepare(p)

        def located():
            grid = rng.choice(street_grids)
            x, y = _point_in(shapes[grid.code], rng)
            address = f"{rng.choice(self.roads[grid.code])}{rng.randint(1, 400)}号"
            return {"grid_id": grid.pk, "lng": x, "lat": y, "address": address}

        for _ in range(rng.randint(5, 8)):
            self.out.organisations.append(self._row(
                Organisation, name=f"成都{names.trade_name(rng)}{rng.choice(TRADES)}有限公司",
                uscc=self._uscc(rng, "91"), kind=OrganisationKind.NON_PUBLIC_ECONOMIC,
                legal_person=names.person_name(rng), staff_count=int(rng.lognormvariate(2.5, 1.0)) + 2,
                **located()))
        for _ in range(rng.randint(1, 3)):
            grid = rng.choice(street_grids)
            kind, prefix = rng.choice(SOCIAL_KINDS)
            self.out.organisations.append(self._row(
                Organisation, name=f"{grid.community}{kind}", uscc=self._uscc(rng, prefix),
                kind=OrganisationKind.SOCIAL, legal_person=names.person_name(rng),
                staff_count=rng.randint(2, 40), **located()))
        for kind, count, patterns in PLACES:
            n = count if isinstance(count, int) else int(rng.random() < count)
            for _ in range(n):
                where = located()
                road = where["address"].split("号")[0].rstrip("0123456789")
                name = rng.choice(patterns).format(trade=names.trade_name(rng), road=road)
                self.out.places.append(self._row(Place, name=name, kind=kind, contact_name=names.person_name(rng),
                                                 **where))

    def _uscc(self, rng, prefix: str) -> str:
        """统一社会信用代码: authority and type, 510107, a 组织机构代码 with its own check digit, then stdnum's."""
        while True:
            body = "".join(rng.choice("0123456789") for _ in range(8))
            org = body + _org_code_check(body)
            first17 = f"{prefix}510107{org}"
            code = first17 + uscc.calc_check_digit(first17)
            if code not in self.taken.usccs:
                self.taken.usccs.add(code)
                return code


PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
TRADES = ("商贸", "餐饮管理", "物业管理", "网络科技", "文化传播", "建筑工程", "家政服务", "医药连锁", "教育咨询",
          "汽车服务", "电子科技", "装饰工程")
SOCIAL_KINDS = (("志愿者协会", "51"), ("老年人协会", "51"), ("文体协会", "51"), ("社会工作服务中心", "52"),
                ("居家养老服务中心", "52"))
PLACES = (
    (PlaceKind.SCHOOL, 2, ("{trade}幼儿园", "{trade}小学", "{trade}实验小学", "{trade}中学")),
    (PlaceKind.HOSPITAL, 1, ("{trade}社区卫生服务站", "{trade}医院", "{trade}口腔门诊部")),
    (PlaceKind.MARKET, 1, ("{road}农贸市场", "{trade}生鲜超市")),
    (PlaceKind.STATION, 1, ("{road}公交站", "{road}地铁站")),
    (PlaceKind.HOTEL, 2, ("{trade}酒店", "{trade}宾馆", "{trade}青年旅舍")),
    (PlaceKind.ENTERTAINMENT, 1, ("{trade}KTV", "{trade}网咖", "{trade}棋牌室", "{trade}酒吧")),
    (PlaceKind.RELIGIOUS, 0.3, ("{trade}寺", "{road}教堂", "{road}清真寺")),
    (PlaceKind.OTHER, 1, ("{trade}养老院", "{trade}加油站", "{road}停车场")),
)


def _org_code_check(body: str) -> str:
    """The check character of a 组织机构代码 (GB 11714)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body, weights)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _members(rng, use) -> tuple[str, list[_Member]]:
    """A household's make-up: the template's name and its members (the head first)."""
    H, P, G, T = Relation.HEAD, Relation.PARENT, Relation.GRANDCHILD, Relation.TENANT
    if use == HouseUse.RENTED:
        template = rng.choices(("shared", "single", "young_couple", "family"), (28, 32, 28, 12))[0]
    else:
        template = rng.choices(("elder_alone", "single", "young_couple", "family", "adult_child", "three_generations",
                                "empty_nest", "left_behind"), (7, 9, 8, 34, 7, 12, 22, 1))[0]

    def sex():
        return rng.choice("MF")

    if template == "elder_alone":
        return template, [_Member(rng.randint(70, 95), "F" if rng.random() < 0.62 else "M", H, "family")]
    if template == "single":
        low, high = (18, 50) if use == HouseUse.RENTED else (20, 69)
        return template, [_Member(rng.randint(low, high), sex(), H, "family")]
    if template == "shared":
        return template, [_Member(rng.randint(18, 40), sex(), H if i == 0 else T, "family" if i == 0 else "own")
                          for i in range(rng.randint(2, 4))]
    if template == "young_couple":
        people = _couple(rng, 22, 40)
        if use == HouseUse.RENTED and rng.random() < 0.5:
            people += _children(rng, people, 1, 10)
        return template, people
    if template == "family":
        people = _couple(rng, 26, 55)
        return template, people + _children(rng, people, rng.choices((1, 2, 3), (55, 40, 5))[0], 25)
    if template == "adult_child":
        people = _couple(rng, 48, 70)
        child = _children(rng, people, 1, 40, low=22)
        return template, people + child
    if template == "empty_nest":
        return template, _couple(rng, 60, 90)
    if template == "three_generations":
        people = _couple(rng, 30, 55)
        kids = _children(rng, people, rng.choices((1, 2), (65, 35))[0], 20)
        head_age = people[0].age if people[0].sex == "M" else people[1].age
        elders = [_Member(min(95, head_age + rng.randint(24, 34)), "M", P, "family")]
        elders.append(_Member(min(95, elders[0].age - rng.randint(-1, 4)), "F", P, "own"))
        return template, people + kids + elders[: rng.choice((1, 2, 2))]
    # left_behind: grandparents bring up grandchildren whose parents work elsewhere
    people = _couple(rng, 55, 80)
    kids = [_Member(rng.randint(3, 15), sex(), G, "family") for _ in range(rng.choice((1, 1, 2)))]
    return template, people + kids


def _couple(rng, low, high) -> list[_Member]:
    husband = rng.randint(low, high)
    wife = max(low - 3, min(95, husband - rng.randint(-2, 4)))
    if rng.random() < 0.75:
        return [_Member(husband, "M", Relation.HEAD, "family"), _Member(wife, "F", Relation.SPOUSE, "own")]
    return [_Member(wife, "F", Relation.HEAD, "family"), _Member(husband, "M", Relation.SPOUSE, "own")]


def _children(rng, parents, n, oldest, low=0) -> list[_Member]:
    mother = next(m.age for m in parents if m.sex == "F")
    youngest, eldest = max(low, mother - 40), min(oldest, mother - 20)
    if youngest > eldest:
        return []
    return [_Member(rng.randint(youngest, eldest), rng.choice("MF"), Relation.CHILD,
                    "family" if rng.random() < 0.9 else "own") for _ in range(n)]


# (tag code, who may carry it, probability): rough shares of a city district.
SPECIAL_GROUPS = (
    ("community_correction", 18, 65, 0.0007),
    ("released_prisoner", 20, 75, 0.0025),
    ("drug_user", 18, 60, 0.0015),
    ("severe_mental_disorder", 15, 95, 0.0035),
    ("aids_risk", 18, 55, 0.0008),
    ("key_youth", 12, 25, 0.006),
    ("key_petitioner", 30, 95, 0.0008),
)


def _tag_codes(rng, template, person, age, subsistence) -> list[str]:
    codes = []
    if template == "elder_alone" and rng.random() < 0.9:
        codes.append("elder_living_alone")
    if template == "empty_nest" and age >= 60 and rng.random() < 0.5:
        codes.append("empty_nest_elder")
    if template == "left_behind" and age < 16 and rng.random() < 0.9:
        codes.append("left_behind_child")
    if age < 18 and rng.random() < 0.003:
        codes.append("children_in_difficulty")
    if rng.random() < (0.015 if age < 18 else 0.04 if age < 60 else 0.10 if age < 80 else 0.18):
        codes.append("disabled")
    if subsistence:
        codes.append("subsistence")
    if 23 <= age <= 90 and rng.random() < (0.055 if person.sex == "M" else 0.004):
        codes.append("veteran")
    if age >= 30 and rng.random() < 0.012:
        codes.append("serious_illness")
    for code, low, high, p in SPECIAL_GROUPS:
        if low <= age <= high and rng.random() < p:
            codes.append(code)
    return codes


def _area(rng, use) -> Decimal:
    mean, sd, low, high = {HouseUse.OWNER_OCCUPIED: (88, 22, 38, 180), HouseUse.RENTED: (62, 18, 22, 140),
                           HouseUse.VACANT: (80, 25, 30, 180), HouseUse.BUSINESS: (70, 45, 15, 300),
                           HouseUse.OTHER: (60, 20, 20, 150)}[use]
    return Decimal(f"{min(high, max(low, rng.gauss(mean, sd))):.2f}")


def _point_in(polygon, rng) -> tuple[float, float]:
    """A random point inside the polygon, on the 6-decimal grid the registry stores."""
    x0, y0, x1, y1 = polygon.bounds
    while True:
        x, y = round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6)
        if shapely.contains_xy(polygon, x, y):
            return x, y


def _point_near(polygon, centre, rng, spread=0.0004) -> tuple[float, float]:
    """A point a little way from `centre` that is still inside; a fresh random point if that fails."""
    for _ in range(10):
        x = round(centre[0] + rng.uniform(-spread, spread), 6)
        y = round(centre[1] + rng.uniform(-spread, spread), 6)
        if shapely.contains_xy(polygon, x, y):
            return x, y
    return centre if shapely.contains_xy(polygon, *centre) else _point_in(polygon, rng)


def plan_base_data(grids: list[DemoGrid], seed: int, people: int = DEFAULT_PEOPLE, tags: dict | None = None,
                   now: datetime | None = None, first_ids: dict | None = None, taken: Taken | None = None) -> BaseData:
    """Plan at least `people` people over the grids (shared by their household counts), and all that goes with them.

    `tags` maps a tag code to (pk, visit every N days); `first_ids` the first
    primary key to use per model; `taken` the values already used elsewhere.
    """
    planner = _Planner(seed, tags or {}, now or timezone.now(), first_ids or {}, taken or Taken())
    grids = sorted(grids, key=lambda g: g.code)
    targets = _apportion(people, [g.households or 1 for g in grids], minimum=0) if grids else []
    by_street = defaultdict(list)
    for grid, target in zip(grids, targets):
        if target > 0:
            planner.grid(grid, target)
        by_street[grid.street_code].append(grid)
    for code in sorted(by_street):
        planner.street(by_street[code])
    return planner.out


# ------------------------------------------------------------ the database


def demo_grids(district: Region) -> list[DemoGrid]:
    """The district's grids with their community, street and grid worker (the first by username)."""
    rows = list(Region.objects.filter(level=Level.GRID, path__startswith=district.path)
                .values_list("pk", "code", "polygon", "households").order_by("code"))
    parents = dict(Region.objects.filter(level__in=(Level.COMMUNITY, Level.STREET), path__startswith=district.path)
                   .values_list("code", "name"))
    workers = {}
    for region_id, user_id in (User.objects.filter(role=Role.GRID_WORKER, region__path__startswith=district.path,
                                                   is_active=True)
                               .order_by("-username").values_list("region_id", "pk")):
        workers[region_id] = user_id
    return [DemoGrid(pk, code, polygon, households or 1, short_name(parents.get(code[:12], code[:12])),
                     code[:9], parents.get(code[:9], code[:9]), workers.get(pk))
            for pk, code, polygon, households in rows if polygon]


def has_base_data(district: Region) -> bool:
    return Person.objects.filter(grid__path__startswith=district.path).exists()


def load_base_data(district: Region, seed: int, people: int = DEFAULT_PEOPLE, now: datetime | None = None) -> dict:
    """Plan and write the district's base data in one transaction. Returns the counts."""
    tags = {code: (pk, days) for pk, code, days in Tag.objects.values_list("pk", "code", "visit_every_days")}
    first_ids = {model: first_free_id(model) for model in MODELS}
    taken = Taken(set(Person.objects.values_list("id_hash", flat=True)),
                  set(Vehicle.objects.values_list("plate", flat=True)),
                  set(Organisation.objects.values_list("uscc", flat=True)))
    data = plan_base_data(demo_grids(district), seed, people, tags, now, first_ids, taken)
    # One transaction, also when called on its own: the circular keys are only whole at commit.
    with transaction.atomic(), roomy_sqlite_cache():
        writer = BulkWriter()
        for model, rows in data.tables():
            if rows:
                writer.insert(Table(model), rows)
        catch_up_sequences(MODELS)
        refresh_schedules(Person.objects.filter(grid__path__startswith=district.path).values("pk"), writer=writer)
        writer.finish()
        counts = data.counts()
        record(None, "demo.load_people", district, seed=seed, people_asked=people, **counts)
    return counts


def wipe_base_data(district: Region) -> None:
    """Delete the district's base data, dependants first; call inside a transaction.

    Plain DELETE statements (QuerySet._raw_delete): Django's delete() would load
    every row and write a history row for each, minutes for a demo district.
    """
    prefix = district.path
    in_area = Q(grid__path__startswith=prefix)
    people = Person.objects.filter(in_area | Q(house__grid__path__startswith=prefix)).values("pk")
    visits = Visit.objects.filter(in_area | Q(person__in=people))
    _delete(VisitPhoto.objects.filter(visit__in=visits.values("pk")))
    _delete(visits)
    _delete(PersonTag.objects.filter(person__in=people))
    _delete(VisitSchedule.objects.filter(person__in=people))
    _delete(Vehicle.objects.filter(in_area | Q(owner__in=people)))
    _delete(Residence.objects.filter(in_area | Q(person__in=people)))
    # What points at these people from anywhere lets go first.
    Building.objects.filter(head__in=people).update(head=None)
    House.objects.filter(owner__in=people).update(owner=None)
    Household.objects.filter(head__in=people).update(head=None)
    Person.objects.filter(household__grid__path__startswith=prefix).update(household=None)
    _delete(Person.objects.filter(in_area | Q(house__grid__path__startswith=prefix)))
    for model in (Household, House, Building, Organisation, Place):
        _delete(model.objects.filter(in_area))


def _delete(queryset) -> int:
    return queryset._raw_delete(queryset.db)
