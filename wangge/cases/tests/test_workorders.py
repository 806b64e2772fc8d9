"""12345 work orders: the template, a good import, bad rows (reported, nothing written), re-import."""
import io
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from wangge.cases.models import Case, CaseCounter, Channel, Priority
from wangge.cases.workorders import HEADERS, do_import_workorders, read_workorders
from wangge.core.importing import ImportRejected
from wangge.core.models import AuditEntry, SmsMessage
from wangge.core.roles import Role


def workbook(rows, headers=HEADERS) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def order(world, number="GD001", grid=0, **cells):
    lng, lat = world.grid_center(world.grids[grid])
    values = {"工单编号": number, "受理时间": "2025-03-03 09:30", "诉求人": "张先生", "联系电话": "13800001111",
              "诉求标题": "小区门口垃圾未清运", "诉求内容": "两天无人清运", "事项类别": "01001", "地址": "幸福路1号",
              "经度": lng, "纬度": lat, "坐标系": "", "紧急程度": ""}
    values.update(cells)
    return [values[h] for h in HEADERS]


@pytest.fixture
def op(world):
    return world.users[Role.DISTRICT_OPERATOR]


def run(op, data):
    rows, errors = read_workorders(data)
    return do_import_workorders(op, rows, errors)


def test_a_good_file_imports_every_order(world, op):
    data = workbook([order(world, "GD001"), order(world, "GD002", grid=5, 事项类别="暴露垃圾", 紧急程度="紧急"),
                     [None] * len(HEADERS),  # a blank line is skipped
                     order(world, "GD003", 受理时间=datetime(2025, 3, 4, 8, 0), 联系电话="")])
    result = run(op, data)
    assert len(result.created) == 3 and result.already == []
    cases = {c.external_id: c for c in Case.objects.filter(channel=Channel.HOTLINE_12345)}
    assert sorted(cases) == ["GD001", "GD002", "GD003"]
    first = cases["GD001"]
    assert first.grid == world.grids[0] and first.reporter == op and first.reporter_phone == "13800001111"
    assert first.category.full_code == "01001" and first.title == "小区门口垃圾未清运"
    assert timezone.localtime(first.reported_at).strftime("%Y-%m-%d %H:%M") == "2025-03-03 09:30"
    assert first.handle_by > first.reported_at
    assert cases["GD002"].grid == world.grids[5] and cases["GD002"].priority == Priority.URGENT
    assert cases["GD003"].reporter_phone == ""
    assert AuditEntry.objects.filter(operation="cases.import_workorders").count() == 1


def test_gcj02_coordinates_are_converted(world, op):
    from wangge.areas import crs

    lng, lat = world.grid_center(world.grids[2])
    # the GCJ-02 reading of the WGS-84 centre: converting back lands in the same grid
    g_lng, g_lat = crs.coord.wgs84_to_gcj02(lng, lat)
    run(op, workbook([order(world, "GD010", 经度=g_lng, 纬度=g_lat, 坐标系="GCJ-02")]))
    case = Case.objects.get(external_id="GD010")
    assert case.grid == world.grids[2] and abs(case.lng - lng) < 1e-4


def test_bad_rows_are_reported_with_line_and_column_and_nothing_changes(world, op):
    before_cases, before_counters = Case.objects.count(), list(CaseCounter.objects.values_list("day", "last"))
    data = workbook([
        order(world, "GD101"),  # good, but the file is refused as a whole
        order(world, "GD102", 诉求标题=""),
        order(world, "GD103", 事项类别="99999"),
        order(world, "GD104", 经度="东经104度"),
        order(world, "GD105", 受理时间="2999-01-01 08:00"),
        order(world, "GD101"),  # repeated in the file
        order(world, "GD106", 联系电话="12345"),  # refused by the operation, not the reader
        order(world, "GD107", 坐标系="火星"),
        order(world, "GD108", 紧急程度="很急"),
        order(world, "GD109", 事项类别="不存在的小类"),
    ])
    with pytest.raises(ImportRejected) as refused:
        run(op, data)
    found = {(e.line, e.field) for e in refused.value.errors}
    assert found == {(3, "诉求标题"), (4, "事项类别"), (5, "经度"), (6, "受理时间"), (7, "工单编号"), (8, "联系电话"),
                     (9, "坐标系"), (10, "紧急程度"), (11, "事项类别")}
    assert all(e.reason for e in refused.value.errors)
    assert Case.objects.count() == before_cases
    assert list(CaseCounter.objects.values_list("day", "last")) == before_counters
    assert not SmsMessage.objects.exists()


