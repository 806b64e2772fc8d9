"""12345 hotline work orders (12345 工单) from an .xlsx file with Chinese headers.

`read_workorders(data)` reads the workbook and checks each row on its own (required cells, numbers, dates,
the category); `do_import_workorders(actor, rows)` then reports each order as a case (channel
hotline_12345, `external_id` = 工单编号) through `services.do_report_case`, in one transaction: any row
refused (by the reader or by the operation: a point outside the operator's area, a bad phone) and nothing
is written, and every error is listed with its line, column and reason (`ImportRejected`). A 工单编号
already received is not an error: the row is skipped and listed as already received, so importing the
same export twice creates nothing the second time.
"""
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.areas.crs import BD09, GCJ02, WGS84
from wangge.cases.models import Case, Category, Channel, Priority
from wangge.core import audit
from wangge.core.importing import Column, ImportRejected, RowError, read_header
from wangge.core.importing import template_xlsx as build_template
from wangge.core.roles import OPERATORS
from wangge.core.services import OperationError

COLUMNS = (
    Column("工单编号", "external_id", True, "12345 平台的工单号，同一工单重复导入不会重复受理", "GD2025030100123",
           text=True),
    Column("受理时间", "received_at", False, "如 2025-03-01 09:30；留空为导入时间。办理时限从此时起算",
           "2025-03-01 09:30"),
    Column("诉求人", "reporter_name", False, "不超过 50 个字", "张先生"),
    Column("联系电话", "reporter_phone", False, "11 位手机号或带区号的固定电话；办结后将短信邀请评价", "13800001111",
           text=True),
    Column("诉求标题", "title", True, "不超过 200 个字", "小区门口垃圾未清运"),
    Column("诉求内容", "description", False, "诉求的详细描述", "幸福路1号小区门口垃圾堆放两天无人清运"),
    Column("事项类别", "category", True, "5 位事项代码（大类2位+小类3位，如 01001）或小类名称（如 暴露垃圾）", "01001",
           text=True),
    Column("地址", "address", False, "不超过 200 个字", "武侯区幸福路1号"),
    Column("经度", "lng", True, "事发位置经度", "104.005"),
    Column("纬度", "lat", True, "事发位置纬度", "30.605"),
    Column("坐标系", "crs", False, "WGS-84（默认）/ GCJ-02（高德、腾讯、微信）/ BD-09（百度）", "WGS-84",
           choices=("WGS-84", "GCJ-02", "BD-09")),
    Column("紧急程度", "priority", False, "一般 / 紧急；留空按事项类别的默认", "一般", choices=("一般", "紧急")),
)
HEADERS = tuple(c.header for c in COLUMNS)
HEADER_OF = {c.key: c.header for c in COLUMNS}
SHEET = "12345工单"
CRS_BY_TEXT = {"": WGS84, "WGS-84": WGS84, "WGS84": WGS84, "GCJ-02": GCJ02, "GCJ02": GCJ02, "高德": GCJ02,
               "腾讯": GCJ02, "BD-09": BD09, "BD09": BD09, "百度": BD09}
PRIORITY_BY_TEXT = {"": None, "一般": Priority.NORMAL, "普通": Priority.NORMAL, "正常": Priority.NORMAL,
                    "紧急": Priority.URGENT, "加急": Priority.URGENT, "特急": Priority.URGENT,
                    Priority.NORMAL: Priority.NORMAL, Priority.URGENT: Priority.URGENT}
# What an operation's refusal is about, as the column a person fixes.
FIELD_HEADERS = {**HEADER_OF, "location": "经度", "grid": "经度", "channel": "工单编号"}
NOTES = (
    "每行一个工单；第一行为表头，列的顺序可以不同，未列出的列会被忽略。",
    "任何一行有错误，整个文件都不会导入；请按错误报告（行号、列、原因）改正后重新导入。",
    "已导入过的工单编号会被跳过并提示“已受理”，不会重复立案。",
    "位置须在您的辖区内，系统按经纬度自动定位到网格。",
    "示例行为虚构数据，导入前请删除。",
)


@dataclass
class WorkOrder:
    line: int
    external_id: str
    received_at: datetime | None
    reporter_name: str
    reporter_phone: str
    title: str
    description: str
    category: Category
    address: str
    lng: float
    lat: float
    crs: str
    priority: str | None


@dataclass
class ImportResult:
    created: list = field(default_factory=list)  # case numbers
    already: list = field(default_factory=list)  # (line, 工单编号, case number)

    def summary(self) -> str:
        return f"imported {len(self.created)}, already received {len(self.already)} / 导入 {len(self.created)} 件，" \
               f"已受理 {len(self.already)} 件"


class FileProblem(Exception):
    pass


def template_xlsx() -> bytes:
    """The empty template with one synthetic example row, and a sheet 说明 explaining each column."""
    categories = Category.objects.filter(active=True, major__active=True).select_related("major")
    return build_template(SHEET, COLUMNS, NOTES, example_row=True, reference=(
        ("事项代码", "事项名称"), ((c.full_code, f"{c.major.name} / {c.name}") for c in categories)))


# --- reading -------------------------------------------------------------------------------------


def _records(data: bytes):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise FileProblem("不是有效的 .xlsx 文件（旧版 .xls 请另存为 .xlsx）/ not an .xlsx workbook")
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        return list(enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
    finally:
        book.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).strip()


def _categories():
    by_code, by_name = {}, {}
    for category in Category.objects.filter(active=True, major__active=True).select_related("major"):
        by_code[category.full_code] = category
        by_name.setdefault(category.name, []).append(category)
    return by_code, by_name


