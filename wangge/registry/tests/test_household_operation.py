"""do_add_household: a household with its house and people is one operation — all or nothing, one audit row,
every fault named at once by where it is."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.models import House, Household, Person, Residence
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db


def _person(name, number):
    return {"name": name, "id_number": number, "phone": "", "ethnicity": "01", "kind": "floating"}


def _counts():
    return (Person.objects.count(), House.objects.count(), Household.objects.count(), Residence.objects.count(),
            AuditEntry.objects.count())


def test_a_household_with_a_new_house_is_one_audited_operation(world):
    reg = build_registry(world)
    worker, building = world.users[Role.GRID_WORKER], reg["home"]["building"]
    before = AuditEntry.objects.count()
    household = services.do_add_household(
        worker, building, new_house={"number": "305", "unit": "3", "use": "rented"},
        head=_person("新户主", make_id_number("19920808", 401)),
        members=[(_person("新配偶", make_id_number("19930909", 402)), "spouse")])
    assert household.house.building == building and household.house.number == "305"
    people = list(Person.objects.filter(household=household).order_by("relation"))
    assert [(p.name, p.relation) for p in people] == [("新户主", "head"), ("新配偶", "spouse")]
    assert all(Residence.objects.filter(person=p, house=household.house, moved_out=None).exists() for p in people)
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert [e.operation for e in entries] == ["registry.add_household"]
    assert entries[0].actor == worker and entries[0].object_id == str(household.pk)
    assert entries[0].details["new_house"] is True and sorted(entries[0].details["people"]) == sorted(
        p.pk for p in people)


def test_every_fault_is_named_and_nothing_is_written(world):
    reg = build_registry(world)
    worker, building = world.users[Role.GRID_WORKER], reg["home"]["building"]
    twice = make_id_number("19920808", 411)
    before = _counts()
    with pytest.raises(services.FieldErrors) as refused:
        services.do_add_household(
            worker, building, new_house={"number": "101", "unit": "1", "use": "rented"},  # taken
            head=_person("", twice),
            members=[(_person("重复", twice), "spouse"), (_person("已登记", reg["away"]["head"].id_number), "child"),
                     (_person("关系", make_id_number("20100101", 412)), "head")])
    assert set(refused.value.errors) == {"house.number", "head.name", "members.0.id_number", "members.1.id_number",
                                         "members.2.relation"}
    assert _counts() == before


def test_a_house_of_another_building_or_outside_the_area_is_refused(world):
    reg = build_registry(world)
    worker = world.users[Role.GRID_WORKER]
    before = _counts()
    with pytest.raises(services.OperationError):
        services.do_add_household(worker, reg["home"]["building"], house=reg["away"]["house"],
                                  head=_person("新户主", make_id_number("19920808", 421)))
    with pytest.raises(services.OperationError):
        services.do_add_household(worker, reg["away"]["building"], house=reg["away"]["house"],
                                  head=_person("新户主", make_id_number("19920808", 421)))
    assert _counts() == before


def test_without_the_permission_nothing_is_written(world):
    reg = build_registry(world)
    before = _counts()
    with pytest.raises(services.OperationError):
        services.do_add_household(world.users[Role.MEDIATOR], reg["home"]["building"],
                                  new_house={"number": "909", "use": "rented"},
                                  head=_person("新户主", make_id_number("19920808", 431)))
    assert _counts() == before