def test_a_point_outside_the_operators_area_is_refused(world):
    street_op = world.users[Role.STREET_OPERATOR]  # street 1; grid 4 is in street 2
    with pytest.raises(ImportRejected) as refused:
        run(street_op, workbook([order(world, "GD201"), order(world, "GD202", grid=4)]))
    assert [(e.line, e.field) for e in refused.value.errors] == [(3, "经度")]
    assert not Case.objects.filter(channel=Channel.HOTLINE_12345).exists()


def test_missing_columns_and_not_a_workbook(world, op):
    rows, errors = read_workorders(workbook([], headers=("工单编号", "诉求标题")))
    assert {e.field for e in errors} == {"事项类别", "经度", "纬度"} and all(e.line == 1 for e in errors)
    rows, errors = read_workorders(b"not a zip")
    assert len(errors) == 1 and ".xlsx" in errors[0].reason


def test_reimport_is_reported_as_already_received_not_duplicated(world, op):
    data = workbook([order(world, "GD301"), order(world, "GD302")])
    first = run(op, data)
    again = run(op, workbook([order(world, "GD301"), order(world, "GD302"), order(world, "GD303")]))
    assert [external_id for _line, external_id, _number in again.already] == ["GD301", "GD302"]
    assert [number for *_rest, number in again.already] == first.created
    assert len(again.created) == 1
    assert Case.objects.filter(channel=Channel.HOTLINE_12345).count() == 3


def test_only_operators_import(world):
    rows, errors = read_workorders(workbook([order(world, "GD401")]))
    from wangge.core.services import OperationError

    with pytest.raises(OperationError):
        do_import_workorders(world.users[Role.GRID_WORKER], rows, errors)
    assert not Case.objects.filter(external_id="GD401").exists()


def test_commands_template_import_reimport_and_report(world, op, tmp_path):
    template = tmp_path / "template.xlsx"
    call_command("workorder_template", str(template), stdout=io.StringIO())
    rows, errors = read_workorders(template.read_bytes())
    assert errors == [] and len(rows) == 1  # the synthetic example row reads cleanly
    from openpyxl import load_workbook

    book = load_workbook(template)
    assert tuple(c.value for c in book.worksheets[0][1]) == HEADERS and "说明" in book.sheetnames

    good = tmp_path / "orders.xlsx"
    good.write_bytes(workbook([order(world, "GD501"), order(world, "GD502")]))
    out = io.StringIO()
    call_command("import_workorders", str(good), "--user", op.username, "--dry-run", stdout=out)
    assert "nothing written" in out.getvalue() and not Case.objects.filter(external_id="GD501").exists()
    out = io.StringIO()
    call_command("import_workorders", str(good), "--user", op.username, stdout=out)
    assert "imported 2, already received 0" in out.getvalue()
    out = io.StringIO()
    call_command("import_workorders", str(good), "--user", op.username, stdout=out)
    assert "imported 0, already received 2" in out.getvalue() and "GD501 already received" in out.getvalue()

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([order(world, "GD601", 诉求标题="")]))
    report = tmp_path / "errors.xlsx"
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_workorders", str(bad), "--user", op.username, "--report", str(report), stderr=err)
    assert "line 2, 诉求标题" in err.getvalue()
    sheet = load_workbook(report).worksheets[0]
    assert [c.value for c in sheet[2]] == [2, "诉求标题", "必填"]
    with pytest.raises(CommandError):
        call_command("import_workorders", str(tmp_path / "missing.xlsx"), "--user", op.username)
    assert Case.objects.filter(channel=Channel.HOTLINE_12345).count() == 2
