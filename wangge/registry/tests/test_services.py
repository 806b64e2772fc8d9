import pytest
from django.db import connection

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.registry import services
from wangge.registry.models import Person, PersonTag, Residence, Tag
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg(world):
    return build_registry(world)


def test_register_derives_sex_and_birth_and_encrypts(world, reg):
    head = reg["home"]["head"]
    assert head.birth_date.isoformat() == "1990-01-01" and head.sex == "M"
    assert head.grid == world.grids[0] and head.id_tail == head.id_number[-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [head.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert head.id_number not in stored_id and "13800001111" not in stored_phone
    assert Person.objects.with_id_number(head.id_number.lower()).get() == head
    assert set(Person.objects.with_phone("13800001111")) == {head, reg["away"]["head"]}


@pytest.mark.parametrize("data,field,fragment", [
    ({"id_number": make_id_number()[:-1] + ("0" if make_id_number()[-1] != "0" else "1")}, "id_number", "校验位错误"),
    ({"id_number": "510107199002301234"}, "id_number", "出生日期不存在"),
    ({"id_number": "123"}, "id_number", "身份证号须为 18 位"),
    ({"ethnicity": "99"}, "ethnicity", "未知民族代码"),
    ({"phone": "12345"}, "phone", "不是有效的电话号码"),
    ({"name": ""}, "name", "姓名为空或过长"),
    ({"kind": "alien"}, "kind", "人口类型应为 户籍/流动/境外/人户分离"),
])
def test_bad_person_fields_are_refused_and_nothing_written(world, data, field, fragment):
    admin = world.users[Role.ADMINISTRATOR]
    payload = {"name": "张三", "id_number": make_id_number(seq=7), **data}
    with pytest.raises(services.FieldErrors) as caught:
        services.do_register_person(admin, payload)
    assert fragment in caught.value.errors[field]
    assert not Person.objects.exists() and not AuditEntry.objects.exists()


def test_ethnicity_by_name_or_code(world):
    admin = world.users[Role.ADMINISTRATOR]
    person = services.do_register_person(admin, {"name": "扎西", "id_number": make_id_number(seq=9),
                                                 "ethnicity": "藏族"})
    assert person.ethnicity == "04"


def test_duplicate_id_number_is_refused(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    with pytest.raises(services.FieldErrors) as caught:
        services.do_register_person(admin, {"name": "重复", "id_number": reg["home"]["head"].id_number})
    assert "该身份证号已登记" in caught.value.errors["id_number"]


def test_move_keeps_the_history(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    person = reg["home"]["member"]
    services.do_move_person(admin, person, reg["away"]["house"])
    person.refresh_from_db()
    assert person.grid == world.grids[4] and person.household is None
    history = list(Residence.objects.filter(person=person).order_by("id").values_list("house_id", "moved_out"))
    assert [h for h, _ in history] == [reg["home"]["house"].pk, reg["away"]["house"].pk]
    assert history[0][1] is not None and history[1][1] is None
    assert person.history.count() >= 2
    services.do_move_person(admin, person, None)
    person.refresh_from_db()
    assert person.grid is None and person.moved_out is not None


def test_grid_worker_cannot_touch_another_grid(world, reg):
    worker = world.users[Role.GRID_WORKER]
    with pytest.raises(OperationError):
        services.do_move_person(worker, reg["away"]["member"], reg["home"]["house"])
    with pytest.raises(OperationError):
        services.do_record_visit(worker, reg["away"]["head"])
    with pytest.raises(OperationError):
        services.do_create_building(worker, name="X", address="Y", lng=world.grid_center(world.grids[4])[0],
                                    lat=world.grid_center(world.grids[4])[1])


def test_building_is_located_from_its_coordinates(world):
    worker = world.users[Role.GRID_WORKER]
    lng, lat = world.grid_center(world.grids[0])
    building = services.do_create_building(worker, name="2栋", address="路2号", lng=lng, lat=lat)
    assert building.grid == world.grids[0]
    with pytest.raises(OperationError, match="位置不在任何网格内"):
        services.do_create_building(worker, name="3栋", address="路3号", lng=120.0, lat=30.0)


def test_visit_checks_the_position_against_the_grid(world, reg):
    worker = world.users[Role.GRID_WORKER]
    person = reg["home"]["head"]
    lng, lat = world.grid_center(world.grids[0])
    assert services.do_record_visit(worker, person, lng=lng, lat=lat, notes="身体健康").in_grid is True
    far = world.grid_center(world.grids[3])
    assert services.do_record_visit(worker, person, lng=far[0], lat=far[1]).in_grid is False


@pytest.mark.usefixtures("registry_readers_without_special")
def test_special_tags_hidden_from_roles_that_do_not_need_them(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    person = reg["home"]["head"]
    services.do_tag_person(admin, person, Tag.objects.get(code="elder_living_alone"))
    services.do_tag_person(admin, person, Tag.objects.get(code="community_correction"))
    seen = lambda user: set(PersonTag.objects.visible_to(user).values_list("tag__code", flat=True))  # noqa: E731
    assert seen(world.users[Role.GRID_WORKER]) == {"elder_living_alone", "community_correction"}
    assert seen(world.users[Role.MEDIATOR]) == {"elder_living_alone"}
    assert seen(world.outsiders[Role.GRID_WORKER]) == set()


def test_bad_uscc_and_plate(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    lng, lat = world.grid_center(world.grids[0])
    with pytest.raises(services.FieldErrors) as caught:
        services.do_create_organisation(admin, name="某公司", uscc="91110000600037341X", kind="social",
                                        address="路1号", lng=lng, lat=lat)
    assert "uscc" in caught.value.errors
    org = services.do_create_organisation(admin, name="某公司", uscc="91110000600037341L", kind="non_public_economic",
                                          address="路1号", lng=lng, lat=lat)
    assert org.grid == world.grids[0]
    with pytest.raises(services.FieldErrors):
        services.do_register_vehicle(admin, reg["home"]["head"], "ABC123")
    assert services.do_register_vehicle(admin, reg["home"]["head"], "川A·12345").plate == "川A12345"


@pytest.mark.parametrize("value,fragment", [
    ("510107********0018", "digits only"),
    (make_id_number(region="000000"), "地区码无效或当年不存在"),
    (make_id_number(birth="20990101"), "出生日期在未来"),
])
def test_more_bad_id_numbers(value, fragment):
    from wangge.registry.validation import InvalidValue, clean_id_number

    with pytest.raises(InvalidValue, match=fragment):
        clean_id_number(value)


def test_kind_by_chinese_name_in_any_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert services.clean_person({"name": "张三", "id_number": make_id_number(), "kind": "流动"}).kind == "floating"


def test_mediators_and_department_handlers_do_not_browse_the_registry(world, reg):
    from wangge.registry.models import Building, House, Household, Visit

    for role in (Role.MEDIATOR, Role.DEPARTMENT_HANDLER):
        user = world.users[role]
        for model in (Person, PersonTag, Building, House, Household, Residence, Visit):
            assert not model.objects.visible_to(user).exists(), (role, model)
    assert Person.objects.visible_to(world.users[Role.COMMUNITY_OPERATOR]).count() == 2
