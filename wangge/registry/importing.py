"""Importing people (实有人口) from .xlsx and .csv files with Chinese headers.

Three steps, each usable on its own by the command line, the pages and the API:

1. `read_people_file(data, filename) -> (rows, errors)` (or the streaming
   `iter_people_file`) reads the file and checks every row on its own, with
   `clean_person` — the same rules as every other way a person is registered.
   An error names the line, the column (its Chinese header) and the reason.
2. `preview_import(actor, rows)` (dry run) adds the checks that need the
   database — the building must be in the importer's area, an ID number may
   appear once per file — and counts what would be created, updated and left
   unchanged. It writes nothing.
3. `services.do_import_people(actor, rows)` does the same and writes, all or
   nothing, in one transaction: upsert keyed by the ID number's keyed hash,
   moves that keep the residence history, one audit row for the whole import.

How rows find their house: a row names an existing building by 楼栋地址 +
楼栋名称, which must be in the importer's area ("房屋不在您的辖区" otherwise);
the house (单元 + 房号) is created in it when missing. A building not yet
registered is created only when the row gives its coordinates (经度/纬度), and
only if they locate into the importer's area.

For an already registered person, optional cells left blank keep what is
stored; a different house is a move (the open residence is closed, a new one
opened, as `do_move_person` does).

Speed (bench/import_people.py, docs/performance.md): rows are checked in
batches, column by column, each distinct value once (`_fast_rows`); only rows
that may fail go through check_row, which names every problem. Big files are
checked in worker processes, which get a CSV's raw lines and parse them
themselves. AES-GCM and HMAC per value, nonces drawn per batch. Everything else
is done per chunk of rows — people are fetched by hash in batches, buildings
and houses are cached, coordinates are located in one call, and new rows are
written as tuples by the one bulk writer (`wangge.core.bulk`: COPY on
PostgreSQL, executemany on SQLite, primary keys reserved up front so rows can
point at each other without a read-back, the tables analysed at the end); their
simple-history rows and new people's residences are then made in SQL from the
rows just written (docs/decisions/0005-import-history-in-sql.md).
"""
import io
import itertools
import json
import operator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import BooleanField, TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from wangge.areas import locate as locating
from wangge.areas.crs import BD09, GCJ02, WGS84, to_wgs84_many
from wangge.areas.models import Region
from wangge.core.bulk import BulkWriter, Ids, Table
from wangge.core.crypto import encrypt, encrypt_many, lookup_hash, lookup_hashes
from wangge.core.importing import (  # noqa: F401 (RowError, ImportRejected, error_report_xlsx: this module's API)
    Column,
    ImportRejected,
    RowError,
    error_report_xlsx,
    read_header,
    xlsx_records,
)
from wangge.core.importing import FileProblem as _FileProblem
from wangge.core.importing import cell_text as _text
from wangge.core.importing import csv_records as _csv_records
from wangge.core.importing import parse_date as _parse_date
from wangge.core.importing import template_xlsx as build_template
from wangge.core.personal import clean_phone
from wangge.core.roles import can
from wangge.core.scoping import ALL, scope_prefix
from wangge.core.services import OperationError
from wangge.registry.codes import ETHNICITIES
from wangge.registry.models import Building, House, Household, Person, PersonKind, Relation, Residence
from wangge.registry.validation import (
    KIND_BY_CHINESE_NAME,
    PERSON_KINDS,
    FieldErrors,
    InvalidValue,
    _area_existed,
    clean_ethnicity,
    clean_person,
    ric,
)

# --- the columns -------------------------------------------------------------------------------


KIND_LABELS = {PersonKind.REGISTERED: "户籍", PersonKind.FLOATING: "流动", PersonKind.OVERSEAS: "境外",
               PersonKind.SEPARATED: "人户分离"}
RELATION_LABELS = {Relation.HEAD: "户主", Relation.SPOUSE: "配偶", Relation.CHILD: "子女", Relation.PARENT: "父母",
                   Relation.GRANDCHILD: "孙子女", Relation.GRANDPARENT: "祖父母", Relation.SIBLING: "兄弟姐妹",
                   Relation.TENANT: "租户", Relation.OTHER: "其他"}
CRS_LABELS = {WGS84: "WGS-84", GCJ02: "GCJ-02", BD09: "BD-09"}

KIND_BY_TEXT = {**{v: v for v in PersonKind.values}, **{label: v for v, label in KIND_LABELS.items()},
                "户籍人口": PersonKind.REGISTERED, "流动人口": PersonKind.FLOATING, "境外人员": PersonKind.OVERSEAS}
RELATION_BY_TEXT = {**{v: v for v in Relation.values}, **{label: v for v, label in RELATION_LABELS.items()},
                    "本人": Relation.HEAD, "妻": Relation.SPOUSE, "夫": Relation.SPOUSE, "子": Relation.CHILD,
                    "女": Relation.CHILD, "儿子": Relation.CHILD, "女儿": Relation.CHILD, "父亲": Relation.PARENT,
                    "母亲": Relation.PARENT, "孙子": Relation.GRANDCHILD, "孙女": Relation.GRANDCHILD,
                    "祖父": Relation.GRANDPARENT, "祖母": Relation.GRANDPARENT, "兄弟": Relation.SIBLING,
                    "姐妹": Relation.SIBLING, "租客": Relation.TENANT, "租住": Relation.TENANT}
CRS_BY_TEXT = {"": WGS84, "WGS-84": WGS84, "WGS84": WGS84, "GCJ-02": GCJ02, "GCJ02": GCJ02, "高德": GCJ02,
               "BD-09": BD09, "BD09": BD09, "百度": BD09}

EXAMPLE_ID = "510107199001010014"  # synthetic, with a correct check digit

