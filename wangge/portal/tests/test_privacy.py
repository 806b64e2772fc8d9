"""The portal is public: no page of it shows a person's name or phone, a staff username, or internal notes,
whatever state the case is in and whoever reported it. (No jurisdiction-matrix rows: it reads no scoped
data for a user; a case is reached only by its tracking code and shown through portal.public.)"""
import pytest

from wangge.cases.testing import act, case_in
from wangge.core.roles import Role
from wangge.portal.tests.helpers import (
    REPORTER_NAME,
    assert_no_people,
    citizen_case,
    closed_case,
    dress_staff,
    dress_team,
)

pytestmark = pytest.mark.django_db

VARIANTS = ["reported", "registered", "rejected", "dispatched", "accepted", "accepted_pending", "handled", "closed",
            "merged"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_tracking_page_in_every_state_shows_no_people(client, world, variant):
    dress_staff(world)
    case = case_in(world, variant)  # reported by the grid worker, whose full name is on the case
    assert case.reporter_name == "李网格员丁"
    for url in (f"/portal/track/{case.tracking_code}/", f"/portal/report/done/{case.tracking_code}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_no_people(response.content.decode(), world)


def test_every_portal_page_shows_no_people(client, world, settings):
    dress_team(world)
    case = closed_case(world)
    act(world.users[Role.DISTRICT_OPERATOR], citizen_case(world), "reject", reason="不予受理")
    lng, lat = world.grid_center(world.grids[0])
    pages = ["/portal/", "/portal/report/", "/portal/track/", f"/portal/track/{case.tracking_code}/",
             f"/portal/report/done/{case.tracking_code}/", "/portal/track/NOSUCHCODE/", "/portal/map.json",
             f"/portal/grid-worker/?lng={lng}&lat={lat}", f"/portal/grid-worker/lookup/?lng={lng}&lat={lat}",
             f"/portal/report/similar/?category={case.category_id}&lng={lng}&lat={lat}&title=小区门口垃圾堆放"]
    for url in pages:
        html = client.get(url).content.decode()
        assert_no_people(html, world)
    rated = client.post(f"/portal/track/{case.tracking_code}/rate/", {"rating": "satisfied"}, follow=True)
    assert_no_people(rated.content.decode(), world)
    settings.PORTAL_REPORTS_PER_HOUR = 0
    limited = client.post("/portal/report/", {"title": REPORTER_NAME})
    assert limited.status_code == 429
    assert REPORTER_NAME not in limited.content.decode()


def test_a_similar_case_from_a_named_reporter_shows_no_name(client, world):
    dress_staff(world)
    case = citizen_case(world)
    lng, lat = world.grid_center(world.grids[0])
    html = client.get("/portal/report/similar/", {"category": case.category_id, "lng": lng, "lat": lat,
                                                  "title": case.title}).content.decode()
    assert case.tracking_code in html
    assert_no_people(html, world)
