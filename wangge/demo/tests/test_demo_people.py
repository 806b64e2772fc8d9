"""The demo district's base data: deterministic, valid national numbers, consistent and located records,
plausible proportions, a due list with both visited and overdue people, and an idempotent load."""
import importlib
import io
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F, Max, Min, OuterRef, Subquery
from django.utils import timezone
from shapely.geometry import shape
from stdnum.cn import ric, uscc

from wangge.areas.models import Level, Region
from wangge.core.crypto import lookup_hash
from wangge.core.models import AuditEntry, User
from wangge.core.roles import Role
from wangge.demo import people as base
from wangge.demo import services
from wangge.demo.generator import generate, short_name
from wangge.registry.codes import ETHNICITIES
from wangge.registry.models import (
    Building,
    House,
    Household,
    HouseUse,
    Organisation,
    Person,
    PersonKind,
    PersonTag,
    Place,
    Relation,
    Residence,
    Vehicle,
    Visit,
)
from wangge.registry.validation import clean_id_number, clean_phone, clean_plate, clean_uscc, facts_from_id_number

SMALL = {"target_grids": 40, "streets": 3}
TINY = ["--grids", "20", "--streets", "2"]
TAGS = importlib.import_module("wangge.registry.migrations.0002_default_tags").TAGS
TAG_IDS = {code: (i + 1, days) for i, (code, _name, _group, days) in enumerate(TAGS)}
TAG_CODES = {pk: code for code, (pk, _) in TAG_IDS.items()}


@pytest.fixture(scope="module")
def small_plan():
    return generate(7, **SMALL)


@pytest.fixture(scope="module")
def grids(small_plan):
    names = {r.code: r.name for r in small_plan.regions}
    return [base.DemoGrid(i + 1, r.code, r.polygon, r.households, short_name(names[r.parent_code]), r.code[:9],
                          names[r.code[:9]], worker_id=1000 + i)
            for i, r in enumerate(small_plan.by_level(Level.GRID))]


@pytest.fixture(scope="module")
def five_thousand(grids):
    return base.plan_base_data(grids, 7, 5000, TAG_IDS)


def _age(person) -> int:
    born = person.birth_date
    return base.AS_OF.year - born.year - ((base.AS_OF.month, base.AS_OF.day) < (born.month, born.day))


# ------------------------------------------------------------------ the plan


def test_same_seed_gives_the_same_people(grids):
    first = base.plan_base_data(grids, 7, 800, TAG_IDS)
    again = base.plan_base_data(grids, 7, 800, TAG_IDS)
    assert [(p.name, p.id_number, p.phone, p.kind) for p in again.people] == \
           [(p.name, p.id_number, p.phone, p.kind) for p in first.people]
    assert [(b.address, b.name, b.lng, b.lat) for b in again.buildings] == \
           [(b.address, b.name, b.lng, b.lat) for b in first.buildings]
    assert [o.uscc for o in again.organisations] == [o.uscc for o in first.organisations]
    other = base.plan_base_data(grids, 8, 800, TAG_IDS)
    assert {p.id_number for p in other.people} != {p.id_number for p in first.people}


def test_at_least_the_people_asked_for(five_thousand):
    assert 5000 <= len(five_thousand.people) <= 5500


def test_every_id_number_is_valid_and_sex_and_birth_come_from_it(five_thousand):
    numbers = [p.id_number for p in five_thousand.people]
    assert len(set(numbers)) == len(numbers)
    for p in five_thousand.people:
        assert ric.validate(p.id_number) == p.id_number  # check digit, birth date, area code in that year
        assert clean_id_number(p.id_number) == p.id_number
        assert facts_from_id_number(p.id_number) == (p.sex, p.birth_date)
        assert p.id_tail == p.id_number[-4:] and p.id_hash == lookup_hash(p.id_number)
        assert p.ethnicity in ETHNICITIES


