"""Tracking page (查询进度): status in plain words and public steps, never a person; rating after close."""
import pytest

from wangge.cases.models import Case, CaseEvent, State
from wangge.cases.testing import act, case_in
from wangge.core.roles import Role
from wangge.portal.tests.helpers import INTERNAL_NOTES, assert_no_people, citizen_case, closed_case, dress_staff

pytestmark = pytest.mark.django_db


def test_track_form_goes_to_the_case_page(client, world):
    case = citizen_case(world)
    response = client.get("/portal/track/", {"code": f" {case.tracking_code.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == f"/portal/track/{case.tracking_code}/"
    assert client.get("/portal/track/").status_code == 200
    assert client.get("/portal/track/", {"code": ""}).status_code == 400


def test_unknown_code_is_a_404_page(client, world):
    citizen_case(world)
    for code in ("ZZZZZZZZZZ", "not-a-code", "abc"):
        response = client.get(f"/portal/track/{code}/")
        assert response.status_code == 404
        assert "没有找到这个查询码" in response.content.decode()
    assert client.get("/portal/report/done/ZZZZZZZZZZ/").status_code == 404
    assert client.post("/portal/track/ZZZZZZZZZZ/rate/", {"rating": "satisfied"}).status_code == 404


def test_open_case_shows_status_category_grid_times_and_steps(client, world):
    dress_staff(world)
    case = citizen_case(world)
    case = act(world.users[Role.DISTRICT_OPERATOR], case, "register")
    case = act(world.users[Role.DISTRICT_OPERATOR], case, "dispatch")
    html = client.get(f"/portal/track/{case.tracking_code}/").content.decode()
    assert "已派单" in html
    assert "市容环境 / 暴露垃圾" in html
    assert world.grids[0].name in html
    assert case.number in html
    assert "办理时限" in html
    for label in ("收到反映", "受理立案", "派给承办单位"):
        assert label in html
    assert 'id="rating-form"' not in html  # no rating before close
    assert_no_people(html, world)


def test_closed_case_shows_resolution_not_people_nor_internal_notes(client, world):
    case = closed_case(world)
    assert CaseEvent.objects.filter(case=case, action="return").exists()
    html = client.get(f"/portal/track/{case.tracking_code}/").content.decode()
    assert "已办结" in html
    assert "垃圾已全部清运" in html  # the final resolution
    assert "办理期限延长" in html and "核查通过，办结" in html
    assert "立案备注" not in html and "现场核查" not in html  # notes of steps are not public
    assert 'id="rating-form"' in html
    assert_no_people(html, world)
    for note in INTERNAL_NOTES:
        assert note not in html


def test_citizen_rates_once(client, world):
    case = closed_case(world)
    response = client.post(f"/portal/track/{case.tracking_code}/rate/", {"rating": "satisfied", "note": "很快"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.rating == "satisfied" and case.rated_at is not None
    html = client.get(response["Location"]).content.decode()
    assert 'id="rating-value"' in html and "满意" in html and 'id="rating-form"' not in html
    # A second rating changes nothing.
    response = client.post(f"/portal/track/{case.tracking_code}/rate/", {"rating": "unsatisfied"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.rating == "satisfied"


def test_bad_ratings_change_nothing(client, world):
    case = closed_case(world)
    for data in ({}, {"rating": "great"}):
        response = client.post(f"/portal/track/{case.tracking_code}/rate/", data)
        assert response.status_code == 400
        assert "field-error" in response.content.decode()
    open_case = citizen_case(world)
    response = client.post(f"/portal/track/{open_case.tracking_code}/rate/", {"rating": "satisfied"})
    assert response.status_code == 400
    assert "尚未办结" in response.content.decode()
    assert not Case.objects.exclude(rating="").exists()
    assert not CaseEvent.objects.filter(action="rate").exists()


def test_rejected_case_shows_the_reason(client, world):
    dress_staff(world)
    case = citizen_case(world)
    case = act(world.users[Role.DISTRICT_OPERATOR], case, "reject", reason="属于物业管理范围，请联系物业")
    html = client.get(f"/portal/track/{case.tracking_code}/").content.decode()
    assert "不予受理" in html and "属于物业管理范围，请联系物业" in html
    assert 'id="rating-form"' not in html
    assert_no_people(html, world)


def test_merged_case_links_to_the_original(client, world):
    original = citizen_case(world, title="垃圾堆放")
    duplicate = citizen_case(world, title="垃圾又堆放了")
    duplicate = act(world.users[Role.DISTRICT_OPERATOR], duplicate, "merge", into=original)
    assert duplicate.state == State.MERGED
    html = client.get(f"/portal/track/{duplicate.tracking_code}/").content.decode()
    assert "已合并" in html
    assert f'href="/portal/track/{original.tracking_code}/"' in html


def test_staff_rating_is_shown_too(client, world):
    case = case_in(world, "closed")
    act(world.users[Role.DISTRICT_OPERATOR], case, "rate", rating="basically", note="电话回访，钱值班员乙")
    html = client.get(f"/portal/track/{case.tracking_code}/").content.decode()
    assert "基本满意" in html and "钱值班员乙" not in html
