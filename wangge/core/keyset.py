"""Keyset (cursor) paging for every work list and board page.

A page is asked for as `?after=<cursor>` (the rows after the last one shown) or `?before=<cursor>` (the rows
before the first one shown); no parameter is the first page. The cursor holds the boundary row's values of the
list's ordering, so a page is an index range however deep it is (an OFFSET reads and drops every row before it),
and a row added or closed while the user works does not shift the next page by one.

    page = keyset_page(queryset, ("handle_by", "id"), request.GET, size=20)
    page.object_list, page.has_next, page.next_cursor, page.count (lazy)

The ordering names model fields (or annotations, or `a__b` lookups through select_related rows) and ends with a
unique one (the id). NULL sorts as the largest value in either direction (PostgreSQL's default, asked for
explicitly so that SQLite agrees); ("-amount", "nulls_last") puts NULLs last going down.
A cursor that cannot be read (edited, or from an older release) gives the first page: the list is still there,
only the position is lost.
"""
import base64
import binascii
import datetime
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.dateparse import parse_date, parse_datetime

__all__ = ["KeysetPage", "keyset_page", "sequence_page", "encode_cursor", "decode_cursor"]

MAX_CURSOR = 600  # characters: a few ordering values; anything longer is not ours


class KeysetPage:
    """One page: `object_list`, the cursors either side, and the whole list's `count` when asked for."""

    def __init__(self, queryset, rows: list, ordering: Sequence, *, has_next: bool, has_previous: bool,
                 count_limit: int | None = None):
        self._queryset = queryset
        self.count_limit = count_limit
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
        """The whole list's length; with a `count_limit`, at most that (see `count_capped`): counting a
        district's million residents exactly takes longer than showing them."""
        if self.count_limit is None:
            return self._queryset.order_by().count()
        return self._queryset.order_by()[:self.count_limit + 1].count()

    @property
    def count_capped(self) -> bool:
        """The list holds more than `count_limit` rows (and `count` says `count_limit` + 1)."""
        return self.count_limit is not None and self.count > self.count_limit

    @property
    def count_text(self) -> str:
        """The count to show: "1,234", or "10,000+" past the limit."""
        shown = f"{min(self.count, self.count_limit) if self.count_limit else self.count:,}"  # zh-Hans groups nothing
        return f"{shown}+" if self.count_capped else shown

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @cached_property
    def next_cursor(self) -> str:
        return encode_cursor(_values(self.object_list[-1], self.ordering)) if self.has_next else ""

    @cached_property
    def previous_cursor(self) -> str:
        return encode_cursor(_values(self.object_list[0], self.ordering)) if self.has_previous else ""


def keyset_page(queryset, ordering: Sequence, params: Mapping, size: int, *, prefix: str = "",
                count_limit: int | None = None) -> KeysetPage:
    """The page of `queryset` in `ordering` that `params` (request.GET or POST) asks for.

    `prefix` names the parameters (`<prefix>after`, `<prefix>before`) when one page holds several lists;
    `count_limit` bounds the count (a list that may hold a district's every resident)."""
    after = decode_cursor(params.get(prefix + "after"), len(ordering))
    before = decode_cursor(params.get(prefix + "before"), len(ordering)) if after is None else None
    try:  # a value of the wrong type for its column (an edited cursor) is refused here, before any query
        if before is not None:
            reverse = [_flip(name) for name in ordering]
            rows = list(queryset.filter(_beyond(reverse, before)).order_by(*_order(reverse))[:size + 1])
            more = len(rows) > size
            return KeysetPage(queryset, rows[:size][::-1], ordering, has_next=True, has_previous=more,
                              count_limit=count_limit)
        if after is not None:
            rows = list(queryset.filter(_beyond(ordering, after)).order_by(*_order(ordering))[:size + 1])
            return KeysetPage(queryset, rows[:size], ordering, has_next=len(rows) > size, has_previous=True,
                              count_limit=count_limit)
    except (ValueError, TypeError, ValidationError):
        pass
    rows = list(queryset.order_by(*_order(ordering))[:size + 1])
    return KeysetPage(queryset, rows[:size], ordering, has_next=len(rows) > size, has_previous=False,
                      count_limit=count_limit)


