"""Personal data: checked once when entered, shown masked by default (DESIGN.md §5)."""
import re

from django.utils.translation import gettext as _


class InvalidValue(ValueError):
    """A value that is not what its field holds (a phone number, an ID number…); the message says why."""


MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def clean_phone(value) -> str:
    """A mainland mobile (11 digits, 13x–19x) or a landline with area code; blank allowed."""
    phone = re.sub(r"[\s()]", "", str(value or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise InvalidValue(_("Not a phone number"))
    return phone


def checked_phone(value, field: str) -> str:
    """clean_phone inside an operation: a bad number refuses it, naming `field`."""
    from wangge.core.services import OperationError  # core.services reads the models: not at import time

    try:
        return clean_phone(value)
    except InvalidValue as exc:
        raise OperationError(str(exc), field=field) from None


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; short or empty values are masked whole."""
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str) -> str:
    """510107199001011234 -> 510107********1234."""
    number = (number or "").strip()
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


# --- a revealed value on the page after the reveal (post/redirect/get) ----------------------------------------
# A reveal is a POST that logs who saw what and why. Answered with the page itself, the browser stays on the POST:
# a refresh would reveal, and log, again. So the page answers with a redirect to itself, and the value waits in
# the session (encrypted) for that one page view; a refresh shows it masked.

REVEALED_SESSION_KEY = "wangge_revealed"


def reveal_key(label: str, pk, field: str) -> str:
    """The one name a revealed value is held under: "<app_label.model>:<pk>:<field>" ("mediation.party:12:phone")."""
    return f"{label}:{pk}:{field}"


def keep_revealed(request, key: str, value: str) -> None:
    """Hold `value` for the next page view that asks for `key` ("mediation.party:12:phone")."""
    from wangge.core.crypto import encrypt

    held = request.session.get(REVEALED_SESSION_KEY, {})
    held[key] = encrypt(value)
    request.session[REVEALED_SESSION_KEY] = held


def take_revealed(request, key: str) -> str | None:
    """The value held for `key`, once (None when there is none: a refresh, another page)."""
    from wangge.core.crypto import decrypt

    held = request.session.get(REVEALED_SESSION_KEY) or {}
    token = held.pop(key, None)
    if token is None:
        return None
    request.session[REVEALED_SESSION_KEY] = held
    return decrypt(token)
