"""Keyset paging (core/keyset.py): every row once, in order, both ways, with NULLs and ties; bad cursors are the
first page."""
import base64
import json

import pytest

from wangge.areas.models import Level, Region
from wangge.core import keyset
from wangge.core.keyset import decode_cursor, encode_cursor, keyset_page, sequence_page
from wangge.testing import make_region

HOUSEHOLDS = [30, None, 10, 30, None, 20, 10, 40]


@pytest.fixture
def regions(db):
    district = make_region("510107", "武侯区", Level.DISTRICT)
    return [make_region(f"510107{n:03d}", f"街道{n}", Level.STREET, district, households=h)
            for n, h in enumerate(HOUSEHOLDS, start=1)]


def walk(queryset, ordering, size):
    """Every row by following `next`, then back to the start by following `previous`."""
    forward, params = [], {}
    pages = []
    while True:
        page = keyset_page(queryset, ordering, params, size)
        pages.append([r.pk for r in page.object_list])
        forward += [r.pk for r in page.object_list]
        if not page.has_next:
            break
        params = {"after": page.next_cursor}
    backward = [pages[-1]]
    while page.has_previous:
        page = keyset_page(queryset, ordering, {"before": page.previous_cursor}, size)
        backward.insert(0, [r.pk for r in page.object_list])
    return forward, pages, backward


@pytest.mark.parametrize("ordering", [
    ("households", "id"), ("-households", "id"), ("-households", "-id"),
    (("-households", "nulls_last"), "id"), (("households", "nulls_first"), "-id"), ("name", "id"),
])
@pytest.mark.parametrize("size", [1, 2, 3, 8])
def test_every_row_once_in_order_both_ways(regions, ordering, size):
    streets = Region.objects.filter(level=Level.STREET)
    expected = list(streets.order_by(*keyset._order(ordering)).values_list("pk", flat=True))
    forward, pages, backward = walk(streets, ordering, size)
    assert forward == expected
    assert backward == pages  # previous, previous, ... gives the same pages back


def test_nulls_are_the_largest_unless_asked(regions):
    streets = Region.objects.filter(level=Level.STREET)
    up, *_ = walk(streets, ("households", "id"), 3)
    down_nulls_last, *_ = walk(streets, (("-households", "nulls_last"), "id"), 3)
    by_pk = {r.pk: r.households for r in regions}
    assert [by_pk[pk] for pk in up] == [10, 10, 20, 30, 30, 40, None, None]
    assert [by_pk[pk] for pk in down_nulls_last] == [40, 30, 30, 20, 10, 10, None, None]


def test_count_is_the_whole_list(regions):
    page = keyset_page(Region.objects.filter(level=Level.STREET), ("name", "id"), {}, 3)
    assert page.count == len(HOUSEHOLDS) and len(page) == 3 and page.has_next and not page.has_previous


@pytest.mark.parametrize("cursor", [
    "", "!!!", "a" * 700, encode_cursor([1]),  # wrong length for a two-column ordering
    base64.urlsafe_b64encode(json.dumps([["v", "x"], ["v", "\x00"]]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([["v", 1], ["v", 2 ** 70]]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([["t", "2026-01-01T00:00:00"], ["v", 1]]).encode()).decode(),  # naive
    base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([["q", 1], ["v", 1]]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([["v", float("nan")], ["v", 1]]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([["v", float("inf")], ["v", 1]]).encode()).decode(),
])
def test_a_cursor_not_ours_is_the_first_page(regions, cursor):
    first = keyset_page(Region.objects.filter(level=Level.STREET), ("households", "id"), {}, 3)
    again = keyset_page(Region.objects.filter(level=Level.STREET), ("households", "id"), {"after": cursor}, 3)
    assert [r.pk for r in again.object_list] == [r.pk for r in first.object_list] and not again.has_previous


def test_a_value_of_the_wrong_type_is_the_first_page(regions):
    cursor = encode_cursor(["not a number", 1])
    page = keyset_page(Region.objects.filter(level=Level.STREET), ("households", "id"), {"after": cursor}, 3)
    assert not page.has_previous and len(page) == 3


def test_cursor_round_trip_keeps_types():
    from datetime import date, datetime, timezone
    from decimal import Decimal

    values = [datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc), date(2026, 12, 7), Decimal("12.50"), "名字", 7, None,
              2.3333, 0.1 + 0.2]
    assert decode_cursor(encode_cursor(values), len(values)) == values


def test_sequence_page_walks_a_python_list():
    items = list(range(7))
    seen, params = [], {}
    while True:
        page = sequence_page(items, params, 3)
        seen += page.object_list
        if not page.has_next:
            break
        params = {"after": page.next_cursor}
    assert seen == items and page.count == 7
    back = sequence_page(items, {"before": page.previous_cursor}, 3)
    assert back.object_list == [3, 4, 5] and back.has_previous


def test_a_count_limit_bounds_the_count(regions):
    streets = Region.objects.filter(level=Level.STREET)
    capped = keyset_page(streets, ("name", "id"), {}, 3, count_limit=5)
    assert capped.count == 6 and capped.count_capped
    exact = keyset_page(streets, ("name", "id"), {}, 3, count_limit=8)
    assert exact.count == 8 and not exact.count_capped


def test_count_text_says_plus_past_the_limit(regions):
    streets = Region.objects.filter(level=Level.STREET)
    assert keyset_page(streets, ("name", "id"), {}, 3, count_limit=5).count_text == "5+"
    assert keyset_page(streets, ("name", "id"), {}, 3).count_text == "8"
