"""A scheme's rules: checking them (weights add up to 100, bands do not overlap, the allowance rule is sound), scoring
with them (value → band → points, weights → total → rating) and the allowance. Docs: docs/assessment.md.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from wangge.core.services import FieldErrors
from wangge.insight.assessment.indicators import REGISTRY

HUNDREDTH = Decimal("0.01")
RATINGS = (("A", Decimal(90)), ("B", Decimal(75)), ("C", Decimal(60)), ("D", Decimal(40)))
RATING_LETTERS = ("A", "B", "C", "D", "E")
# 习水县: a grid worker's monthly allowance is at least 200 yuan, whatever the score.
ALLOWANCE_FLOOR = Decimal(200)
ALLOWANCE_CEILING = Decimal(100000)
MAX_INDICATORS = 20
MAX_BANDS = 12


def quantize(value) -> Decimal:
    return Decimal(value).quantize(HUNDREDTH, ROUND_HALF_UP)


def _number(value, *, allow_none=False):
    if value is None or value == "":
        if allow_none:
            return None
        raise ValueError
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite() or abs(number) > 10 ** 6:
        raise ValueError
    return number


def clean_bands(raw, code: str, errors: dict) -> list[dict]:
    """[{"from", "to", "points"}] sorted by from: from inclusive, to exclusive (None: no bound), points 0–100."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_BANDS:
        errors["bands"] = _("%(code)s: give from 1 to %(n)s scoring bands") % {"code": code, "n": MAX_BANDS}
        return []
    bands = []
    for band in raw:
        try:
            if not isinstance(band, dict):
                raise ValueError
            low, high = _number(band.get("from"), allow_none=True), _number(band.get("to"), allow_none=True)
            points = _number(band.get("points"))
        except ValueError:
            errors["bands"] = _("%(code)s: a band needs numbers from, to and points") % {"code": code}
            return []
        if not 0 <= points <= 100:
            errors["bands"] = _("%(code)s: points are from 0 to 100") % {"code": code}
            return []
        if low is not None and high is not None and low >= high:
            errors["bands"] = _("%(code)s: a band's from must be below its to") % {"code": code}
            return []
        bands.append({"from": low, "to": high, "points": points})
    bands.sort(key=lambda b: (b["from"] is not None, b["from"] or 0))
    for before, after in zip(bands, bands[1:]):
        if before["to"] is None or after["from"] is None or after["from"] < before["to"]:
            errors["bands"] = _("%(code)s: scoring bands overlap") % {"code": code}
            return []
    return [{k: (None if v is None else float(v)) for k, v in b.items()} for b in bands]


def clean_indicators(raw, target_type: str) -> list[dict]:
    """The scheme's indicators checked: known, applying to the target type, once each, weights adding up to 100,
    bands that do not overlap. FieldErrors naming every field at fault."""
    errors: dict[str, str] = {}
    if not isinstance(raw, list) or not raw or len(raw) > MAX_INDICATORS:
        raise FieldErrors({"indicators": _("Give from 1 to %(n)s indicators") % {"n": MAX_INDICATORS}})
    out, seen, total = [], set(), Decimal(0)
    for item in raw:
        code = item.get("code") if isinstance(item, dict) else None
        indicator = REGISTRY.get(code) if isinstance(code, str) else None
        if indicator is None or not indicator.applies(target_type):
            errors["indicators"] = _("Unknown indicator for this target type: %(code)s") % {"code": code}
            continue
        if code in seen:
            errors["indicators"] = _("Indicator given twice: %(code)s") % {"code": code}
            continue
        seen.add(code)
        try:
            weight = _number(item.get("weight"))
        except ValueError:
            weight = Decimal(-1)
        if weight <= 0 or weight != weight.quantize(HUNDREDTH):
            errors["weights"] = _("%(code)s: the weight must be a positive number") % {"code": code}
            continue
        total += weight
        bands = [] if indicator.unit == "score" and not item.get("bands") else clean_bands(item.get("bands"), code,
                                                                                          errors)
        out.append({"code": code, "weight": float(weight), "bands": bands})
    if "weights" not in errors and "indicators" not in errors and total != 100:
        errors["weights"] = _("The weights add up to %(total)s, not 100") % {"total": total.normalize()}
    if errors:
        raise FieldErrors(errors)
    return out


