"""Importing people from .csv/.xlsx: both halves — good files land, bad files change nothing."""
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook, load_workbook

from wangge.core.importing import ImportRejected, error_report_xlsx
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.registry import importing
from wangge.registry.importing import (
    HEADERS,
    preview_import,
    read_people_file,
    template_csv,
    template_xlsx,
)
from wangge.registry.models import Building, House, Household, Person, Residence
from wangge.registry.services import do_import_people
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db

ID_A, ID_B, ID_C = make_id_number("19900202", 301), make_id_number("19920303", 302), make_id_number("20100404", 303)


@pytest.fixture
def reg(world):
    return build_registry(world)


@pytest.fixture
def admin(world):
    return world.users[Role.ADMINISTRATOR]


def person_row(reg, where="home", **cells):
    building = reg[where]["building"]
    row = {"姓名": "李四", "公民身份号码": ID_A, "民族": "汉族", "联系电话": "13900001111", "人口类型": "流动",
           "楼栋地址": building.address, "楼栋名称": building.name, "单元": "1", "房号": "201", "与户主关系": "户主",
           "迁入日期": "2020-05-01"}
    row.update(cells)
    return row


def family(reg, where="home"):
    return [person_row(reg, where),
            person_row(reg, where, 姓名="王芳", 公民身份号码=ID_B, 联系电话="", 人口类型="", 与户主关系="配偶"),
            person_row(reg, where, 姓名="李小明", 公民身份号码=ID_C, 联系电话="", 民族="", 与户主关系="子女")]


