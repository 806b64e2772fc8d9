"""Keyset (cursor) paging for every work list and board page.

A page is asked for as `?after=<cursor>` (the rows after the last one shown) or `?before=<cursor>` (the rows
before the first one shown); no parameter is the first page. The cursor holds the boundary row's values of the
list's ordering, so a page is an index range however deep it is (an OFFSET reads and drops every row before it),
and a row added or closed while the user works does not shift the next page by one.

    page = keyset_page(queryset, ("handle_by", "id"), request.GET, size=20)
    page.object_list, page.has_next, page.next_cursor, page.count (lazy)

The ordering names model fields (or annotations, or `a__b` lookups through select_related rows) and ends with a
unique one (the id). NULL sorts as the largest value in either direction (PostgreSQL's default, asked for
explicitly so that SQLite agrees). A cursor that cannot be read (edited, or from an older release) gives the first
page: the list is still there, only the position is lost.
"""
import base64
import binascii
import datetime
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.dateparse import parse_date, parse_datetime

__all__ = ["KeysetPage", "keyset_page", "encode_cursor", "decode_cursor"]

MAX_CURSOR = 600  # characters: a few ordering values; anything longer is not ours


class KeysetPage:
    """One page: `object_list`, the cursors either side, and the whole list's `count` when asked for."""

    def __init__(self, queryset, rows: list, ordering: Sequence[str], *, has_next: bool, has_previous: bool):
        self._queryset = queryset
        self.object_list = rows
        self.ordering = tuple(ordering)
        self.has_next = has_next and bool(rows)
        self.has_previous = has_previous and bool(rows)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @cached_property
    def count(self) -> int:
        return self._queryset.order_by().count()

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @cached_property
    def next_cursor(self) -> str:
        return encode_cursor(_values(self.object_list[-1], self.ordering)) if self.has_next else ""

    @cached_property
    def previous_cursor(self) -> str:
        return encode_cursor(_values(self.object_list[0], self.ordering)) if self.has_previous else ""


def keyset_page(queryset, ordering: Sequence[str], params: Mapping, size: int, *, prefix: str = "") -> KeysetPage:
    """The page of `queryset` in `ordering` that `params` (request.GET or POST) asks for.

    `prefix` names the parameters (`<prefix>after`, `<prefix>before`) when one page holds several lists."""
    after = decode_cursor(params.get(prefix + "after"), len(ordering))
    before = decode_cursor(params.get(prefix + "before"), len(ordering)) if after is None else None
    try:  # a value of the wrong type for its column (an edited cursor) is refused here, before any query
        if before is not None:
            reverse = [_flip(name) for name in ordering]
            rows = list(queryset.filter(_beyond(reverse, before)).order_by(*_order(reverse))[:size + 1])
            more = len(rows) > size
            return KeysetPage(queryset, rows[:size][::-1], ordering, has_next=True, has_previous=more)
        if after is not None:
            rows = list(queryset.filter(_beyond(ordering, after)).order_by(*_order(ordering))[:size + 1])
            return KeysetPage(queryset, rows[:size], ordering, has_next=len(rows) > size, has_previous=True)
    except (ValueError, TypeError, ValidationError):
        pass
    rows = list(queryset.order_by(*_order(ordering))[:size + 1])
    return KeysetPage(queryset, rows[:size], ordering, has_next=len(rows) > size, has_previous=False)


# --- ordering and the condition "after this row" ---------------------------------------------------------------

def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else "-" + name


def _order(ordering: Sequence[str]) -> list:
    """NULL as the largest value both ways: last going up, first going down."""
    return [F(name[1:]).desc(nulls_first=True) if name.startswith("-") else F(name).asc(nulls_last=True)
            for name in ordering]


def _beyond(ordering: Sequence[str], values: Sequence) -> Q:
    """Rows strictly after `values` in `ordering`: for each column, equal on every column before it and beyond
    on this one (OR over the columns)."""
    condition, equal_so_far = Q(pk__in=[]), Q()
    for name, value in zip(ordering, values):
        field, descending = (name[1:], True) if name.startswith("-") else (name, False)
        if value is None:  # NULL is the largest: nothing is beyond it going up; every value is, going down
            beyond = Q(**{f"{field}__isnull": False}) if descending else Q(pk__in=[])
            same = Q(**{f"{field}__isnull": True})
        else:
            beyond = Q(**{f"{field}__lt": value}) if descending else (
                Q(**{f"{field}__gt": value}) | Q(**{f"{field}__isnull": True}))
            same = Q(**{field: value})
        condition |= equal_so_far & beyond
        equal_so_far &= same
    return condition


def _values(row, ordering: Sequence[str]) -> list:
    values = []
    for name in ordering:
        value = row
        for part in name.lstrip("-").split("__"):
            value = getattr(value, part, None) if value is not None else None
        values.append(getattr(value, "pk", value))
    return values


# --- the cursor as text ----------------------------------------------------------------------------------------

def encode_cursor(values: Sequence) -> str:
    typed = []
    for value in values:
        if isinstance(value, datetime.datetime):
            typed.append(["t", value.isoformat()])
        elif isinstance(value, datetime.date):
            typed.append(["d", value.isoformat()])
        elif isinstance(value, Decimal):
            typed.append(["n", str(value)])
        else:
            typed.append(["v", value])
    text = json.dumps(typed, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_cursor(cursor, length: int) -> list | None:
    """The values in `cursor`, or None when there is none or it is not one of ours."""
    if not cursor or not isinstance(cursor, str) or len(cursor) > MAX_CURSOR:
        return None
    try:
        typed = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(typed, list) or len(typed) != length:
        return None
    values = []
    for item in typed:
        if not (isinstance(item, list) and len(item) == 2 and item[0] in ("t", "d", "n", "v")):
            return None
        kind, value = item
        if kind == "v" and (value is None or isinstance(value, (bool, int, str))):
            if isinstance(value, int) and not -2**63 <= value < 2**63:  # beyond any column: not ours
                return None
            if isinstance(value, str) and "\x00" in value:  # no text column holds one (PostgreSQL refuses it)
                return None
            values.append(value)
        elif kind in ("t", "d", "n") and isinstance(value, str):
            parsed = _parse(kind, value)
            if parsed is None:
                return None
            values.append(parsed)
        else:
            return None
    return values


def _parse(kind: str, text: str):
    try:
        if kind == "t":
            moment = parse_datetime(text)
            return moment if moment is not None and moment.tzinfo is not None else None
        if kind == "d":
            return parse_date(text)
        return Decimal(text) if Decimal(text).is_finite() else None
    except (ValueError, ArithmeticError):
        return None