# --- ordering and the condition "after this row" ---------------------------------------------------------------

def _key(item) -> tuple[str, bool, bool]:
    """(field, descending, NULL is the largest) of an ordering item: "name", "-name", or ("-name", "nulls_last")
    for a descending column whose NULLs go last (the smallest)."""
    name, nulls = (item, "") if isinstance(item, str) else item
    descending = name.startswith("-")
    null_largest = nulls != ("nulls_last" if descending else "nulls_first")
    return name.lstrip("-"), descending, null_largest


def _flip(item):
    name, nulls = (item, "") if isinstance(item, str) else item
    flipped = name[1:] if name.startswith("-") else "-" + name
    if nulls:  # the same NULL rule seen from the other end
        return flipped, {"nulls_last": "nulls_first", "nulls_first": "nulls_last"}[nulls]
    return flipped


def _order(ordering: Sequence) -> list:
    expressions = []
    for item in ordering:
        field, descending, null_largest = _key(item)
        nulls = {"nulls_first": True} if null_largest == descending else {"nulls_last": True}
        expressions.append(F(field).desc(**nulls) if descending else F(field).asc(**nulls))
    return expressions


def _beyond(ordering: Sequence, values: Sequence) -> Q:
    """Rows strictly after `values` in `ordering`: for each column, equal on every column before it and beyond
    on this one (OR over the columns)."""
    condition, equal_so_far = Q(pk__in=[]), Q()
    for item, value in zip(ordering, values):
        field, descending, null_largest = _key(item)
        nulls_after = null_largest != descending  # NULLs come after every value, going this way
        is_null, not_null = Q(**{f"{field}__isnull": True}), Q(**{f"{field}__isnull": False})
        if value is None:
            beyond, same = (Q(pk__in=[]) if nulls_after else not_null), is_null
        else:
            beyond = Q(**{f"{field}__lt" if descending else f"{field}__gt": value})
            if nulls_after:
                beyond |= is_null
            same = Q(**{field: value})
        condition |= equal_so_far & beyond
        equal_so_far &= same
    return condition


def _values(row, ordering: Sequence) -> list:
    values = []
    for item in ordering:
        value = row
        for part in _key(item)[0].split("__"):
            value = getattr(value, part, None) if value is not None else None
        values.append(getattr(value, "pk", value))
    return values


def sequence_page(items: Sequence, params: Mapping, size: int, *, prefix: str = "") -> KeysetPage:
    """A page of a list computed in Python (warnings are worked out per request, not stored): the same cursors
    and pager, holding a position."""
    after = decode_cursor(params.get(prefix + "after"), 1)
    before = decode_cursor(params.get(prefix + "before"), 1) if after is None else None
    start = 0
    if after is not None and isinstance(after[0], int) and 0 <= after[0] < len(items):
        start = after[0] + 1
    elif before is not None and isinstance(before[0], int) and 0 < before[0] <= len(items):
        start = max(0, before[0] - size)
    page = KeysetPage(None, list(items[start:start + size]), (), has_next=start + size < len(items),
                      has_previous=start > 0)
    page.count = len(items)
    page.next_cursor = encode_cursor([start + len(page.object_list) - 1]) if page.has_next else ""
    page.previous_cursor = encode_cursor([start]) if page.has_previous else ""
    return page


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
        if kind == "v" and (value is None or isinstance(value, (bool, int, float, str))):
            if isinstance(value, int) and not -2**63 <= value < 2**63:  # beyond any column: not ours
                return None
            if isinstance(value, float) and not math.isfinite(value):  # no column holds one we would write
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
