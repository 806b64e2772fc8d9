"""Exporting people: scoped, masked by default, unmasked only for administrators with a reason; all audited."""
import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from wangge.core.models import AuditEntry
from wangge.core.personal import mask_id_number, mask_phone
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.registry.exporting import EXPORT_HEADERS, export_people
from wangge.registry.importing import read_people_file
from wangge.registry.services import do_import_people
from wangge.testing import build_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg(world):
    return build_registry(world)


def as_rows(export) -> list[dict]:
    return list(csv.DictReader(io.StringIO(export.read().decode("utf-8-sig"))))


def exports():
    return list(AuditEntry.objects.filter(operation="registry.export_people").order_by("id"))


def test_export_is_masked_by_default_and_audited(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    head = reg["home"]["head"]
    export = export_people(admin, "csv")
    text = export.read().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(EXPORT_HEADERS) and export.count == len(rows) == 4
    assert head.id_number not in text and "13800001111" not in text
    mine = next(r for r in rows if r["姓名"] == head.name)
    assert mine["公民身份号码"] == mask_id_number(head.id_number) and mine["联系电话"] == mask_phone("13800001111")
    assert (mine["楼栋名称"], mine["单元"], mine["房号"], mine["与户主关系"], mine["性别"]) == (
        "1栋", "1", "101", "户主", "男")
    [entry] = exports()
    assert entry.actor == admin and entry.details == {"format": "csv", "unmasked": False, "reason": "", "count": 4}


def test_unmasked_only_for_administrators_with_a_reason(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    head = reg["home"]["head"]
    text = export_people(admin, "csv", unmasked=True, reason="公安核查协查函 2026-17").read().decode("utf-8-sig")
    assert head.id_number in text and "13800001111" in text
    assert exports()[-1].details == {"format": "csv", "unmasked": True, "reason": "公安核查协查函 2026-17", "count": 4}
    with pytest.raises(OperationError, match="导出未脱敏数据须说明理由"):
        export_people(admin, "csv", unmasked=True, reason="  ")
    for role in (Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR):
        with pytest.raises(OperationError, match="只有管理员可以导出未脱敏数据"):
            export_people(world.users[role], "csv", unmasked=True, reason="想看看")
    assert len(exports()) == 1  # refusals export nothing and leave no export row


def test_export_is_scoped_to_the_users_area(world, reg):
    home = {reg["home"]["head"].name, reg["home"]["member"].name}
    away = {reg["away"]["head"].name, reg["away"]["member"].name}
    names = lambda user: {r["姓名"] for r in as_rows(export_people(user, "csv"))}  # noqa: E731
    assert names(world.users[Role.COMMUNITY_OPERATOR]) == home
    assert names(world.users[Role.STREET_OPERATOR]) == home
    assert names(world.outsiders[Role.COMMUNITY_OPERATOR]) == away
    assert names(world.users[Role.DISTRICT_OPERATOR]) == home | away
    assert exports()[0].details["count"] == 2


def test_grid_workers_and_others_cannot_export(world, reg):
    for role in (Role.GRID_WORKER, Role.DEPARTMENT_HANDLER, Role.MEDIATOR):
        with pytest.raises(OperationError, match="无权导出"):
            export_people(world.users[role], "csv")
    with pytest.raises(OperationError, match="无权导出"):
        export_people(world.outsiders[Role.GRID_WORKER], "xlsx")
    assert exports() == []


def test_xlsx_export_is_a_workbook_with_text_cells(world, reg):
    export = export_people(world.users[Role.COMMUNITY_OPERATOR], "xlsx")
    assert export.filename.endswith(".xlsx") and "spreadsheetml" in export.content_type
    sheet = load_workbook(io.BytesIO(export.read())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_HEADERS and len(rows) == 3
    head = reg["home"]["head"]
    assert (head.name, mask_id_number(head.id_number)) in {(r[0], r[1]) for r in rows[1:]}


def test_an_unmasked_export_imports_back_unchanged(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    data = export_people(admin, "xlsx", unmasked=True, reason="备份").read()
    rows, errors = read_people_file(data, "people.xlsx")
    assert errors == []
    result = do_import_people(admin, rows)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)


def test_a_masked_export_cannot_be_imported_as_if_it_were_real(world, reg):
    admin = world.users[Role.ADMINISTRATOR]
    rows, errors = read_people_file(export_people(admin, "csv").read(), "people.csv")
    assert rows == [] and sorted({(e.line, e.field) for e in errors if e.field == "公民身份号码"}) == \
        [(line, "公民身份号码") for line in range(2, 6)]


def test_unknown_format_is_refused(world):
    with pytest.raises(OperationError, match="格式应为 csv / xlsx"):
        export_people(world.users[Role.ADMINISTRATOR], "pdf")


def test_command_exports_masked_csv_to_stdout(world, reg):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_people", "--as", "community_op", stdout=out, stderr=err)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["姓名"] for r in rows} == {reg["home"]["head"].name, reg["home"]["member"].name}
    assert reg["home"]["head"].id_number not in out.getvalue()
    assert "exported 2 people" in err.getvalue()
    assert exports()[-1].actor == world.users[Role.COMMUNITY_OPERATOR]


def test_command_unmasked_xlsx_needs_an_administrator_and_a_reason(tmp_path, world, reg):
    path = tmp_path / "people.xlsx"
    with pytest.raises(CommandError, match="导出未脱敏数据须说明理由"):
        call_command("export_people", "-o", str(path), "--as", "admin", "--unmasked")
    with pytest.raises(CommandError, match="只有管理员可以导出未脱敏数据"):
        call_command("export_people", "-o", str(path), "--as", "district_op", "--unmasked", "--reason", "核查")
    with pytest.raises(CommandError, match="无权导出"):
        call_command("export_people", "-o", str(path), "--as", "gridder")
    assert not path.exists() and exports() == []
    call_command("export_people", "-o", str(path), "--as", "admin", "--unmasked", "--reason", "核查",
                 stderr=io.StringIO())
    values = {cell for row in load_workbook(path).worksheets[0].iter_rows(values_only=True) for cell in row}
    assert reg["away"]["head"].id_number in values
    assert exports()[-1].details["unmasked"] is True and exports()[-1].details["reason"] == "核查"


def test_command_xlsx_needs_an_output_file(world):
    with pytest.raises(CommandError, match="-o"):
        call_command("export_people", "--format", "xlsx")