def clean_allowance_rule(raw, target_type: str) -> dict:
    """Grid workers only: {"kind": "by_rating", "amounts": {A…E}} or {"kind": "linked", "base", "linked"}; every
    amount a grid worker can get is at least ALLOWANCE_FLOOR yuan."""
    if target_type != "grid_worker":
        if raw:
            raise FieldErrors({"allowance_rule": _("Only grid workers' schemes carry an allowance rule")})
        return {}
    if not isinstance(raw, dict) or raw.get("kind") not in ("by_rating", "linked"):
        raise FieldErrors({"allowance_rule": _("Choose an allowance rule: by rating, or a base plus a score-linked "
                                               "part")})
    floor = _("Every allowance is at least %(floor)s yuan") % {"floor": ALLOWANCE_FLOOR}
    try:
        if raw["kind"] == "by_rating":
            amounts = raw.get("amounts")
            if not isinstance(amounts, dict) or set(amounts) != set(RATING_LETTERS):
                raise FieldErrors({"allowance_rule": _("Give an amount for each rating A to E")})
            cleaned = {letter: _number(amounts[letter]) for letter in RATING_LETTERS}
            if any(not ALLOWANCE_FLOOR <= v <= ALLOWANCE_CEILING for v in cleaned.values()):
                raise FieldErrors({"allowance_rule": floor})
            return {"kind": "by_rating", "amounts": {k: float(quantize(v)) for k, v in cleaned.items()}}
        base, linked = _number(raw.get("base")), _number(raw.get("linked"))
    except ValueError:
        raise FieldErrors({"allowance_rule": _("The allowance rule's amounts must be numbers")}) from None
    if not ALLOWANCE_FLOOR <= base <= ALLOWANCE_CEILING:
        raise FieldErrors({"allowance_rule": floor})
    if not 0 <= linked <= ALLOWANCE_CEILING:
        raise FieldErrors({"allowance_rule": _("The score-linked part is from 0 to %(max)s yuan")
                           % {"max": ALLOWANCE_CEILING}})
    return {"kind": "linked", "base": float(quantize(base)), "linked": float(quantize(linked))}


# --- scoring ------------------------------------------------------------------------------------------------------

def percent(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return quantize(Decimal(numerator) * 100 / Decimal(denominator))


def band_points(value: Decimal, bands: list[dict]) -> Decimal:
    """The points of the band holding `value` (from ≤ value < to); 0 outside every band."""
    for band in bands:
        low, high = band["from"], band["to"]
        if (low is None or value >= Decimal(str(low))) and (high is None or value < Decimal(str(high))):
            return Decimal(str(band["points"]))
    return Decimal(0)


def indicator_value(unit: str, numerator, denominator) -> Decimal | None:
    """What the bands read: a percentage for a rate, the count for a count, the score for a spot check; None when
    the indicator does not apply (nothing to divide by, no spot check)."""
    if unit == "rate":
        return percent(numerator, denominator)
    if numerator is None:
        return None
    return quantize(numerator)


def score_indicators(rules: list[dict], figures: dict) -> tuple[dict, Decimal | None]:
    """({code: the indicator's row}, total). `figures`: {code: (numerator, denominator)}. An indicator with no value
    is left out and the others' weights count for the whole (docs/assessment.md, "Indicators that do not apply")."""
    rows, earned, weights = {}, Decimal(0), Decimal(0)
    for rule in rules:
        indicator = REGISTRY[rule["code"]]
        numerator, denominator = figures.get(rule["code"], (None, None))
        value = indicator_value(indicator.unit, numerator, denominator)
        weight = Decimal(str(rule["weight"]))
        points = None
        if value is not None:
            points = band_points(value, rule["bands"]) if rule["bands"] else max(Decimal(0), min(value, Decimal(100)))
            earned += weight * points / 100
            weights += weight
        rows[rule["code"]] = {"numerator": _plain(numerator), "denominator": _plain(denominator),
                              "value": None if value is None else float(value),
                              "points": None if points is None else float(quantize(points)),
                              "weight": float(weight), "applies": value is not None}
    total = quantize(earned * 100 / weights) if weights else None
    return rows, total


def _plain(number):
    if number is None:
        return None
    return float(number) if isinstance(number, Decimal) else number


def rating(total: Decimal | None) -> str:
    if total is None:
        return ""
    for letter, floor in RATINGS:
        if total >= floor:
            return letter
    return "E"


def allowance(rule: dict, total: Decimal | None, letter: str) -> Decimal | None:
    """A grid worker's monthly allowance (yuan) under the scheme's rule; the floor when there is no score."""
    if not rule:
        return None
    if rule["kind"] == "by_rating":
        return quantize(Decimal(str(rule["amounts"].get(letter or "E"))))
    base, linked = Decimal(str(rule["base"])), Decimal(str(rule["linked"]))
    return quantize(base + (linked * total / 100 if total is not None else 0))


def ranks(totals: dict) -> dict:
    """{key: rank} by total, highest first; equal totals share a rank (1, 2, 2, 4); no total, no rank."""
    ordered = sorted(((t, k) for k, t in totals.items() if t is not None), key=lambda p: -p[0])
    out, previous, rank = {}, None, 0
    for position, (total, key) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        out[key] = rank
    return out
