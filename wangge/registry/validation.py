"""Checking national numbers with python-stdnum, with reasons a person can act on."""
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from wangge.core.personal import InvalidValue, clean_phone  # noqa: F401  (checked here with the other numbers)
from wangge.core.services import FieldErrors
from wangge.registry.codes import ETHNICITIES, ETHNICITY_BY_NAME
from wangge.registry.models import PersonKind


@lru_cache(maxsize=16384)
def _area_existed(area: str, year: int) -> bool:
    """Was this 6-digit area code assigned in that year? (stdnum's table; cached: imports ask it a million times)."""
    try:
        ric.get_birth_place(f"{area}{year:04d}01010000")
        return True
    except stdnum_errors.ValidationError:
        return False


def clean_id_number(value: str) -> str:
    """公民身份号码 (GB 11643): 18 characters, a real birth date, an area code that existed then, the check digit.

    The check digit and the area table are python-stdnum's; the rest is string work done
    here once, because stdnum re-normalises the number in every helper and imports call
    this a million times."""
    number = (value or "").replace(" ", "").replace("-", "").strip().upper()
    if len(number) != 18:
        raise InvalidValue(_("An ID number has 18 characters"))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidValue("身份证号只能是数字（末位可为 X）/ digits only, the last may be X")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidValue(_("The birth date in the ID number is impossible"))
    if birth > date.today():
        raise InvalidValue(_("The birth date in the ID number is in the future"))
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidValue(_("Wrong check digit"))
    if not _area_existed(number[:6], birth.year):
        raise InvalidValue(_("The area code did not exist in the birth year"))
    return number


def facts_from_id_number(number: str) -> tuple[str, date]:
    """Sex (M/F, from the 17th digit) and birth date, derived rather than typed."""
    return ("M" if int(number[16]) % 2 else "F"), date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def clean_uscc(value: str) -> str:
    """统一社会信用代码 (GB 32100)."""
    try:
        return uscc.validate((value or "").strip().upper())
    except stdnum_errors.InvalidChecksum:
        raise InvalidValue(_("Wrong check digit in the credit code"))
    except stdnum_errors.ValidationError as exc:
        raise InvalidValue(_("Invalid credit code (%(reason)s)") % {"reason": exc.message})


def clean_ethnicity(value: str) -> str:
    """A GB 3304 code ('01') or name ('汉族'); returns the code."""
    value = (value or "").strip()
    if value.isdigit() and value.zfill(2) in ETHNICITIES:
        return value.zfill(2)
    if value in ETHNICITY_BY_NAME:
        return ETHNICITY_BY_NAME[value]
    raise InvalidValue(_("Unknown ethnicity code %(code)s (GB 3304)") % {"code": repr(value)})


PLATE = re.compile(r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
                   r"[A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$")


def clean_plate(value: str) -> str:
    """A mainland number plate (including 6-character new-energy plates)."""
    plate = (value or "").strip().upper().replace(" ", "").replace("·", "")
    if not PLATE.match(plate):
        raise InvalidValue(_("Not a number plate"))
    return plate


# --- a person's fields, as every path registers them ------------------------------------------

@dataclass
class CleanPerson:
    name: str
    id_number: str
    sex: str
    birth_date: date
    ethnicity: str = "01"
    phone: str = ""
    kind: str = PersonKind.REGISTERED
    errors: dict = field(default_factory=dict)


# The interface's words for the kinds, whatever language the request is in.
KIND_BY_CHINESE_NAME = {"户籍": PersonKind.REGISTERED, "流动": PersonKind.FLOATING, "境外": PersonKind.OVERSEAS,
                        "人户分离": PersonKind.SEPARATED}


PERSON_KINDS = frozenset(PersonKind.values)


def clean_person(data: dict) -> CleanPerson:
    """Check a person's fields; raises FieldErrors naming every bad field."""
    errors = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 50:
        errors["name"] = _("The name is empty or too long")
    id_number, sex, birth = "", "", None
    try:
        id_number = clean_id_number(str(data.get("id_number") or ""))
        sex, birth = facts_from_id_number(id_number)
    except InvalidValue as exc:
        errors["id_number"] = str(exc)
    ethnicity = "01"
    if data.get("ethnicity") not in (None, ""):
        try:
            ethnicity = clean_ethnicity(str(data["ethnicity"]))
        except InvalidValue as exc:
            errors["ethnicity"] = str(exc)
    try:
        phone = clean_phone(str(data.get("phone") or ""))
    except InvalidValue as exc:
        errors["phone"], phone = str(exc), ""
    kind = str(data.get("kind") or PersonKind.REGISTERED).strip()
    kind = KIND_BY_CHINESE_NAME.get(kind, kind)
    if kind not in PERSON_KINDS:
        errors["kind"] = _("Unknown kind of person")
    if errors:
        raise FieldErrors(errors)
    return CleanPerson(name, id_number, sex, birth, ethnicity, phone, kind)