def test_ages_spread_and_area_codes_follow_kind(five_thousand):
    ages = [_age(p) for p in five_thousand.people]
    assert min(ages) <= 1 and max(ages) >= 90
    assert 0.15 <= sum(a >= 60 for a in ages) / len(ages) <= 0.30
    assert 0.10 <= sum(a < 15 for a in ages) / len(ages) <= 0.25
    young_locals = [p for p in five_thousand.people if p.kind == PersonKind.REGISTERED and p.birth_date.year >= 1990]
    assert sum(p.id_number.startswith("510107") for p in young_locals) / len(young_locals) > 0.85
    for p in five_thousand.people:
        if p.kind == PersonKind.OVERSEAS:
            assert p.id_number[:6] in base.OVERSEAS
        elif p.kind in (PersonKind.FLOATING, PersonKind.SEPARATED):
            assert not p.id_number.startswith("510107")


def test_proportions_are_plausible(five_thousand):
    people = five_thousand.people
    kinds = Counter(p.kind for p in people)
    share = {kind: kinds[kind] / len(people) for kind in PersonKind.values}
    assert 0.64 <= share[PersonKind.REGISTERED] <= 0.76
    assert 0.19 <= share[PersonKind.FLOATING] <= 0.31
    assert 0.002 <= share[PersonKind.OVERSEAS] <= 0.03
    assert 0.015 <= share[PersonKind.SEPARATED] <= 0.07
    uses = Counter(h.use for h in five_thousand.houses)
    n = len(five_thousand.houses)
    assert abs(uses[HouseUse.OWNER_OCCUPIED] / n - 0.65) < 0.04
    assert abs(uses[HouseUse.RENTED] / n - 0.22) < 0.04
    assert abs(uses[HouseUse.VACANT] / n - 0.08) < 0.03
    assert abs(uses[HouseUse.BUSINESS] / n - 0.04) < 0.02
    assert uses[HouseUse.OTHER] / n < 0.025
    assert sum(p.ethnicity == "01" for p in people) / len(people) > 0.9
    tagged = defaultdict(set)
    for t in five_thousand.person_tags:
        tagged[TAG_CODES[t.tag_id]].add(t.person_id)
    assert abs(len(tagged["disabled"]) / len(people) - 0.06) < 0.02
    assert abs(len(tagged["veteran"]) / len(people) - 0.02) < 0.01
    assert 0.003 <= len(tagged["subsistence"]) / len(people) <= 0.035
    special = sum(len(tagged[code]) for code, *_ in base.SPECIAL_GROUPS)
    assert special / len(people) < 0.03


def test_households_hang_together(five_thousand):
    houses = {h.id: h for h in five_thousand.houses}
    buildings = {b.id: b for b in five_thousand.buildings}
    members = defaultdict(list)
    for p in five_thousand.people:
        members[p.household_id].append(p)
        house = houses[p.house_id]
        assert p.grid_id == house.grid_id == buildings[house.building_id].grid_id
        assert p.moved_in >= p.birth_date
    for household in five_thousand.households:
        people = members[household.id]
        heads = [p for p in people if p.relation == Relation.HEAD]
        assert [h.id for h in heads] == [household.head_id]
        assert all(p.house_id == household.house_id for p in people)
        house = houses[household.house_id]
        assert house.use in (HouseUse.OWNER_OCCUPIED, HouseUse.RENTED)
        if house.use == HouseUse.OWNER_OCCUPIED:
            assert house.owner_id == household.head_id
    lived_in = {h.house_id for h in five_thousand.households}
    assert all(h.id in lived_in for h in five_thousand.houses if h.use in (HouseUse.OWNER_OCCUPIED, HouseUse.RENTED))
    people = {p.id: p for p in five_thousand.people}
    for building in five_thousand.buildings:
        if getattr(building, "head_id", None):
            assert houses[people[building.head_id].house_id].building_id == building.id
    alone = [t.person_id for t in five_thousand.person_tags if TAG_CODES[t.tag_id] == "elder_living_alone"]
    assert alone
    for pk in alone:
        assert _age(people[pk]) >= 70 and len(members[people[pk].household_id]) == 1