COLUMNS = (
    Column("姓名", "name", True, "不超过 50 个字", "张三"),
    Column("公民身份号码", "id_number", True,
           "18 位，末位可为 X；性别与出生日期由号码得出。请把此列设为“文本”格式，否则 Excel 会丢掉末几位",
           EXAMPLE_ID, text=True),
    Column("民族", "ethnicity", False, "GB 3304 民族名称或两位代码，如 汉族 或 01；新登记人员留空为汉族", "汉族"),
    Column("联系电话", "phone", False, "11 位手机号，或带区号的固定电话如 028-85551234", "13800001111", text=True),
    Column("人口类型", "kind", False, "户籍 / 流动 / 境外 / 人户分离；新登记人员留空为户籍", "户籍",
           choices=tuple(KIND_LABELS.values())),
    Column("楼栋地址", "address", True, "与系统中已登记楼栋的地址完全一致", "武侯区幸福路1号"),
    Column("楼栋名称", "building", True, "与系统中已登记楼栋的名称完全一致，如 1栋", "1栋"),
    Column("单元", "unit", False, "如 1；没有单元留空", "1", text=True),
    Column("房号", "number", True, "如 101；楼栋里还没有这套房屋时自动新建", "101", text=True),
    Column("与户主关系", "relation", False,
           "户主 / 配偶 / 子女 / 父母 / 孙子女 / 祖父母 / 兄弟姐妹 / 租户 / 其他。户主所在行须排在家庭成员之前；"
           "留空则不编入户", "户主", choices=tuple(RELATION_LABELS.values())),
    Column("迁入日期", "moved_in", False, "如 2020-05-01；留空为导入当天", "2020-05-01"),
    Column("经度", "lng", False, "仅在楼栋尚未登记时填写：用于新建楼栋并定位到网格", ""),
    Column("纬度", "lat", False, "同上", ""),
    Column("坐标系", "crs", False, "WGS-84（默认）/ GCJ-02（高德、腾讯、微信）/ BD-09（百度）", "",
           choices=tuple(CRS_LABELS.values())),
)
HEADERS = tuple(c.header for c in COLUMNS)
HEADER_OF = {c.key: c.header for c in COLUMNS}
REQUIRED = tuple(c.header for c in COLUMNS if c.required)
NOTES = (
    "每行一人；第一行为表头，列的顺序可以不同，未列出的列会被忽略。",
    "先预览（不写入），再确认导入；任何一行有错误，整个文件都不会写入，请按错误报告改正后重新导入。",
    "以公民身份号码识别人员：已登记的人员会被更新（姓名、民族、电话、人口类型），房屋不同即视为迁居，原居住记录保留；"
    "已登记人员的选填列留空表示不修改。",
    "同一文件中同一身份证号只能出现一次。",
    "楼栋须在您的辖区内；同一文件重复导入不会产生任何变化。",
)


