"""Possible duplicates: same category, open, within 250 m and 7 days, similar text; each boundary both ways."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.cases import duplicates, services
from wangge.cases.duplicates import METRES_PER_DEGREE_LAT, find_duplicates, haversine_m, similarity
from wangge.cases.models import Category
from wangge.cases.testing import act, category
from wangge.core.roles import Role

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TEXT = "路边暴露垃圾 人行道旁堆放生活垃圾"


@pytest.fixture
def spot(world):
    return world.grid_center(world.grids[0])


def north(point, metres):
    """A point `metres` due north: along a meridian the haversine distance is exactly R * dlat."""
    return point[0], point[1] + metres / METRES_PER_DEGREE_LAT


def east(point, metres):
    import math
    return point[0] + metres / (METRES_PER_DEGREE_LAT * math.cos(math.radians(point[1]))), point[1]


def reported(world, where, *, title="路边有暴露垃圾", description="人行道旁堆放生活垃圾无人清理", days_ago=1.0,
             cat=None):
    return services.do_report_case(world.users[Role.GRID_WORKER], category=cat or category(), title=title,
                                   description=description, lng=where[0], lat=where[1],
                                   now=NOW - timedelta(days=days_ago))


def found(spot, text=TEXT, **kwargs):
    return [d.case.pk for d in find_duplicates(category(), spot[0], spot[1], text, now=NOW, **kwargs)]


def test_distance_boundary_249_vs_251_m(world, spot):
    near = reported(world, north(spot, 249))
    far = reported(world, north(spot, 251))
    assert found(spot) == [near.pk]
    # East-west too: the lng box is widened by 1/cos(lat), so a point at 249 m east is not cut by the prefilter.
    east_near = reported(world, east(spot, 249))
    reported(world, east(spot, 251))
    assert set(found(spot)) == {near.pk, east_near.pk}
    assert abs(haversine_m(*spot, far.lng, far.lat) - 251) < 0.5


def test_time_boundary_6_9_vs_7_1_days(world, spot):
    recent = reported(world, north(spot, 20), days_ago=6.9)
    reported(world, north(spot, 20), days_ago=7.1)
    assert found(spot) == [recent.pk]


def test_other_category_is_not_a_duplicate(world, spot):
    other = Category.objects.exclude(pk=category().pk).filter(active=True).first()
    reported(world, north(spot, 10), cat=other)
    assert found(spot) == []
    assert [d.case.pk for d in find_duplicates(other, spot[0], spot[1], TEXT, now=NOW)] != []


@pytest.mark.parametrize("variant", ["closed", "rejected", "merged"])
def test_finished_cases_are_not_offered(world, spot, variant):
    op = world.users[Role.DISTRICT_OPERATOR]
    case = reported(world, north(spot, 10))
    if variant == "closed":
        case = act(world.users[Role.GRID_WORKER], case, "self_resolve", resolution="已清理")
    elif variant == "rejected":
        case = act(op, case, "reject", reason="重复上报")
    else:
        original = reported(world, north(spot, 400))  # out of range itself, so only the merged one could show
        case = act(op, case, "merge", into=original)
    assert case.state == variant
    assert found(spot) == []


def test_dissimilar_text_is_not_offered(world, spot):
    reported(world, north(spot, 10), title="井盖缺失", description="雨水井盖被盗，行人易跌落")
    assert found(spot) == []
    assert similarity(TEXT, "井盖缺失 雨水井盖被盗，行人易跌落") < duplicates.SIMILARITY_THRESHOLD


def test_ordered_by_score_and_text_before_place_alone(world, spot):
    alike_far = reported(world, north(spot, 200), title="路边暴露垃圾", description="人行道旁堆放生活垃圾")
    alike_near = reported(world, north(spot, 5), title="路边暴露垃圾", description="人行道旁堆放生活垃圾")
    less_alike = reported(world, north(spot, 5), title="路边垃圾", description="人行道有人倒垃圾")
    assert found(spot) == [alike_near.pk, alike_far.pk, less_alike.pk]
    # An empty text matches on place alone, with a lower score than any text match.
    results = find_duplicates(category(), spot[0], spot[1], "", now=NOW)
    # nearest first; the two at 5 m tie and the newer comes first
    assert [d.case.pk for d in results] == [less_alike.pk, alike_near.pk, alike_far.pk]
    assert all(d.similarity is None for d in results)
    assert max(d.score for d in results) <= duplicates.PLACE_ONLY_WEIGHT
    assert min(d.score for d in find_duplicates(category(), spot[0], spot[1], TEXT, now=NOW)) > \
        duplicates.PLACE_ONLY_WEIGHT


def test_exclude_limit_and_no_location(world, spot):
    cases = [reported(world, north(spot, 10 * n)) for n in range(1, 8)]
    assert len(found(spot)) == 5
    assert len(found(spot, limit=10)) == 7
    assert cases[0].pk not in found(spot, exclude_id=cases[0].pk, limit=10)
    assert find_duplicates(category(), None, None, TEXT, now=NOW) == []