def test_phones_plates_and_codes_are_synthetic_and_valid(five_thousand):
    phones = [p.phone for p in five_thousand.people if p.phone]
    assert len(phones) == len(set(phones)) and len(phones) > 0.6 * len(five_thousand.people)
    assert all(phone.startswith("19900") and clean_phone(phone) == phone for phone in phones)
    for org in five_thousand.organisations:
        assert uscc.validate(org.uscc) == org.uscc and clean_uscc(org.uscc) == org.uscc
        assert org.uscc[2:8] == "510107"
    plates = [v.plate for v in five_thousand.vehicles]
    assert plates and len(plates) == len(set(plates))
    assert all(clean_plate(plate) == plate and plate.startswith("川A") for plate in plates)
    assert len({p.kind for p in five_thousand.places}) >= 6


# ---------------------------------------------------------------- the database


@pytest.fixture
def loaded(db, small_plan):
    result = services.load(small_plan, people=1500)
    return result


def test_load_writes_located_consistent_records(loaded):
    assert loaded.counts["people"] == Person.objects.count() >= 1500
    entry = AuditEntry.objects.get(operation="demo.load_people")
    assert entry.details["people"] == loaded.counts["people"] and entry.details["seed"] == 7
    assert not Person.objects.exclude(grid_id=F("house__building__grid_id")).exists()
    assert not Person.objects.exclude(grid_id=F("house__grid_id")).exists()
    assert not Person.objects.exclude(house_id=F("household__house_id")).exists()
    assert not House.objects.exclude(grid_id=F("building__grid_id")).exists()
    assert not Household.objects.exclude(head__household_id=F("pk")).exists()
    assert not Building.objects.filter(head__isnull=False).exclude(head__house__building_id=F("pk")).exists()
    polygons = {r.pk: shape(r.polygon) for r in Region.objects.filter(level=Level.GRID)}
    for grid_id, lng, lat in Building.objects.values_list("grid_id", "lng", "lat"):
        assert shapely.contains_xy(polygons[grid_id], lng, lat)
        assert round(lng, 6) == lng and round(lat, 6) == lat
    for model in (Organisation, Place):
        for grid_id, lng, lat in model.objects.values_list("grid_id", "lng", "lat"):
            assert shapely.contains_xy(polygons[grid_id], lng, lat)
    # encrypted at rest, found by hash, decrypted on read
    person = Person.objects.exclude(phone="").first()
    assert ric.is_valid(person.id_number)
    assert Person.objects.with_id_number(person.id_number).get() == person
    assert Person.objects.with_phone(person.phone).get() == person
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [person.pk])
        assert cursor.fetchone()[0].startswith("v1:")
    # residence history: one open row per person, where they live now
    open_rows = dict(Residence.objects.filter(moved_out__isnull=True).values_list("person_id", "house_id"))
    assert open_rows == dict(Person.objects.values_list("pk", "house_id"))
    assert not Residence.objects.filter(moved_out__isnull=True).exclude(moved_in=F("person__moved_in")).exists()
    moved = Residence.objects.filter(moved_out__isnull=False)
    assert moved.exists() and not moved.exclude(moved_out=F("person__moved_in")).exists()
    assert not moved.filter(house_id=F("person__house_id")).exists()
    # later rows get fresh keys (sequences moved past the demo's own keys)
    grid = Region.objects.filter(level=Level.GRID).first()
    building = Building.objects.create(grid=grid, address="测试路1号", name="新楼")
    assert building.pk > Building.objects.exclude(pk=building.pk).aggregate(top=Max("pk"))["top"]


def test_visits_by_the_grid_worker_inside_the_grid(loaded):
    workers = dict(User.objects.filter(role=Role.GRID_WORKER).values_list("region_id", "pk"))
    polygons = {r.pk: shape(r.polygon) for r in Region.objects.filter(level=Level.GRID)}
    visits = list(Visit.objects.values_list("grid_id", "worker_id", "lng", "lat", "in_grid", "person__grid_id",
                                            "visited_at"))
    assert visits
    now = timezone.now()
    for grid_id, worker_id, lng, lat, in_grid, person_grid, visited_at in visits:
        assert worker_id == workers[grid_id] and grid_id == person_grid and in_grid is True
        assert shapely.contains_xy(polygons[grid_id], lng, lat)
        assert visited_at <= now
    assert not Visit.objects.filter(person__tags__isnull=True).exists()