def template_csv() -> bytes:
    """An empty CSV template (UTF-8 with BOM, so Excel shows the Chinese headers)."""
    return ("\ufeff" + ",".join(HEADERS) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    """The template workbook: sheet 人口信息 (headers, text format, drop-down lists; no example row, so
    that an untouched template imports nobody) and sheet 说明 with the GB 3304 ethnicity codes."""
    return build_template("人口信息", COLUMNS, NOTES, reference=(("民族代码（GB 3304）",), ETHNICITIES.items()))


# --- reading -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonRow:
    """One checked row. Optional values are None when the cell was blank (meaning: keep what is stored)."""

    line: int
    name: str
    id_number: str
    sex: str
    birth_date: date
    ethnicity: str | None
    phone: str | None
    kind: str | None
    address: str
    building: str
    unit: str
    number: str
    relation: str | None
    moved_in: date | None
    lng: float | None
    lat: float | None
    crs: str
    id_hash: str
    phone_hash: str
    # Encrypted here, in the checking processes, not in the one that writes; random nonces, so two
    # checks of one row differ only here.
    id_cipher: str = field(compare=False)
    phone_cipher: str = field(compare=False)

    def __reduce__(self):
        # Back from a checking process as one positional call: pickling the slots' state by name took
        # a quarter of the time the check itself takes, in the process that writes.
        return PersonRow, tuple(getattr(self, name) for name in self.__slots__)


def read_people_file(data: bytes, filename: str) -> tuple[list[PersonRow], list[RowError]]:
    """Read an uploaded .xlsx or .csv; every row checked on its own. Nothing touches the database."""
    rows, errors = [], []
    for item in iter_people_file(io.BytesIO(data), filename):
        (errors if isinstance(item, RowError) else rows).append(item)
    return rows, errors


def iter_people_file(stream, filename: str, jobs: int = 1) -> Iterator[PersonRow | RowError]:
    """The streaming form of read_people_file, for files too big to hold: a binary file object in,
    checked rows and row errors out, in file order.

    With jobs > 1 the rows are checked in that many worker processes (forked; they
    touch no database) while the caller plans and writes the rows already checked. A CSV's
    lines then go to them as they are read (`_csv_tasks`), and they decode and parse them too.
    """
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        records = _csv_records(stream)
    elif suffix in (".xlsx", ".xlsm"):
        records = _xlsx_records(stream)
    else:
        yield RowError(1, gettext("Only .xlsx or .csv files can be imported, not %(suffix)s")
                       % {"suffix": suffix or gettext("a file without an extension")})
        return
    try:
        header_line, header = next(records, (1, None))
        if header is None:
            yield RowError(1, gettext("The file is empty"))
            return
        positions, problems = read_header(header_line, header, COLUMNS)
        if problems:
            yield from problems
            return
        today = timezone.localdate()
        if jobs > 1:
            tasks = _csv_tasks(stream, header_line + 1, positions, CHECK_BATCH) if suffix == ".csv" else (
                ("records", batch) for batch in _batches(records, positions, CHECK_BATCH))
            checked = _check_in_processes(tasks, positions, today, jobs)
        else:
            checked = ((_check_batch(batch, positions, today), None)
                       for batch in _batches(records, positions, CHECK_BATCH))
        any_rows = False
        for results, problem in checked:
            if problem is not None:
                raise _FileProblem(*problem)
            any_rows = any_rows or bool(results)
            yield from results
        if not any_rows:
            yield RowError(header_line, gettext("No data rows under the header"))
    except _FileProblem as problem:
        yield RowError(problem.line, problem.reason)


CHECK_BATCH = 2000  # rows per task for a worker process


def auto_jobs(size: int) -> int:
    """Worker processes worth starting for a file of `size` bytes: one per CPU for big files."""
    import os

    return min(os.cpu_count() or 1, 8) if size > 4_000_000 else 1  # ~4 MB is some 40,000 rows


def _csv_tasks(stream, first: int, positions: dict, size: int) -> Iterator[tuple]:
    """A CSV's lines after the header, as tasks for the checking processes: ("lines", number of the
    first, [raw lines]) while no line has a double quote -- without quotes every line ends a record,
    so the lines can be parsed anywhere, in any pieces -- and from the first line that has one,
    ("records", [(line, cells)]) parsed here, as in one process."""
    lines, start = [], first
    for raw in stream:
        if b'"' in raw:
            if lines:
                yield "lines", start, lines
            rest = _csv_records(itertools.chain([raw], stream), start + len(lines))
            for batch in _batches(rest, positions, size):
                yield "records", batch
            return
        lines.append(raw)
        if len(lines) >= size:
            yield "lines", start, lines
            lines, start = [], start + len(lines)
    if lines:
        yield "lines", start, lines


def _check_task(task: tuple, positions: dict, today: date) -> tuple[list, tuple | None]:
    """A worker's task: (checked rows and row errors, None), or ([], (line, reason)) for a file problem
    (a line not in UTF-8, malformed CSV) in its lines, which ends the file there."""
    if task[0] == "records":
        return _check_batch(task[1], positions, today), None
    _, first, lines = task
    try:
        batch = next(_batches(_csv_records(lines, first), positions, len(lines)), [])
    except _FileProblem as problem:
        return [], (problem.line, problem.reason)
    return _check_batch(batch, positions, today), None


def _batches(records, positions: dict, size: int) -> Iterator[list]:
    """Non-blank records as (line, [raw cells]), in lists of `size`. The cells stay a list (the checking
    process names them): this runs in the process that also writes, and lists pickle smaller than dicts."""
    batch, used = [], sorted(positions.values())
    for line, cells in records:
        if all(_blank(cells[i]) for i in used if i < len(cells)):
            continue
        batch.append((line, cells))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_batch(batch: list, positions: dict, today: date) -> list:
    """Check a batch: column by column for the rows that pass (`_fast_rows`), and check_row, which
    says exactly what is wrong, for the others."""
    out, named = [], tuple(positions.items())
    for (line, cells), fast in zip(batch, _fast_rows(batch, positions, today)):
        if fast is not None:
            out.append(fast)
            continue
        count = len(cells)
        checked = check_row(line, {key: cells[i] if i < count else None for key, i in named}, today)
        if isinstance(checked, PersonRow):
            out.append(checked)
        else:
            out.extend(checked)
    return out


_SLOW = object()  # a value the column check leaves to check_row


def _fast_rows(batch: list, positions: dict, today: date) -> list:
    """The batch's rows checked column by column, each distinct value once (a file has a few
    ethnicities, kinds, buildings, dates...): a PersonRow for each row that passes every rule of
    check_row -- the same rules, the same result -- and None for each row that may not (a cell that
    is not plain text, any value a rule refuses), which check_row then checks and reports. Then the
    ID numbers and phones of the rows that pass are hashed and encrypted in one go."""
    n = len(batch)
    if not n:
        return []
    width = max(positions.values()) + 1
    records = [cells if len(cells) >= width else [*cells, *[None] * (width - len(cells))] for _, cells in batch]
    transposed = list(zip(*records))

    def column(key, check=None, cache=None):
        i = positions.get(key)
        if i is None:
            values = [""] * n
        else:
            try:
                values = list(map(str.strip, transposed[i]))  # a CSV's cells: all text
            except TypeError:  # a workbook's: numbers, dates, blanks as None
                values = [(v.strip() if type(v) is str else "" if v is None else _SLOW) for v in transposed[i]]
        if check is None:
            return values
        if cache is None:
            return [_SLOW if v is _SLOW else check(v) for v in values]
        out = []
        for v in values:
            if v is _SLOW:
                out.append(_SLOW)
                continue
            try:
                out.append(cache[v])
            except KeyError:
                out.append(cache.setdefault(v, check(v)))
        return out

    today_now = date.today()  # clean_id_number's "future" (the server's date, not the local one)
    names = column("name", lambda v: v if 0 < len(v) <= 50 else _SLOW)
    numbers = column("id_number", lambda v: _fast_id_number(v, today_now))
    ethnicities = column("ethnicity", _fast_ethnicity, {})
    phones = column("phone", _fast_phone)
    kinds = column("kind", _fast_kind, {})
    places = [column(key, lambda v, limit=limit: v if 0 < len(v) <= limit else _SLOW, {})
              for key, limit in (("address", 200), ("building", 60))]
    units = column("unit", lambda v: v if len(v) <= 8 else _SLOW, {})
    house_numbers = column("number", lambda v: v if 0 < len(v) <= 16 else _SLOW, {})
    relations = column("relation", lambda v: RELATION_BY_TEXT.get(v, _SLOW) if v else None, {})
    moves = column("moved_in", lambda v: (_parse_date(v) or _SLOW) if v else None, {})
    systems = column("crs", lambda v: CRS_BY_TEXT.get(v.upper().replace(" ", ""), _SLOW), {})
    lngs, lats = column("lng"), column("lat")

    rows, passing = [None] * n, []
    for k, (line, _) in enumerate(batch):
        number, moved_in, lng, lat = numbers[k], moves[k], lngs[k], lats[k]
        values = (names[k], number, ethnicities[k], phones[k], kinds[k], places[0][k], places[1][k], units[k],
                  house_numbers[k], relations[k], moved_in, systems[k], lng, lat)
        if _SLOW in values:
            continue
        if moved_in is not None and (moved_in > today or moved_in < number[2]):
            continue
        if lng or lat:
            position = _fast_position(lng, lat)
            if position is None:
                continue
            lng, lat = position
        else:
            lng = lat = None
        rows[k] = (line, names[k], number, ethnicities[k], phones[k], kinds[k], places[0][k], places[1][k], units[k],
                   house_numbers[k], relations[k], moved_in, lng, lat, systems[k])
        passing.append(k)
    if not passing:
        return rows
    id_numbers = [rows[k][2][0] for k in passing]
    with_phone = [rows[k][4] for k in passing if rows[k][4]]
    id_ciphers, phone_ciphers = iter(encrypt_many(id_numbers)), iter(encrypt_many(with_phone))
    id_hashes, phone_hashes = iter(lookup_hashes(id_numbers)), iter(lookup_hashes(with_phone))
    for k in passing:
        (line, name, (id_number, sex, birth), ethnicity, phone, kind, address, building, unit, number, relation,
         moved_in, lng, lat, crs) = rows[k]
        rows[k] = PersonRow(line, name, id_number, sex, birth, ethnicity, phone, kind, address, building, unit, number,
                            relation, moved_in, lng, lat, crs, next(id_hashes),
                            next(phone_hashes) if phone else "", next(id_ciphers),
                            next(phone_ciphers) if phone else "")
    return rows


def _fast_id_number(value: str, today: date):
    """clean_id_number and facts_from_id_number of a number that passes as typed; _SLOW otherwise."""
    if len(value) != 18 or not value.isascii() or not value[:17].isdigit():
        return _SLOW
    number = value.upper()
    if not (number[17].isdigit() or number[17] == "X"):
        return _SLOW
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _SLOW
    if birth > today or number[17] != ric.calc_check_digit(number) or not _area_existed(number[:6], birth.year):
        return _SLOW
    return number, ("M" if int(number[16]) % 2 else "F"), birth


def _fast_ethnicity(value: str):
    if not value:
        return None  # blank: the stored one, or 汉族 for someone new
    try:
        return clean_ethnicity(value)
    except InvalidValue:
        return _SLOW


def _fast_phone(value: str):
    if not value:
        return None
    try:
        return clean_phone(value)
    except InvalidValue:
        return _SLOW


def _fast_kind(value: str):
    if not value:
        return None
    kind = str(KIND_BY_TEXT.get(value, value) or PersonKind.REGISTERED).strip()
    kind = KIND_BY_CHINESE_NAME.get(kind, kind)
    return kind if kind in PERSON_KINDS else _SLOW


def _fast_position(lng: str, lat: str):
    try:
        lng, lat = float(lng), float(lat)
    except ValueError:
        return None
    return (lng, lat) if -180 <= lng <= 180 and -90 <= lat <= 90 else None


def _check_in_processes(tasks: Iterator[tuple], positions: dict, today: date, jobs: int) -> Iterator[tuple]:
    """Run _check_task in worker processes, in order, with a bounded number in flight (memory stays flat)."""
    import multiprocessing
    from collections import deque

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pending = deque()
        for task in tasks:
            pending.append(pool.apply_async(_check_task, (task, positions, today)))
            if len(pending) >= 4 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _xlsx_records(stream) -> Iterator[tuple[int, tuple]]:
    return xlsx_records(stream, "人口信息")


def check_row(line: int, cells: dict, today: date | None = None) -> PersonRow | list[RowError]:
    """One row's own checks (no database): clean_person, then house, relation, date, position."""
    errors = []

    def refuse(key, reason):
        errors.append(RowError(line, reason, HEADER_OF[key]))

    raw_id = cells.get("id_number")
    if isinstance(raw_id, float):
        refuse("id_number", "身份证号被 Excel 存成了数字，末几位已丢失：请把该列设为文本后重新填写 / "
                            "the ID number was stored as a number")
        raw_id = ""
    text = {key: _text(value) for key, value in cells.items()}
    kind_text = text.get("kind", "")
    data = {"name": text.get("name", ""), "id_number": _text(raw_id), "ethnicity": text.get("ethnicity", ""),
            "phone": text.get("phone", ""), "kind": KIND_BY_TEXT.get(kind_text, kind_text)}
    clean = None
    try:
        clean = clean_person(data)
    except FieldErrors as exc:
        for key, reason in exc.errors.items():
            if not (key == "id_number" and errors):  # the float case already said why
                refuse(key, reason)
    except ValueError:  # stdnum's birth-date parse of e.g. a masked number ("510107********0018")
        refuse("id_number", gettext("Malformed ID number (a masked number cannot be imported)"))
    address, building = text.get("address", ""), text.get("building", "")
    unit, number = text.get("unit", ""), text.get("number", "")
    for key, value, limit in (("address", address, 200), ("building", building, 60), ("number", number, 16)):
        if not value:
            refuse(key, gettext("Required"))
        elif len(value) > limit:
            refuse(key, gettext("At most %(limit)s characters") % {"limit": limit})
    if len(unit) > 8:
        refuse("unit", gettext("At most %(limit)s characters") % {"limit": 8})
    relation = None
    if text.get("relation"):
        relation = RELATION_BY_TEXT.get(text["relation"])
        if relation is None:
            refuse("relation", gettext("Unknown relation to the head: use %(relations)s")
                   % {"relations": "/".join(RELATION_LABELS.values())})
    moved_in = None
    if text.get("moved_in"):
        moved_in = _parse_date(cells.get("moved_in"))
        if moved_in is None:
            refuse("moved_in", gettext("Not a date (write it as 2020-05-01)"))
        elif moved_in > (today or timezone.localdate()):
            refuse("moved_in", gettext("The move-in date is in the future"))
        elif clean is not None and moved_in < clean.birth_date:
            refuse("moved_in", gettext("The move-in date is before the birth date"))
    lng = lat = None
    crs = CRS_BY_TEXT.get(text.get("crs", "").upper().replace(" ", ""))
    if crs is None:
        refuse("crs", gettext("Unknown coordinate system: use WGS-84 / GCJ-02 / BD-09"))
    if text.get("lng") or text.get("lat"):
        try:
            lng, lat = float(text.get("lng", "")), float(text.get("lat", ""))
            if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                raise ValueError
        except ValueError:
            refuse("lng", gettext("Give both longitude and latitude as numbers"))
            lng = lat = None
    if errors:
        return errors
    phone = clean.phone if text.get("phone") else None
    return PersonRow(
        line=line, name=clean.name, id_number=clean.id_number, sex=clean.sex, birth_date=clean.birth_date,
        ethnicity=clean.ethnicity if text.get("ethnicity") else None, phone=phone,
        kind=clean.kind if kind_text else None, address=address, building=building, unit=unit, number=number,
        relation=relation, moved_in=moved_in, lng=lng, lat=lat, crs=crs,
        id_hash=lookup_hash(clean.id_number), phone_hash=lookup_hash(phone) if phone else "",
        id_cipher=encrypt(clean.id_number), phone_cipher=encrypt(phone) if phone else "",
    )


# --- previewing and importing ------------------------------------------------------------------


@dataclass
class PeopleImportResult:
    created: int = 0
    updated: int = 0  # includes the moves
    unchanged: int = 0
    moved: int = 0
    buildings_created: int = 0
    houses_created: int = 0
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    def counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


def preview_import(actor, rows: Iterable[PersonRow | RowError], errors: Iterable[RowError] = ()
                   ) -> PeopleImportResult:
    """The dry run: what an import of these rows would do, and every error (the reader's `errors`
    included, so one report shows them all). Writes nothing."""
    if actor is not None and not can(actor, "registry.import"):
        raise OperationError(gettext("Not allowed to import"))
    return run_import(actor, rows, errors, write=False)


def run_import(actor, rows: Iterable[PersonRow | RowError], errors: Iterable[RowError] = (), *, write: bool
               ) -> PeopleImportResult:
    """Plan (and with write=True, write) the import; the caller owns the transaction and the audit row.

    `rows` may carry RowErrors among them (iter_people_file's stream does). Once
    an error is seen nothing more is written, but the rest of the rows are still
    checked so that the report is complete; the caller then rolls back.
    """
    importer = _PeopleImport(actor, write)
    for chunk in _chunks(itertools.chain(errors, rows), CHUNK_ROWS):
        importer.take(chunk)
    if write and not importer.result.errors:
        importer.writer.finish()  # statistics for what was written (PostgreSQL)
    importer.result.errors.sort(key=lambda e: (e.line, HEADERS.index(e.field) if e.field in HEADERS else -1))
    return importer.result


CHUNK_ROWS = 10_000
IN_BATCH = 900  # values per IN (...) query: under SQLite's old bound-parameter limit


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


@dataclass(slots=True)
class _Known:
    """A registered person as stored (ciphertexts kept as they are: copying them needs no decryption)."""

    id: int
    name: str
    id_cipher: str
    id_tail: str
    sex: str
    birth_date: date
    ethnicity: str
    phone_cipher: str
    phone_hash: str
    kind: str
    house_id: int | None
    household_id: int | None
    relation: str
    grid_id: int | None
    moved_in: date | None
    moved_out: date | None
    grid_path: str | None


KNOWN_FIELDS = ("id", "name", "id_cipher", "id_tail", "sex", "birth_date", "ethnicity", "phone_cipher", "phone_hash",
                "kind", "house_id", "household_id", "relation", "grid_id", "moved_in", "moved_out", "grid__path")


class _RowProblem(Exception):
    def __init__(self, key: str, reason: str):
        super().__init__(reason)
        self.key, self.reason = key, reason


@dataclass
class _Batch:
    """What one chunk writes."""

    buildings: list = field(default_factory=list)  # as column dicts
    houses: list = field(default_factory=list)  # as HOUSE_GIVEN tuples
    households: list = field(default_factory=list)  # as HOUSEHOLD_GIVEN tuples
    people: list = field(default_factory=list)  # new people, as PERSON_ROW tuples
    residences: list = field(default_factory=list)  # those of moves (a new person's is made from its row)
    changed: list = field(default_factory=list)  # existing people, as column dicts (full rows)
    closes: list = field(default_factory=list)  # (moved_out, person_id) of residences to close


class _PeopleImport:
    def __init__(self, actor, write: bool):
        self.actor = actor
        self.prefix = ALL if actor is None else scope_prefix(actor)  # no actor: the system (command line)
        self.write = write
        self.today = timezone.localdate()
        self.result = PeopleImportResult()
        self.ids = Ids(real=write)
        self.writer = _Writer(actor) if write else None
        self.now = self.writer.now if write else None  # updated_at of the rows written
        self.first_line: dict[int, int] = {}  # ID number (as a number) -> the line it was first seen on
        self.buildings: dict[tuple, tuple | str] = {}  # (address, name) -> (id, grid_id) or the reason it is refused
        self.houses: dict[tuple, int] = {}  # (building_id, unit, number) -> house id
        self.house_grid: dict[int, int] = {}
        self.households: dict[int, list] = {}  # house id -> [(household id, head id)]
        self.file_heads: dict[int, int] = {}  # house id -> household of the 户主 listed earlier in the file
        self.houses_loaded: set[int] = set()  # buildings whose houses are in self.houses
        # Rows of this file are never "known" (a second row of one ID number is refused), so a district's
        # first import, into an empty register, has nobody to look up: a query per chunk saved.
        self.anyone_registered: bool | None = None  # asked at the first lookup

    # -- one chunk --

    def take(self, items: list):
        rows = []
        for item in items:
            if isinstance(item, RowError):
                self.result.errors.append(item)
            elif self._first_time(item):
                rows.append(item)
        batch = _Batch()
        self._resolve_buildings(rows, batch)
        places = (self.buildings[(row.address, row.building)] for row in rows)
        self._load_houses({place[0] for place in places if isinstance(place, tuple)} - self.houses_loaded)
        known = self._known_people([row.id_hash for row in rows])
        for row in rows:
            try:
                self._plan(row, known.get(row.id_hash), batch)
            except _RowProblem as problem:
                self.result.errors.append(RowError(row.line, problem.reason, HEADER_OF[problem.key]))
        if self.write and not self.result.errors:
            self.writer.write(batch)

    def _first_time(self, row: PersonRow) -> bool:
        key = int(row.id_number[:17])  # the 18th character is the check digit of the first 17
        first = self.first_line.setdefault(key, row.line)
        if first != row.line:
            duplicate = gettext("Duplicate ID number of line %(line)s") % {"line": first}
            self.result.errors.append(RowError(row.line, duplicate, HEADER_OF["id_number"]))
            return False
        return True

    # -- where rows live --

    def _resolve_buildings(self, rows: list[PersonRow], batch: _Batch):
        wanted = {}
        for row in rows:
            key = (row.address, row.building)
            if key not in self.buildings:
                wanted.setdefault(key, row)
        if not wanted:
            return
        addresses = sorted({address for address, _ in wanted})
        found: dict[tuple, list] = {}
        visible = Building.objects.all() if self.prefix is ALL else Building.objects.visible_to(self.actor)
        for part in _chunks(addresses, IN_BATCH):
            for pk, address, name, grid_id in visible.filter(address__in=part).values_list(
                    "id", "address", "name", "grid_id"):
                found.setdefault((address, name), []).append((pk, grid_id))
        to_locate = []
        for key, row in wanted.items():
            matches = found.get(key, [])
            if len(matches) == 1:
                self.buildings[key] = matches[0]
            elif len(matches) > 1:
                self.buildings[key] = gettext("More than one such building in your area: merge them first")
            elif row.lng is not None:
                to_locate.append((key, row))
            else:
                self.buildings[key] = gettext("No such building in your area (the address and name must match; "
                                              "give the position of a new building)")
        self._create_located_buildings(to_locate, batch)

    def _create_located_buildings(self, wanted: list, batch: _Batch):
        """New buildings from the rows' coordinates: located in one call per coordinate system."""
        by_crs: dict[str, list] = {}
        for key, row in wanted:
            by_crs.setdefault(row.crs, []).append((key, row))
        for crs, items in by_crs.items():
            lngs, lats = to_wgs84_many([row.lng for _, row in items], [row.lat for _, row in items], crs)
            answers = locating.locate_points(list(zip(lngs.tolist(), lats.tolist())))
            codes = {a["code"] for a in answers if a}
            grids = {code: (pk, path) for pk, code, path in
                     Region.objects.filter(code__in=codes).values_list("id", "code", "path")}
            for (key, row), answer, lng, lat in zip(items, answers, lngs.tolist(), lats.tolist()):
                if answer is None:
                    self.buildings[key] = gettext("The position is outside every grid")
                    continue
                grid_id, path = grids[answer["code"]]
                if not self._in_area(path):
                    self.buildings[key] = gettext("The position is outside your area")
                    continue
                pk = self.ids.next(Building)
                self.buildings[key] = (pk, grid_id)
                self.houses_loaded.add(pk)  # new: no houses yet
                batch.buildings.append({"id": pk, "grid_id": grid_id, "address": key[0], "name": key[1],
                                        "lng": round(lng, 7), "lat": round(lat, 7)})
                self.result.buildings_created += 1

    def _in_area(self, path: str | None) -> bool:
        return self.prefix is ALL or (self.prefix is not None and path is not None and path.startswith(self.prefix))

    def _load_houses(self, building_ids: set[int]):
        for part in _chunks(sorted(building_ids), IN_BATCH):
            for pk, building_id, unit, number, grid_id in House.objects.filter(building_id__in=part).values_list(
                    "id", "building_id", "unit", "number", "grid_id"):
                self.houses[(building_id, unit, number)] = pk
                self.house_grid[pk] = grid_id
            for pk, house_id, head_id in Household.objects.filter(house__building_id__in=part).values_list(
                    "id", "house_id", "head_id").order_by("id"):
                self.households.setdefault(house_id, []).append((pk, head_id))
        self.houses_loaded |= building_ids

    def _known_people(self, hashes: list[str]) -> dict[str, _Known]:
        known = {}
        if not hashes:
            return known
        if self.anyone_registered is None:
            self.anyone_registered = Person.objects.exists()
        if not self.anyone_registered:
            return known
        quote = connection.ops.quote_name
        table = quote(Person._meta.db_table)
        ciphers = {"id_cipher": RawSQL(f"{table}.{quote('id_number')}", (), output_field=TextField()),
                   "phone_cipher": RawSQL(f"{table}.{quote('phone')}", (), output_field=TextField())}
        postgres = connection.vendor == "postgresql"
        # One parameter per chunk (an array, or a JSON list on SQLite): a long IN (...) list costs more to
        # parse than to answer, and SQLite would need a query per 900 values.
        match = f"{table}.{quote('id_hash')} = ANY(%s)" if postgres else \
            f"{table}.{quote('id_hash')} IN (SELECT value FROM json_each(%s))"
        if postgres:
            return self._known_people_postgres(hashes)
        for part in _chunks(hashes, CHUNK_ROWS):
            query = Person.objects.filter(RawSQL(match, (part if postgres else json.dumps(part),),
                                                 output_field=BooleanField()))
            query = query.annotate(**ciphers)
            for values in query.values_list("id_hash", *KNOWN_FIELDS):
                known[values[0]] = _Known(*values[1:])
        return known

    def _known_people_postgres(self, hashes: list[str]) -> dict[str, _Known]:
        """_known_people on PostgreSQL, the hashes bound as one array parameter by the server: Django's
        cursors bind on the client, which quoted 10,000 hashes into the SQL text more slowly than the
        server answered."""
        import psycopg

        person, region = Person._meta.db_table, Region._meta.db_table
        sql = (f"SELECT p.id_hash, p.id, p.name, p.id_number, p.id_tail, p.sex, p.birth_date, p.ethnicity, p.phone, "
               f"p.phone_hash, p.kind, p.house_id, p.household_id, p.relation, p.grid_id, p.moved_in, p.moved_out, "
               f"r.path FROM {person} p LEFT JOIN {region} r ON r.id = p.grid_id WHERE p.id_hash = ANY(%s)")
        known = {}
        if not hashes:
            return known
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            for part in _chunks(hashes, CHUNK_ROWS):
                cursor.execute(sql, [part])
                for values in cursor:
                    known[values[0]] = _Known(*values[1:])
        return known

    # -- one row --

    def _plan(self, row: PersonRow, known: _Known | None, batch: _Batch):
        place = self.buildings[(row.address, row.building)]
        if isinstance(place, str):
            raise _RowProblem("address", place)
        if known is not None and known.grid_id is not None and not self._in_area(known.grid_path):
            raise _RowProblem("id_number", "此人登记在您的辖区以外，请联系其现居地辖区办理迁出 / "
                                           "registered outside your area")
        building_id, grid_id = place
        house_id = self.houses.get((building_id, row.unit, row.number))
        moving = known is None or known.house_id is None or known.house_id != house_id
        when = row.moved_in or self.today
        if known is not None and moving:
            last = known.moved_in if known.house_id is not None else known.moved_out
            if last and when < last:
                raise _RowProblem("moved_in", gettext("Before their last move (%(date)s)") % {"date": last})
        if house_id is None:
            house_id = self._new_house(batch, building_id, grid_id, row)
        grid_id = self.house_grid[house_id]
        person_id = known.id if known is not None else self.ids.next(Person)
        if row.relation is not None:
            household_id, relation = self._household(row, person_id, known, house_id, grid_id, batch)
        elif known is not None and not moving:
            household_id, relation = known.household_id, known.relation
        else:
            household_id, relation = None, ""
        if known is None:
            self._create(row, person_id, house_id, household_id, relation, grid_id, when, batch)
        else:
            self._update(row, known, house_id, household_id, relation, grid_id, moving, when, batch)

    def _new_house(self, batch, building_id, grid_id, row) -> int:
        pk = self.ids.next(House)
        self.houses[(building_id, row.unit, row.number)] = pk
        self.house_grid[pk] = grid_id
        batch.houses.append((pk, grid_id, building_id, row.unit, row.number))
        self.result.houses_created += 1
        return pk

    def _household(self, row, person_id, known, house_id, grid_id, batch) -> tuple[int, str]:
        present = self.households.setdefault(house_id, [])
        if row.relation == Relation.HEAD:
            household_id = next((pk for pk, head in present if head == person_id), None)
            if household_id is None:
                household_id = self.ids.next(Household)
                present.append((household_id, person_id))
                batch.households.append((household_id, grid_id, house_id, person_id))
                self.result.households_created += 1
            self.file_heads[house_id] = household_id
            return household_id, Relation.HEAD
        household_id = self.file_heads.get(house_id)
        if household_id is None:
            if known is not None and any(pk == known.household_id for pk, _ in present):
                household_id = known.household_id
            elif len(present) == 1:
                household_id = present[0][0]
            else:
                raise _RowProblem("relation", "该房屋没有可加入的户：请把户主所在行排在家庭成员之前 / "
                                              "list the head of household first")
        return household_id, row.relation

    def _create(self, row, person_id, house_id, household_id, relation, grid_id, when, batch):
        # In PERSON_ROW's order; the residence is made from the stored row (_Writer.write).
        batch.people.append((
            person_id, row.name, row.id_cipher, row.id_hash, row.id_number[-4:], row.sex, row.birth_date.isoformat(),
            row.ethnicity or "01", row.phone_cipher, row.phone_hash, row.kind or PersonKind.REGISTERED, house_id,
            household_id, relation, grid_id, when.isoformat(), None, self.now,
        ))
        self.result.created += 1

    def _update(self, row, known: _Known, house_id, household_id, relation, grid_id, moving, when, batch):
        name = row.name
        ethnicity = row.ethnicity if row.ethnicity is not None else known.ethnicity
        kind = row.kind if row.kind is not None else known.kind
        phone_changed = row.phone is not None and row.phone_hash != known.phone_hash
        same = (name == known.name and ethnicity == known.ethnicity and kind == known.kind and not phone_changed
                and not moving and household_id == known.household_id and relation == known.relation)
        if same:
            self.result.unchanged += 1
            return
        moved_in, moved_out = known.moved_in, known.moved_out
        if moving:
            if known.house_id is not None:
                batch.closes.append((when.isoformat(), known.id))
            batch.residences.append({"person_id": known.id, "house_id": house_id, "grid_id": grid_id,
                                     "moved_in": when.isoformat(), "moved_out": None})
            moved_in, moved_out = when, None
            self.result.moved += 1
        batch.changed.append({
            "id": known.id, "name": name, "id_number": known.id_cipher, "id_tail": known.id_tail, "sex": known.sex,
            "birth_date": known.birth_date.isoformat(), "ethnicity": ethnicity,
            "phone": row.phone_cipher if phone_changed else known.phone_cipher,
            "phone_hash": row.phone_hash if phone_changed else known.phone_hash, "kind": kind,
            "house_id": house_id, "household_id": household_id, "relation": relation, "grid_id": grid_id,
            "moved_in": moved_in.isoformat() if moved_in else None,
            "moved_out": moved_out.isoformat() if moved_out else None,
        })
        self.result.updated += 1


# --- writing in bulk ---------------------------------------------------------------------------


# What an import may change on a registered person (the rest follows from the ID number).
PERSON_UPDATES = ("name", "ethnicity", "phone", "phone_hash", "kind", "house", "household", "relation", "grid",
                  "moved_in", "moved_out")


# What the planner gives for the rows it creates, in this order (the writer fills in the rest).
HOUSE_GIVEN = ("id", "grid_id", "building_id", "unit", "number")
HOUSEHOLD_GIVEN = ("id", "grid_id", "house_id", "head_id")
# A new person's row is built whole, in the table's column order (checked by _Writer): no second copy.
PERSON_ROW = ("id", "name", "id_number", "id_hash", "id_tail", "sex", "birth_date", "ethnicity", "phone", "phone_hash",
              "kind", "house_id", "household_id", "relation", "grid_id", "moved_in", "moved_out", "updated_at")


class _Writer:
    """Writes a chunk's rows through the bulk writer. New rows go in as tuples; their simple-history
    rows, and a new person's residence, are then made in the database from the rows just written
    (INSERT ... SELECT: docs/decisions/0005-import-history-in-sql.md)."""

    def __init__(self, actor):
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        user_id = getattr(actor, "pk", None)
        self.stamp = {"history_date": now, "history_user_id": user_id, "history_change_reason": "导入 / import"}

        def history(model):
            return Table(model.history.model, with_pk=False, prepared=True, history_date=now, history_type="+",
                         history_user_id=user_id, history_change_reason="导入 / import")

        self.buildings = Table(Building, prepared=True)
        self.houses = Table(House, prepared=True)
        self.households = Table(Household, prepared=True)
        self.people = Table(Person, prepared=True, updated_at=now)
        self.house_row = self.houses.from_tuples(HOUSE_GIVEN)
        self.household_row = self.households.from_tuples(HOUSEHOLD_GIVEN)
        if tuple(self.people.attnames) != PERSON_ROW:
            raise ImproperlyConfigured(f"registry_person's columns are now {self.people.attnames}: update PERSON_ROW")
        self.person_history = history(Person)
        self.residences = Table(Residence, with_pk=False, prepared=True)
        self.now = now
        self.bulk = BulkWriter()

    def write(self, batch: _Batch):
        bulk = self.bulk
        if batch.buildings:
            bulk.insert(self.buildings, batch.buildings)
            bulk.history_of(Building, [b["id"] for b in batch.buildings], **self.stamp)
        for model, table, make, rows in ((House, self.houses, self.house_row, batch.houses),
                                         (Household, self.households, self.household_row, batch.households),
                                         (Person, self.people, None, batch.people)):
            if rows:
                bulk.insert_tuples(table.name, table.columns, map(make, rows) if make else rows)
                bulk.history_of(model, [row[0] for row in rows], **self.stamp)
        if batch.closes:  # before the new residences are added: those stay open
            bulk.update(self.residences.name, ["moved_out"], ["person_id"], batch.closes, where="moved_out IS NULL")
        if batch.people:  # each new person's one residence, from the person row as stored
            quote = connection.ops.quote_name
            condition, params = bulk.keys_in("id", [row[0] for row in batch.people])
            bulk.insert_select(self.residences.name, ["person_id", "house_id", "grid_id", "moved_in", "moved_out"],
                               f"SELECT {quote('id')}, {quote('house_id')}, {quote('grid_id')}, {quote('moved_in')}, "
                               f"NULL FROM {quote(self.people.name)} WHERE {condition} ORDER BY {quote('id')}", params)
        if batch.residences:
            bulk.insert(self.residences, batch.residences)
        if batch.changed:
            self._update_people(batch.changed)

    def finish(self):
        self.bulk.finish()

    def _update_people(self, changed: list[dict]):
        fields = [Person._meta.get_field(name) for name in PERSON_UPDATES]
        values = operator.itemgetter(*[f.attname for f in fields], "id")
        self.bulk.update(self.people.name, [f.column for f in fields] + ["updated_at"], ["id"],
                         [(*values(item)[:-1], self.now, item["id"]) for item in changed])
        self.bulk.insert(self.person_history, [dict(item, history_type="~") for item in changed])
