"""Exporting people (实有人口) to CSV or .xlsx, scoped and masked by default.

`export_people(user, fmt)` reads only through `Person.objects.visible_to(user)`.
ID numbers and phones are masked (510107********123X, 138****5678) unless an
administrator — permission registry.export_unmasked — asks for them unmasked
and gives a reason. Every export is written to the audit log with its count,
whether it was unmasked, and why.

The columns are the import template's (plus 性别, 出生日期, 网格), so an
unmasked export can be edited and imported again; importing it unchanged
changes nothing.
"""
import csv
import io
from dataclasses import dataclass
from typing import Iterator

from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.personal import mask_id_number, mask_phone
from wangge.core.roles import can
from wangge.core.services import OperationError
from wangge.registry.codes import ETHNICITIES
from wangge.registry.importing import HEADERS, KIND_LABELS, RELATION_LABELS
from wangge.registry.models import Person

FORMATS = ("csv", "xlsx")
EXPORT_HEADERS = (*[h for h in HEADERS if h not in ("经度", "纬度", "坐标系")], "性别", "出生日期", "网格代码", "网格")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SEX_LABELS = {"M": "男", "F": "女"}


@dataclass
class PeopleExport:
    filename: str
    content_type: str
    count: int
    chunks: Iterator[bytes]  # hand to a StreamingHttpResponse, or write to a file

    def read(self) -> bytes:
        return b"".join(self.chunks)


def export_people(user, fmt: str = "csv", unmasked: bool = False, reason: str = "") -> PeopleExport:
    """The people `user` may see, as CSV (streamed) or .xlsx (openpyxl write-only). Audited.

    user None is the system (the command line without --as): everyone, and unmasked only with a reason.
    """
    if fmt not in FORMATS:
        raise OperationError(_("Unknown format: use %(formats)s") % {"formats": " / ".join(FORMATS)}, field="format")
    if user is not None and not can(user, "registry.export"):
        raise OperationError(_("Not allowed to export"))
    reason = (reason or "").strip()
    if unmasked:
        if user is not None and not can(user, "registry.export_unmasked"):
            raise OperationError(_("Only administrators may export unmasked data"),
                                 field="unmasked")
        if not reason:
            raise OperationError(_("Give a reason to export unmasked data"), field="reason")
    people = (Person.objects.all() if user is None else Person.objects.visible_to(user)).select_related(
        "house__building", "grid").order_by("grid__code", "house__building__address", "house__building__name",
                                            "house__unit", "house__number", "household_id", "id")
    count = people.count()
    audit.record(user, "registry.export_people", None, format=fmt, unmasked=unmasked, reason=reason, count=count)
    rows = (_cells(person, unmasked) for person in people.iterator(chunk_size=2000))
    chunks = _csv_chunks(rows) if fmt == "csv" else _xlsx_chunks(rows)
    return PeopleExport(f"people.{fmt}", CONTENT_TYPES[fmt], count, chunks)


def _cells(person: Person, unmasked: bool) -> list:
    house = person.house
    building = house.building if house else None
    return [
        person.name,
        person.id_number if unmasked else mask_id_number(person.id_number),
        ETHNICITIES.get(person.ethnicity, person.ethnicity),
        person.phone if unmasked else mask_phone(person.phone),
        KIND_LABELS.get(person.kind, person.kind),
        building.address if building else "",
        building.name if building else "",
        house.unit if house else "",
        house.number if house else "",
        RELATION_LABELS.get(person.relation, person.relation) if person.household_id else "",
        person.moved_in.isoformat() if person.moved_in else "",
        SEX_LABELS.get(person.sex, ""),
        person.birth_date.isoformat(),
        person.grid.code if person.grid else "",
        person.grid.name if person.grid else "",
    ]


def _csv_chunks(rows, rows_per_chunk: int = 1000) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel needs the BOM to read UTF-8
    writer.writerow(EXPORT_HEADERS)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(rows) -> Iterator[bytes]:
    """A write-only workbook (rows are not kept in memory), spooled to a temporary file."""
    import tempfile

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("人口信息")
    sheet.append(list(EXPORT_HEADERS))
    for row in rows:
        sheet.append(row)  # every value is a str: ID numbers and phones stay text cells
    with tempfile.TemporaryFile() as spool:
        book.save(spool)
        spool.seek(0)
        while block := spool.read(1 << 16):
            yield block