def _due_split(people):
    """(visited within their tags' frequency, overdue), by direct query."""
    every = (PersonTag.objects.filter(person=OuterRef("pk"), tag__visit_every_days__isnull=False)
             .order_by("tag__visit_every_days").values("tag__visit_every_days")[:1])
    now = timezone.now()
    done, overdue = [], []
    for person in people.annotate(every=Subquery(every), last=Max("visits__visited_at")).filter(every__isnull=False):
        (done if person.last and person.last >= now - timedelta(days=person.every) else overdue).append(person)
    return done, overdue


def test_due_list_has_both_visited_and_overdue_people(loaded):
    done, overdue = _due_split(Person.objects.all())
    assert done and overdue
    assert len(done) > len(overdue)  # most are visited on time
    assert any(p.last is None for p in overdue) and any(p.last is not None for p in overdue)
    worker = User.objects.filter(role=Role.GRID_WORKER).order_by("username").first()
    mine_done, mine_overdue = _due_split(Person.objects.filter(grid=worker.region))
    assert mine_done and mine_overdue


@pytest.mark.django_db
def test_command_is_idempotent_and_force_reloads_the_same_people():
    out = io.StringIO()
    call_command("load_demo", *TINY, "--people", "600", stdout=out)
    assert "base data" in out.getvalue()
    people = sorted(Person.objects.values_list("name", "id_hash"))
    counts = [m.objects.count() for m in base.MODELS]
    assert len(people) >= 600 and all(counts[:5])

    out = io.StringIO()
    call_command("load_demo", *TINY, "--people", "600", stdout=out)
    assert "already loaded" in out.getvalue()
    assert [m.objects.count() for m in base.MODELS] == counts
    assert AuditEntry.objects.filter(operation="demo.load_people").count() == 1

    top = Person.objects.aggregate(top=Max("pk"))["top"]
    call_command("load_demo", *TINY, "--people", "600", "--force", stdout=io.StringIO())
    assert sorted(Person.objects.values_list("name", "id_hash")) == people
    assert Person.objects.aggregate(low=Min("pk"))["low"] > top  # keys of deleted rows are not reused
    assert [m.objects.count() for m in base.MODELS] == counts
    assert AuditEntry.objects.filter(operation="demo.load_people").count() == 2


@pytest.mark.django_db
def test_force_also_clears_records_added_by_hand():
    from wangge.registry import services as registry
    from wangge.testing import make_id_number

    call_command("load_demo", *TINY, "--people", "300", stdout=io.StringIO())
    admin = User.objects.get(username="admin")
    worker = User.objects.filter(role=Role.GRID_WORKER).first()
    house = House.objects.filter(grid=worker.region).first()
    newcomer = registry.do_register_person(admin, {"name": "新住户", "id_number": make_id_number("20000101", 999)},
                                           house=house)
    registry.do_record_visit(worker, newcomer)
    registry.do_register_vehicle(admin, newcomer, "川A·9Z9Z9")
    call_command("load_demo", *TINY, "--people", "300", "--force", stdout=io.StringIO())
    assert not Person.objects.filter(name="新住户").exists()
    assert not Vehicle.objects.filter(plate="川A9Z9Z9").exists()
    assert Person.objects.count() >= 300


@pytest.mark.django_db
def test_people_are_added_to_a_district_loaded_without_them():
    call_command("load_demo", *TINY, "--people", "0", stdout=io.StringIO())
    assert not Person.objects.exists() and services.is_loaded()
    out = io.StringIO()
    call_command("load_demo", *TINY, "--people", "300", stdout=out)
    assert "base data" in out.getvalue()
    assert Person.objects.count() >= 300
    assert AuditEntry.objects.filter(operation="demo.load").count() == 1


@pytest.mark.django_db
def test_command_rejects_a_negative_number_of_people():
    with pytest.raises(CommandError):
        call_command("load_demo", *TINY, "--people", "-1", stdout=io.StringIO())
    assert not Region.objects.exists()
