"""Access cards (e居通卡): the district's one card-number scheme, masking, and what a card number read at a
door resolves to.

A card number is 16 digits: the issuing district's 6-digit administrative code, a 9-digit serial, and a Luhn
check digit (python-stdnum), so a mistyped or misread number is known as such before any lookup. Numbers
are given out by `next_number` from the highest serial issued in the district (inside the issuing
transaction; the unique index refuses a clash).
"""
import re
from dataclasses import dataclass

from django.db.models import Max
from stdnum import luhn

from wangge.sensing.models import Card, CardState

NUMBER = re.compile(r"^\d{16}$")


def make_number(district_code: str, serial: int) -> str:
    body = f"{district_code[:6]:0<6}{serial:09d}"
    return body + luhn.calc_check_digit(body)


def is_valid_number(number: str) -> bool:
    return bool(NUMBER.match(number or "")) and luhn.is_valid(number)


def next_number(district_code: str) -> str:
    prefix = district_code[:6]
    top = Card.objects.filter(number__startswith=prefix).aggregate(top=Max("number"))["top"]
    serial = int(top[6:15]) + 1 if top else 1
    return make_number(prefix, serial)


def mask_card(number: str) -> str:
    """6 + 6 masked + 4: the district and the last four, as printed on a receipt."""
    number = number or ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


@dataclass(frozen=True)
class Resolved:
    card_id: int | None
    person_id: int | None
    check: str  # "" valid on this building's doors, else why not
    building_id: int | None = None  # the card's building (ingestion resolves several doors' cards at once)


def resolve(numbers, building_id: int | None) -> dict[str, Resolved]:
    """What each card number read at a door of `building_id` is: one query for a batch."""
    numbers = {n for n in numbers if n}
    found = {row[0]: row for row in Card.objects.filter(number__in=[n for n in numbers if NUMBER.match(n)])
             .values_list("number", "id", "person_id", "state", "building_id")}
    answer = {}
    for number in numbers:
        row = found.get(number)
        if row is None:
            answer[number] = Resolved(None, None, "unknown" if is_valid_number(number) else "malformed")
            continue
        _number, card_id, person_id, state, card_building = row
        if state != CardState.ACTIVE:
            check = state
        elif building_id is not None and card_building != building_id:
            check = "elsewhere"
        else:
            check = ""
        answer[number] = Resolved(card_id, person_id, check, card_building)
    return answer