def csv_file(rows, headers=HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(str(r.get(h, "")) for h in headers) for r in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def xlsx_file(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "人口信息"
    sheet.append(list(headers))
    for r in rows:
        sheet.append([r.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def imported(actor, data: bytes, filename="people.csv"):
    rows, errors = read_people_file(data, filename)
    assert errors == []
    return do_import_people(actor, rows)


def snapshot():
    """Everything an import may write, to prove that a refused one wrote nothing."""
    return {
        "people": list(Person.objects.order_by("id").values_list("id", "name", "phone_hash", "kind", "house_id",
                                                                 "household_id", "relation", "updated_at")),
        "residences": list(Residence.objects.order_by("id").values_list("id", "house_id", "moved_in", "moved_out")),
        "houses": House.objects.count(),
        "households": Household.objects.count(),
        "buildings": Building.objects.count(),
        "history": Person.history.count(),
        "audit": AuditEntry.objects.count(),
    }


def rejected(actor, data: bytes, filename="people.csv"):
    """Read and import; must be refused. Returns [(line, column, reason)]."""
    rows, errors = read_people_file(data, filename)
    with pytest.raises(ImportRejected) as caught:
        do_import_people(actor, rows, errors)
    return [(e.line, e.field, e.reason) for e in caught.value.errors]


# --- templates ---------------------------------------------------------------------------------

def test_templates_carry_the_chinese_headers_and_the_notes():
    assert template_csv().decode("utf-8-sig").strip() == ",".join(HEADERS)
    book = load_workbook(io.BytesIO(template_xlsx()))
    assert book.sheetnames == ["人口信息", "说明"]
    assert [c.value for c in book["人口信息"][1]] == list(HEADERS)
    documented = {row[0] for row in book["说明"].iter_rows(values_only=True)}
    assert set(HEADERS) <= documented and "汉族" not in documented  # names sit in column B
    assert any("户主" in (row[2] or "") for row in book["说明"].iter_rows(values_only=True))


def test_an_empty_template_is_refused_as_having_no_rows(admin):
    assert rejected(admin, template_csv()) == [(1, "", "文件中没有数据行")]


# --- good files --------------------------------------------------------------------------------

def test_good_csv_creates_people_house_household_and_history(world, reg, admin):
    audits = AuditEntry.objects.count()
    result = imported(admin, csv_file(family(reg)))
    assert (result.created, result.updated, result.unchanged, result.houses_created, result.households_created) == \
        (3, 0, 0, 1, 1)
    head = Person.objects.with_id_number(ID_A).get()
    spouse = Person.objects.with_id_number(ID_B).get()
    child = Person.objects.with_id_number(ID_C).get()
    assert (head.sex, head.birth_date, head.kind, head.phone) == ("M", date(1990, 2, 2), "floating", "13900001111")
    assert (spouse.kind, spouse.phone, child.ethnicity) == ("registered", "", "01")
    house = House.objects.get(building=reg["home"]["building"], unit="1", number="201")
    assert {p.house_id for p in (head, spouse, child)} == {house.pk} and head.grid == world.grids[0]
    household = Household.objects.get(house=house)
    assert household.head == head and household.grid == world.grids[0]
    assert [(p.household_id, p.relation) for p in (head, spouse, child)] == \
        [(household.pk, "head"), (household.pk, "spouse"), (household.pk, "child")]
    assert Person.objects.with_phone("13900001111").get() == head
    residence = Residence.objects.get(person=head)
    assert (residence.house_id, residence.moved_in, residence.moved_out) == (house.pk, date(2020, 5, 1), None)
    first = head.history.get()
    assert (first.history_type, first.history_user, first.name, first.id_number) == ("+", admin, "李四", ID_A)
    assert house.history.count() == 1 and household.history.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [head.pk])
        stored = cursor.fetchone()
    assert ID_A not in stored[0] and "13900001111" not in stored[1]
    entry = AuditEntry.objects.get(operation="registry.import_people")
    assert AuditEntry.objects.count() == audits + 1  # one audit row for the import, not one per person
    assert entry.actor == admin and entry.details["created"] == 3 and entry.details["houses_created"] == 1


def test_good_xlsx_with_excel_typed_cells(world, reg, admin):
    rows = family(reg)
    rows[0]["迁入日期"] = datetime(2021, 3, 4)  # a date cell
    rows[0]["联系电话"] = 13900001111  # a number cell
    rows[0]["房号"] = 201
    result = imported(admin, xlsx_file(rows), "人口.xlsx")
    assert result.created == 3
    head = Person.objects.with_id_number(ID_A).get()
    assert (head.phone, head.moved_in, head.house.number) == ("13900001111", date(2021, 3, 4), "201")


def test_importing_the_same_file_twice_changes_nothing(reg, admin):
    data = csv_file(family(reg))
    imported(admin, data)
    before = snapshot()
    result = imported(admin, data)
    assert (result.created, result.updated, result.unchanged, result.moved) == (0, 0, 3, 0)
    after = snapshot()
    assert after.pop("audit") == before.pop("audit") + 1 and after == before
    assert AuditEntry.objects.filter(operation="registry.import_people").order_by("id").last().details["unchanged"] == 3


def test_the_same_file_as_xlsx_after_csv_changes_nothing(reg, admin):
    imported(admin, csv_file(family(reg)))
    assert imported(admin, xlsx_file(family(reg)), "again.xlsx").unchanged == 3


def test_blank_optional_cells_keep_what_is_stored(reg, admin):
    imported(admin, csv_file(family(reg)))
    sparse = [{h: r[h] for h in ("姓名", "公民身份号码", "楼栋地址", "楼栋名称", "单元", "房号")} for r in family(reg)]
    result = imported(admin, csv_file(sparse))
    assert result.unchanged == 3
    head = Person.objects.with_id_number(ID_A).get()
    assert (head.phone, head.kind, head.relation) == ("13900001111", "floating", "head")


def test_changed_name_phone_and_kind_update_with_history(reg, admin):
    imported(admin, csv_file(family(reg)))
    rows = family(reg)
    rows[0].update(姓名="李四海", 联系电话="028-85551234", 人口类型="户籍")
    result = imported(admin, csv_file(rows))
    assert (result.updated, result.unchanged, result.moved) == (1, 2, 0)
    head = Person.objects.with_id_number(ID_A).get()
    assert (head.name, head.phone, head.kind) == ("李四海", "028-85551234", "registered")
    assert Person.objects.with_phone("028-85551234").get() == head and not Person.objects.with_phone("13900001111")
    latest = head.history.order_by("-history_id").first()
    assert (latest.history_type, latest.name, latest.phone, latest.id_number) == ("~", "李四海", "028-85551234", ID_A)
    assert Residence.objects.filter(person=head).count() == 1


def test_a_move_keeps_the_residence_history(world, reg, admin):
    imported(admin, csv_file(family(reg)))
    head = Person.objects.with_id_number(ID_A).get()
    old_house = head.house
    move = person_row(reg, "away", 房号="305", 与户主关系="", 迁入日期="2024-06-01")
    result = imported(admin, csv_file([move]))
    assert (result.updated, result.moved, result.houses_created) == (1, 1, 1)
    head.refresh_from_db()
    assert head.house.building == reg["away"]["building"] and head.grid == world.grids[4]
    assert (head.household, head.relation, head.moved_in) == (None, "", date(2024, 6, 1))
    history = list(Residence.objects.filter(person=head).order_by("id").values_list("house_id", "moved_in",
                                                                                    "moved_out"))
    assert history == [(old_house.pk, date(2020, 5, 1), date(2024, 6, 1)), (head.house_id, date(2024, 6, 1), None)]
    assert [h.grid_id for h in head.history.order_by("history_id")] == [world.grids[0].pk, world.grids[4].pk]
    assert imported(admin, csv_file([move])).unchanged == 1  # the move, imported again, is no new move


def test_someone_who_moved_out_can_be_imported_back(reg, admin):
    from wangge.registry.services import do_move_person

    person = reg["home"]["member"]
    do_move_person(admin, person, None)
    back = person_row(reg, **{"公民身份号码": person.id_number, "姓名": person.name, "与户主关系": "",
                                 "迁入日期": ""})
    assert imported(admin, csv_file([back])).moved == 1
    person.refresh_from_db()
    assert person.house.number == "201" and person.moved_out is None
    assert Residence.objects.filter(person=person, moved_out__isnull=True).count() == 1
    early = dict(back, 迁入日期="2020-01-01", 房号="202")
    assert [(line, col) for line, col, _ in rejected(admin, csv_file([early]))] == [(2, "迁入日期")]


def test_preview_counts_and_writes_nothing(reg, admin):
    imported(admin, csv_file(family(reg)[:2]))
    rows = family(reg)
    rows[1]["联系电话"] = "13700002222"
    before = snapshot()
    parsed, errors = read_people_file(csv_file(rows), "people.csv")
    result = preview_import(admin, parsed)
    assert (result.created, result.updated, result.unchanged, result.errors) == (1, 1, 1, [])
    assert snapshot() == before


def test_preview_reports_errors_without_raising(reg, admin):
    rows = family(reg)
    rows[2]["公民身份号码"] = ID_A
    parsed, errors = read_people_file(csv_file(rows), "people.csv")
    result = preview_import(admin, parsed)
    assert [(e.line, e.field) for e in result.errors] == [(4, "公民身份号码")] and result.created == 2


def test_a_new_building_is_created_from_coordinates_and_located(world, reg, admin):
    lng, lat = world.grid_center(world.grids[1])
    row = person_row(reg, 楼栋地址="新路8号", 楼栋名称="A座", 经度=lng, 纬度=lat, 坐标系="WGS-84")
    result = imported(admin, csv_file([row]))
    assert (result.buildings_created, result.houses_created, result.created) == (1, 1, 1)
    building = Building.objects.get(address="新路8号", name="A座")
    assert building.grid == world.grids[1] and building.history.count() == 1
    assert Person.objects.with_id_number(ID_A).get().grid == world.grids[1]


def test_chunks_are_written_in_one_transaction(monkeypatch, reg, admin):
    """A bad row in a late chunk leaves nothing from the early ones; the head in chunk 1 serves chunk 2."""
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    rows = family(reg) + [person_row(reg, 姓名="错", 公民身份号码=make_id_number("19700101", 5)[:-1] + "Y")]
    before = snapshot()
    assert [line for line, _, _ in rejected(admin, csv_file(rows))] == [5]
    assert snapshot() == before
    assert imported(admin, csv_file(family(reg))).created == 3
    assert Household.objects.get(head__name="李四").members.count() == 3


def test_checking_in_worker_processes_gives_the_same_rows_in_the_same_order(monkeypatch, reg, admin):
    monkeypatch.setattr(importing, "CHECK_BATCH", 2)
    rows = family(reg) + [person_row(reg, **{"公民身份号码": make_id_number("19930303", 9), "联系电话": "12"})] + \
        [person_row(reg, **{"公民身份号码": make_id_number("19940404", 9), "与户主关系": ""})]
    data = csv_file(rows)
    serial = list(importing.iter_people_file(io.BytesIO(data), "people.csv"))
    parallel = list(importing.iter_people_file(io.BytesIO(data), "people.csv", jobs=2))
    assert parallel == serial and len(serial) == 5 and [r.line for r in serial] == [2, 3, 4, 5, 6]
    assert isinstance(serial[3], importing.RowError) and serial[3].field == "联系电话"


def test_worker_processes_parse_the_lines_and_switch_to_records_at_the_first_quote(monkeypatch, reg, admin):
    """Lines go to the workers raw until one has a double quote (a quoted cell may hold a comma or a
    line break); from there the records are parsed in the reading process. Same rows either way."""
    monkeypatch.setattr(importing, "CHECK_BATCH", 2)
    ids = [make_id_number("19930303", 20 + n) for n in range(6)]
    rows = family(reg) + [person_row(reg, 公民身份号码=ids[0], 与户主关系="", 联系电话="12")]
    data = csv_file(rows) + b"\r\n,,,,\r\n" + "\r\n".join([
        f'"王,五",{ids[1]},汉族,,,"幸福路\n1号",1栋,1,101,,,,,',  # line 8, and its record runs to line 9
        f"赵六,{ids[2]},01,,,幸福路1号,1栋,1,101,,2020/05/01,,,",
        f'钱七,{ids[3]},,,"流动",幸福路1号,1栋,,102,租客,,,,',
    ]).encode() + b"\r\n"
    serial = list(importing.iter_people_file(io.BytesIO(data), "people.csv"))
    parallel = list(importing.iter_people_file(io.BytesIO(data), "people.csv", jobs=2))
    assert parallel == serial
    assert [r.line for r in serial] == [2, 3, 4, 5, 9, 10, 11]
    assert serial[4].name == "王,五" and serial[4].address == "幸福路\n1号" and serial[6].kind == "floating"


def test_worker_processes_stop_at_a_line_that_is_not_utf8(monkeypatch, reg, admin):
    monkeypatch.setattr(importing, "CHECK_BATCH", 2)
    data = csv_file(family(reg)) + ",".join(person_row(reg, 姓名="王五").values()).encode("gbk") + b"\r\n" + \
        csv_file([person_row(reg, 公民身份号码=make_id_number("19930303", 31))], headers=())[3:]
    for jobs in (1, 2):
        items = list(importing.iter_people_file(io.BytesIO(data), "people.csv", jobs=jobs))
        assert isinstance(items[-1], importing.RowError) and (items[-1].line, items[-1].field) == (5, "")
        assert "UTF-8" in items[-1].reason and [r.line for r in items[:-1]] == [2, 3]


@pytest.mark.parametrize("cells", [
    {},
    {"公民身份号码": ID_A[:-1] + "x" if ID_A.endswith("X") else ID_A, "民族": "1", "联系电话": "+86 139 0000 1111"},
    {"联系电话": "028-85551234", "人口类型": "户籍人口", "与户主关系": "妻", "迁入日期": "20200501"},
    {"民族": "", "联系电话": "", "人口类型": "", "与户主关系": "", "迁入日期": "", "单元": ""},
    {"经度": "104.01", "纬度": "30.61", "坐标系": "高德"},
    {"经度": "104.01", "纬度": "", "坐标系": "WGS84"},
    {"经度": "nan", "纬度": "30"},
    {"坐标系": "火星"},
    {"姓名": " ", "公民身份号码": ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")},
    {"公民身份号码": "510107 19900202 3014"},
    {"公民身份号码": "５１０１０７１９９００２０２３０１"},
    {"迁入日期": "1980-01-01"},
    {"迁入日期": "2099-01-01"},
    {"房号": "", "楼栋名称": "x" * 61, "单元": "123456789"},
    {"联系电话": "()"},
    {"人口类型": "registered", "民族": "藏族"},
])
def test_checking_column_by_column_gives_what_check_row_gives(reg, cells):
    """The batch check's fast path (_fast_rows) against the row-by-row rules, valid rows and not."""
    row = person_row(reg, **cells)
    header = list(HEADERS)
    positions = {c.key: header.index(c.header) for c in importing.COLUMNS}
    today = date.today()
    record = [str(row.get(h, "")) for h in header]
    by_row = importing.check_row(7, {key: record[i] for key, i in positions.items()}, today)
    assert importing._check_batch([(7, record)], positions, today) == (
        [by_row] if isinstance(by_row, importing.PersonRow) else by_row)
    # a workbook's typed cells take the row-by-row path, with the same result
    typed = [datetime(2020, 5, 1) if h == "迁入日期" else None if v == "" else v for h, v in zip(header, record)]
    by_row = importing.check_row(7, {key: typed[i] for key, i in positions.items()}, today)
    assert importing._check_batch([(7, typed)], positions, today) == (
        [by_row] if isinstance(by_row, importing.PersonRow) else by_row)


# --- bad input: a clear message per field or row, and nothing written -------------------------

def _wrong_check_digit():
    good = make_id_number("19900202", 311)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


@pytest.mark.parametrize("cells,column,fragment", [
    ({"公民身份号码": _wrong_check_digit()}, "公民身份号码", "校验位错误"),
    ({"公民身份号码": "510107199002301234"}, "公民身份号码", "出生日期不存在"),
    ({"公民身份号码": "51010719800202"}, "公民身份号码", "身份证号须为 18 位"),
    ({"民族": "99"}, "民族", "未知民族代码"),
    ({"联系电话": "12345"}, "联系电话", "不是有效的电话号码"),
    ({"人口类型": "外星"}, "人口类型", "人口类型应为 户籍/流动/境外/人户分离"),
    ({"与户主关系": "邻居"}, "与户主关系", "与户主关系应为 "),
    ({"迁入日期": "2020-13-45"}, "迁入日期", "日期格式应为 2020-05-01"),
    ({"迁入日期": "2099-01-01"}, "迁入日期", "迁入日期在未来"),
    ({"迁入日期": "1970-01-01"}, "迁入日期", "迁入日期早于出生日期"),
    ({"姓名": ""}, "姓名", "姓名为空或过长"),
    ({"房号": ""}, "房号", "必填"),
    ({"楼栋地址": "不存在路1号"}, "楼栋地址", "房屋不在您的辖区"),
    ({"经度": "104.5"}, "经度", "经度、纬度须同时填写且为有效数字"),
    ({"坐标系": "火星"}, "坐标系", "坐标系应为 WGS-84 / GCJ-02 / BD-09"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_cell_is_reported_with_line_and_column_and_nothing_written(reg, admin, cells, column, fragment):
    rows = family(reg)[:2] + [person_row(reg, **{"公民身份号码": ID_C, "与户主关系": "", **cells})]
    before = snapshot()
    errors = rejected(admin, csv_file(rows))
    assert [(line, col) for line, col, _ in errors] == [(4, column)], errors
    assert fragment in errors[0][2]
    assert snapshot() == before


def test_every_bad_field_of_a_row_is_reported(reg, admin):
    rows = [person_row(reg, 民族="99", 联系电话="12345", 公民身份号码=_wrong_check_digit())]
    errors = rejected(admin, csv_file(rows))
    assert [(line, col) for line, col, _ in errors] == [(2, "公民身份号码"), (2, "民族"), (2, "联系电话")]


def test_a_duplicate_id_number_is_an_error_on_the_second_line(reg, admin):
    rows = family(reg) + [person_row(reg, 姓名="李四重复", 与户主关系="")]
    before = snapshot()
    assert rejected(admin, csv_file(rows)) == [(5, "公民身份号码", "与第 2 行的身份证号重复")]
    assert snapshot() == before


def test_a_house_outside_the_importers_area_is_refused(world, reg):
    operator = world.users[Role.COMMUNITY_OPERATOR]  # community of grids 0-1; the "away" building is in grid 4
    rows = [person_row(reg), person_row(reg, "away", 姓名="外人", 公民身份号码=ID_B, 与户主关系="")]
    before = snapshot()
    errors = rejected(operator, csv_file(rows))
    assert [(line, col) for line, col, _ in errors] == [(3, "楼栋地址")] and "房屋不在您的辖区" in errors[0][2]
    assert snapshot() == before


def test_a_person_registered_in_another_area_is_not_moved_by_an_outsider(world, reg):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    stranger = reg["away"]["head"]
    errors = rejected(operator, csv_file([person_row(reg, 姓名=stranger.name, 公民身份号码=stranger.id_number)]))
    assert [(line, col) for line, col, _ in errors] == [(2, "公民身份号码")] and "辖区以外" in errors[0][2]
    stranger.refresh_from_db()
    assert stranger.house == reg["away"]["house"]


def test_new_building_coordinates_outside_the_area_are_refused(world, reg):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    lng, lat = world.grid_center(world.grids[5])
    errors = rejected(operator, csv_file([person_row(reg, 楼栋地址="新路9号", 经度=lng, 纬度=lat)]))
    assert [(line, col) for line, col, _ in errors] == [(2, "楼栋地址")] and "房屋不在您的辖区" in errors[0][2]
    assert not Building.objects.filter(address="新路9号").exists()


def test_a_member_listed_before_any_head_is_refused(reg, admin):
    rows = family(reg)
    errors = rejected(admin, csv_file([rows[1], rows[0]]))
    assert [(line, col) for line, col, _ in errors] == [(2, "与户主关系")]


def test_missing_required_columns_are_named(reg, admin):
    headers = [h for h in HEADERS if h not in ("公民身份号码", "房号")]
    assert rejected(admin, csv_file(family(reg), headers)) == [
        (1, "公民身份号码", "缺少必填列"),
        (1, "房号", "缺少必填列")]


def test_a_csv_that_is_not_utf8_is_refused_on_its_line(reg, admin):
    good = csv_file(family(reg)[:1])
    data = good + (",".join(str(v) for v in person_row(reg, 姓名="王五", 公民身份号码=ID_B).values()) + "\r\n").encode(
        "gbk")
    errors = rejected(admin, data)
    assert [(line, col) for line, col, _ in errors] == [(3, "")] and "UTF-8" in errors[0][2]
    gbk_only = csv_file(family(reg)).decode("utf-8-sig").encode("gbk")
    assert [line for line, _, _ in rejected(admin, gbk_only)] == [1]
    assert not Person.objects.with_id_number(ID_A).exists()


@pytest.mark.parametrize("data,filename,fragment", [
    (b"this is not a zip", "people.xlsx", "不是有效的 .xlsx 文件"),
    (b"PK\x03\x04broken", "people.xlsx", "不是有效的 .xlsx 文件"),
    (b"\xd0\xcf\x11\xe0 an old xls", "people.xls", "只能导入 .xlsx 或 .csv 文件"),
    (b"", "people.csv", "文件为空"),
])
def test_a_file_that_cannot_be_read_is_refused(reg, admin, data, filename, fragment):
    before = snapshot()
    errors = rejected(admin, data, filename)
    assert len(errors) == 1 and errors[0][0] == 1 and fragment in errors[0][2]
    assert snapshot() == before


def test_an_id_number_excel_turned_into_a_number_is_explained(reg, admin):
    rows = family(reg)[:1]
    rows[0]["公民身份号码"] = float(ID_A[:17] + "0")
    errors = rejected(admin, xlsx_file(rows), "people.xlsx")
    assert [(line, col) for line, col, _ in errors] == [(2, "公民身份号码")] and "文本" in errors[0][2]


def test_only_importers_may_import_or_preview(world, reg):
    worker = world.users[Role.GRID_WORKER]
    rows, _ = read_people_file(csv_file(family(reg)), "people.csv")
    with pytest.raises(OperationError):
        do_import_people(worker, rows)
    with pytest.raises(OperationError):
        preview_import(worker, rows)
    assert not Person.objects.with_id_number(ID_A).exists()


def test_the_error_report_round_trips_through_openpyxl(reg, admin):
    rows = family(reg)
    rows[1]["联系电话"] = "12345"
    rows[2]["公民身份号码"] = ID_A
    parsed, errors = read_people_file(csv_file(rows), "people.csv")
    result = preview_import(admin, parsed, errors)
    sheet = load_workbook(io.BytesIO(error_report_xlsx(result.errors))).worksheets[0]
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == ("行号", "列", "原因")
    assert [(line, column) for line, column, _ in got[1:]] == [(3, "联系电话"), (4, "公民身份号码")]
    assert got[2][2].startswith("与第 2 行")


# --- the command -------------------------------------------------------------------------------

def test_command_imports_and_prints_counts(tmp_path, reg, admin):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file(family(reg)))
    out = io.StringIO()
    call_command("import_people", str(path), "--as", "admin", stdout=out)
    assert "created 3" in out.getvalue() and Person.objects.with_id_number(ID_A).exists()
    assert AuditEntry.objects.get(operation="registry.import_people").actor == admin


def test_command_dry_run_writes_nothing(tmp_path, reg):
    path = tmp_path / "people.xlsx"
    path.write_bytes(xlsx_file(family(reg)))
    before = snapshot()
    out = io.StringIO()
    call_command("import_people", str(path), "--dry-run", stdout=out)
    assert "would" in out.getvalue() and "created 3" in out.getvalue()
    assert snapshot() == before


def test_command_refuses_a_bad_file_with_line_and_column(tmp_path, reg):
    rows = family(reg)
    rows[1]["联系电话"] = "12345"
    path, report = tmp_path / "bad.csv", tmp_path / "errors.xlsx"
    path.write_bytes(csv_file(rows))
    before = snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_people", str(path), "--report", str(report), stderr=err)
    assert f"{path}: line 3, 联系电话: 不是有效的电话号码" in err.getvalue()
    assert snapshot() == before
    assert list(load_workbook(report).worksheets[0].iter_rows(values_only=True))[1][:2] == (3, "联系电话")


def test_command_exit_status_is_non_zero(tmp_path, reg):
    """Through `python -m wangge` as a shell would run it."""
    import os
    import subprocess
    import sys

    path = tmp_path / "bad.csv"
    path.write_bytes(csv_file(family(reg), [h for h in HEADERS if h != "姓名"]))
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-m", "wangge", "import_people", str(path), "--dry-run"],
                          capture_output=True, text=True, env=env, cwd=str(root), timeout=120)
    assert done.returncode != 0
    assert "line 1, 姓名: 缺少必填列" in done.stderr


def test_command_as_an_unknown_or_unpermitted_user(tmp_path, world, reg):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file(family(reg)))
    with pytest.raises(CommandError, match="no such active user"):
        call_command("import_people", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="无权操作"):
        call_command("import_people", str(path), "--as", "gridder")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_people", str(tmp_path / "missing.csv"))