def _category(text, by_code, by_name):
    if text.isdigit():
        found = by_code.get(text.zfill(5))
        if found is None:
            raise ValueError(_("Unknown category code %(code)s") % {"code": text})
        return found
    named = by_name.get(text, [])
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        codes = "、".join(c.full_code for c in named)
        raise ValueError(f"小类名称“{text}”不唯一，请填写事项代码（{codes}）/ ambiguous name: give the code")
    raise ValueError(_("Unknown category “%(name)s”") % {"name": text})


def _received_at(value, now):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9, 0))
    else:
        text = str(value).strip().replace("/", "-").replace("T", " ")
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(_("Not a date and time (like 2025-03-01 09:30)"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now:
        raise ValueError(_("Received later than now"))
    return moment


def _number(text, low, high, what):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(_("%(what)s is not a number") % {"what": what}) from None
    if not low <= value <= high:
        raise ValueError(_("%(what)s is out of range") % {"what": what})
    return value


def read_workorders(data: bytes, now=None) -> tuple[list[WorkOrder], list[RowError]]:
    """The rows understood and the errors found; nothing touches the cases."""
    now = now or timezone.now()
    try:
        records = _records(data)
    except FileProblem as exc:
        return [], [RowError(1, str(exc))]
    if not records:
        return [], [RowError(1, _("The file is empty"))]
    line, header = records[0]
    positions, errors = read_header(line, header, COLUMNS)
    if errors:
        return [], errors
    by_code, by_name = _categories()
    rows, seen = [], {}
    for line, record in records[1:]:
        raw = {key: record[i] if i < len(record) else None for key, i in positions.items()}
        cells = {key: _text(value) for key, value in raw.items()}
        if not any(cells.values()):
            continue  # blank lines between blocks are common in exports
        row_errors = []

        def refuse(key, reason):
            row_errors.append(RowError(line, reason, HEADER_OF[key]))

        for column in COLUMNS:
            if column.required and not cells.get(column.key):
                refuse(column.key, _("Required"))
        values = {}
        checks = {
            "received_at": lambda: _received_at(raw.get("received_at"), now),
            "category": lambda: _category(cells["category"], by_code, by_name) if cells.get("category") else None,
            "lng": lambda: _number(cells["lng"], -180, 180, "经度") if cells.get("lng") else None,
            "lat": lambda: _number(cells["lat"], -90, 90, "纬度") if cells.get("lat") else None,
        }
        for key, check in checks.items():
            try:
                values[key] = check()
            except ValueError as exc:
                refuse(key, str(exc))
        crs = CRS_BY_TEXT.get(cells.get("crs", "").upper().replace(" ", ""))
        if crs is None:
            refuse("crs", _("The coordinate system is one of WGS-84, GCJ-02, BD-09"))
        priority_text = cells.get("priority", "")
        if priority_text not in PRIORITY_BY_TEXT:
            refuse("priority", _("Priority is 一般 (normal) or 紧急 (urgent)"))
        for key, limit in (("external_id", 64), ("title", 200), ("reporter_name", 50), ("address", 200)):
            if len(cells.get(key, "")) > limit:
                refuse(key, _("At most %(limit)s characters") % {"limit": limit})
        external_id = cells.get("external_id", "")
        if external_id in seen:
            refuse("external_id", _("The same work-order number as line %(line)s") % {"line": seen[external_id]})
        elif external_id:
            seen[external_id] = line
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(WorkOrder(
            line=line, external_id=external_id, received_at=values["received_at"],
            reporter_name=cells.get("reporter_name", ""), reporter_phone=cells.get("reporter_phone", ""),
            title=cells["title"], description=cells.get("description", ""), category=values["category"],
            address=cells.get("address", ""), lng=values["lng"], lat=values["lat"], crs=crs,
            priority=PRIORITY_BY_TEXT[priority_text]))
    return rows, errors


# --- importing -----------------------------------------------------------------------------------


def do_import_workorders(actor, rows: list[WorkOrder], errors: list[RowError] = ()) -> ImportResult:
    """Report every new work order as a case, all or nothing; already received ones are listed, not redone."""
    from wangge.cases import services

    if actor is None or actor.role not in OPERATORS or not actor.is_active:
        raise OperationError(_("Only command-centre operators import 12345 work orders"), field="user")
    errors = list(errors)
    result = ImportResult()
    received = dict(Case.objects.filter(channel=Channel.HOTLINE_12345, external_id__in=[r.external_id for r in rows])
                    .values_list("external_id", "number"))
    with transaction.atomic():
        for row in rows:
            if row.external_id in received:
                result.already.append((row.line, row.external_id, received[row.external_id]))
                continue
            try:
                case = services.do_report_case(
                    actor, category=row.category, title=row.title, description=row.description, lng=row.lng,
                    lat=row.lat, crs=row.crs, channel=Channel.HOTLINE_12345, reporter_name=row.reporter_name,
                    reporter_phone=row.reporter_phone, priority=row.priority, address=row.address,
                    external_id=row.external_id, now=row.received_at)
            except OperationError as exc:
                errors.append(RowError(row.line, exc.message, FIELD_HEADERS.get(exc.field or "", "")))
                continue
            result.created.append(case.number)
        if errors:
            raise ImportRejected(sorted(errors, key=lambda e: e.line))
        audit.record(actor, "cases.import_workorders", None, created=len(result.created),
                     already=[external_id for _line, external_id, _number in result.already])
    return result
