"""Possible duplicates (疑似重复) of a case being reported: the same problem reported twice.

A candidate is an open case (not closed, rejected or merged) of the same category, within RADIUS_M of the
point, reported in the last WINDOW, whose text (title + description) is similar. The database narrows by
category, state, time and a lng/lat box (the index on category, state, reported_at does the work); the exact
distance (haversine) and the text similarity are computed here on the few rows left.

Not scoped: callers narrow the answer to what the viewer may see.
"""
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from wangge.cases.models import OPEN_STATES, Case, Category

RADIUS_M = 250.0
WINDOW = timedelta(days=7)
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180

# Character-bigram Dice similarity: Chinese has no spaces, and two-character words carry the meaning
# (暴露 垃圾, 井盖 破损), so shared bigrams are mostly shared words. The text test comes last, after the
# category, 250 m and 7 days have already narrowed the field to a handful of cases about the same kind of
# thing in the same place, so it only has to separate "the same problem in other words" from "another
# problem of that kind nearby". Measured on typical pairs:
#   路边暴露垃圾 / 路边有暴露垃圾堆放                              0.62  same problem
#   人民路12号门口井盖破损 / 人民路12号附近井盖碎了 (with titles)   0.50  same problem
#   占道经营 早市摊贩占用人行道 / 流动摊贩占道 人行道被摊贩占满       0.43  same problem
#   占道经营 早市摊贩占用人行道 / 店外经营 烧烤店把桌子摆到人行道     0.23  another problem
#   路边暴露垃圾 / 小区门口垃圾没人清                              0.15  (a miss: different words)
# 0.3 sits between the two groups and leans towards offering: an operator confirms before anything is
# merged, so a false offer costs a glance and a miss costs a second crew sent out.
SIMILARITY_THRESHOLD = 0.3
# Score = how alike the text is, plus a little for being close. A case matched on place alone (one side
# has no text to compare) scores at most PLACE_ONLY_WEIGHT, below every text match
# (TEXT_WEIGHT * SIMILARITY_THRESHOLD = 0.21), so text matches are offered first.
TEXT_WEIGHT, PLACE_WEIGHT, PLACE_ONLY_WEIGHT = 0.7, 0.3, 0.2

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class Duplicate:
    case: Case
    distance_m: float
    similarity: float | None  # None: matched on place alone (no text on one side)
    score: float


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _normalise(text: str) -> str:
    return _NOT_TEXT.sub("", (text or "").lower())


def bigrams(text: str) -> set[str]:
    text = _normalise(text)
    if len(text) == 1:
        return {text}
    return {text[i:i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float | None:
    """Dice coefficient of the character bigrams of a and b (0..1); None when either has no text."""
    grams_a, grams_b = bigrams(a), bigrams(b)
    if not grams_a or not grams_b:
        return None
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _box(lng: float, lat: float, radius_m: float):
    """A lng/lat box holding the circle (a little wider, so rounding never drops a point at the edge)."""
    dlat = radius_m / METRES_PER_DEGREE_LAT * 1.01
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return (lng - dlng, lng + dlng), (lat - dlat, lat + dlat)


def case_text(case: Case) -> str:
    return f"{case.title} {case.description}"


def find_duplicates(category, lng, lat, text, *, now=None, exclude_id=None, limit=5,
                    queryset=None) -> list[Duplicate]:
    """Open cases of `category` within RADIUS_M of (lng, lat) (WGS-84), reported within WINDOW before `now`,
    with text like `text`; best first. `queryset` narrows the candidates (say, to what a viewer may see)."""
    if lng is None or lat is None or category is None:
        return []
    lng, lat = float(lng), float(lat)
    now = now or timezone.now()
    category_id = category.pk if isinstance(category, Category) else int(category)
    lng_range, lat_range = _box(lng, lat, RADIUS_M)
    candidates = (queryset if queryset is not None else Case.objects.all()).filter(
        category_id=category_id, state__in=OPEN_STATES, reported_at__gte=now - WINDOW, reported_at__lte=now,
        lng__range=lng_range, lat__range=lat_range)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    found = []
    for case in candidates.select_related("category__major", "grid"):
        distance = haversine_m(lng, lat, case.lng, case.lat)
        if distance > RADIUS_M:
            continue
        alike = similarity(text, case_text(case))
        nearness = 1 - distance / RADIUS_M
        if alike is None:
            score = PLACE_ONLY_WEIGHT * nearness
        elif alike >= SIMILARITY_THRESHOLD:
            score = TEXT_WEIGHT * alike + PLACE_WEIGHT * nearness
        else:
            continue
        found.append(Duplicate(case, round(distance, 1), None if alike is None else round(alike, 3),
                               round(score, 4)))
    found.sort(key=lambda d: (-d.score, d.distance_m, -d.case.pk))
    return found[:limit]
