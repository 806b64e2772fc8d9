"""The cases API: catalogue, lists and filters, details, intake (staff, systems, validation), actions with
their error codes, photos, duplicates and the timeline. Bad input answers 4xx and changes nothing."""
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from wangge.cases.models import Case, CaseCounter, CaseEvent, CasePhoto, State
from wangge.cases.testing import act, case_in, report
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import do_create_token

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client, world, role, outsider=False):
    user = (world.outsiders if outsider else world.users)[role]
    client.force_login(user)
    return user


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type=JSON, **extra)


def items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def field_of(response) -> str:
    assert response.status_code == 422, response.content
    return response.json()["detail"][0]["loc"][-1]


def body(world, n=0, **extra):
    lng, lat = world.grid_center(world.grids[n])
    return {"category": "01001", "title": "路边暴露垃圾", "description": "人行道旁生活垃圾", "lng": lng, "lat": lat,
            **extra}


def snapshot():
    return (Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count(), CasePhoto.objects.count(),
            list(CaseCounter.objects.values_list("day", "last")))


def png_upload(name="a.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- catalogue ----------------------------------------------------------------------------------

def test_categories_two_levels_for_any_signed_in_user(world, client):
    assert client.get("/api/v1/categories").status_code == 401
    login(client, world, Role.MEDIATOR)
    data = client.get("/api/v1/categories").json()
    majors = {m["code"]: m for m in data}
    assert "01" in majors and majors["01"]["name"]
    minor = next(c for c in majors["01"]["categories"] if c["code"] == "01001")
    assert minor["minor_code"] == "001" and "CG" in minor["department_codes"]
    assert minor["handle_within_days"] >= 1
    # categories naming a special group only for those who may see special groups
    names = {c["name"] for m in data for c in m["categories"]}
    assert "吸毒人员异常" not in names
    login(client, world, Role.GRID_WORKER)
    names = {c["name"] for m in client.get("/api/v1/categories").json() for c in m["categories"]}
    assert "吸毒人员异常" in names


# --- lists --------------------------------------------------------------------------------------

def test_list_is_scoped_and_needs_cases_view(world, client):
    home = report(world)
    away = act(world.users[Role.DISTRICT_OPERATOR], case_in(world, "reported"), "register")
    lng, lat = world.grid_center(world.grids[4])
    from wangge.cases import services
    other = services.do_report_case(world.outsiders[Role.GRID_WORKER], category="01001", title="井边垃圾", lng=lng,
                                    lat=lat)
    login(client, world, Role.GRID_WORKER)
    assert {c["id"] for c in items(client.get("/api/v1/cases"))} == {home.pk, away.pk}
    login(client, world, Role.GRID_WORKER, outsider=True)
    assert {c["id"] for c in items(client.get("/api/v1/cases"))} == {other.pk}
    login(client, world, Role.DEPARTMENT_HANDLER)
    assert items(client.get("/api/v1/cases")) == []  # nothing dispatched to the department yet
    login(client, world, Role.MEDIATOR)
    assert client.get("/api/v1/cases").status_code == 403
    login(client, world, Role.SYSTEM)
    assert client.get("/api/v1/cases").status_code == 403


def test_list_filters(world, client):
    reported = report(world)
    dispatched = case_in(world, "dispatched")
    closed = case_in(world, "closed")
    lng, lat = world.grid_center(world.grids[1])
    from wangge.cases import services
    other_grid = services.do_report_case(world.users[Role.DISTRICT_OPERATOR], category="01002", title="乱扔垃圾",
                                         lng=lng, lat=lat, channel="hotline_12345")
    login(client, world, Role.DISTRICT_OPERATOR)

    def ids(query):
        return {c["id"] for c in items(client.get(f"/api/v1/cases?{query}"))}

    assert ids("state=reported") == {reported.pk, other_grid.pk}
    assert ids("state=dispatched,closed") == {dispatched.pk, closed.pk}
    assert ids("category=01001") == {reported.pk, dispatched.pk, closed.pk}
    assert ids("category=01") == {reported.pk, dispatched.pk, closed.pk, other_grid.pk}
    assert ids("channel=hotline_12345") == {other_grid.pk}
    assert ids(f"region={world.grids[1].code}") == {other_grid.pk}
    assert ids(f"region={world.communities[0].code}") == {reported.pk, dispatched.pk, closed.pk, other_grid.pk}
    assert ids(f"region={world.streets[1].code}") == set()
    assert ids("department=CG") == {dispatched.pk, closed.pk}
    assert ids(f"department={world.department.pk}") == {dispatched.pk, closed.pk}
    assert ids(f"q={dispatched.number}") == {dispatched.pk}
    assert ids("q=乱扔") == {other_grid.pk}
    # overdue and unsigned: move the deadlines into the past (deadline columns, as the poller reads them)
    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=dispatched.pk).update(accept_by=past)
    registered = act(world.users[Role.DISTRICT_OPERATOR], reported, "register")
    Case.objects.filter(pk=registered.pk).update(handle_by=past)
    Case.objects.filter(pk=closed.pk).update(handle_by=past, accept_by=past)  # closed: neither
    assert ids("overdue=true") == {registered.pk}
    assert ids("unsigned=true") == {dispatched.pk}
    ordered = [c["id"] for c in items(client.get("/api/v1/cases?ordering=reported_at"))]
    assert ordered == sorted(ordered, key=lambda pk: (Case.objects.get(pk=pk).reported_at, -pk))
    page = client.get("/api/v1/cases?limit=2&offset=0").json()
    assert page["count"] == 4 and len(page["items"]) == 2
    for bad, field in (("state=sleeping", "state"), ("category=1", "category"), ("channel=fax", "channel"),
                       ("ordering=title", "ordering")):
        assert field_of(client.get(f"/api/v1/cases?{bad}")) == field
    outside = client.get("/api/v1/cases?region=510107999")
    assert outside.status_code == 404
    login(client, world, Role.STREET_OPERATOR, outsider=True)
    assert client.get(f"/api/v1/cases?region={world.grids[0].code}").status_code == 404


def test_department_sees_exactly_what_is_dispatched_to_it(world, client):
    report(world)
    dispatched = case_in(world, "dispatched")
    login(client, world, Role.DEPARTMENT_HANDLER)
    assert [c["id"] for c in items(client.get("/api/v1/cases"))] == [dispatched.pk]
    listed = items(client.get("/api/v1/cases"))[0]
    assert listed["assignee_department"] == "CG" and listed["category"] == "01001"


# --- detail and timeline ------------------------------------------------------------------------

def test_detail_masks_the_phone_and_says_what_the_caller_may_do(world, client):
    from wangge.cases import services
    lng, lat = world.grid_center(world.grids[0])
    case = services.do_report_case(world.users[Role.DISTRICT_OPERATOR], category="01001", title="垃圾", lng=lng,
                                   lat=lat, channel="hotline_12345", reporter_name="李女士",
                                   reporter_phone="13812345678")
    login(client, world, Role.GRID_WORKER)
    data = client.get(f"/api/v1/cases/{case.pk}").json()
    assert data["reporter_phone"] == "138****5678"
    assert "13812345678" not in json.dumps(data)
    assert data["allowed_actions"] == ["escalate"]
    # the district operator who entered it is not the grid worker's to know by name: their role is shown
    assert "district_op" not in json.dumps(data, ensure_ascii=False)
    assert data["events"][0]["action"] == "report" and data["events"][0]["actor"] == "区综治中心操作员"
    assert (data["reporter"], data["entered_by"]) == ("李女士", "区综治中心操作员")
    login(client, world, Role.COMMUNITY_OPERATOR)
    data = client.get(f"/api/v1/cases/{case.pk}").json()
    assert set(data["allowed_actions"]) == {"register", "reject", "escalate", "merge"}
    assert data["tracking_code"] == case.tracking_code and data["version"] == case.version


def test_detail_outside_the_area_is_404(world, client):
    case = report(world)
    for role in (Role.STREET_OPERATOR, Role.GRID_WORKER, Role.COMMUNITY_OPERATOR):
        login(client, world, role, outsider=True)
        assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
        assert client.get(f"/api/v1/cases/{case.pk}/events").status_code == 404
    login(client, world, Role.DEPARTMENT_HANDLER)
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404  # not dispatched to it
    login(client, world, Role.DISTRICT_OPERATOR)
    assert client.get(f"/api/v1/cases/{case.pk + 999}").status_code == 404


def test_detail_shows_photos_merge_links_and_the_timeline(world, client):
    from wangge.cases.photos import do_add_photos
    original = report(world)
    duplicate = report(world)
    do_add_photos(world.users[Role.GRID_WORKER], original, [png_upload()])
    act(world.users[Role.DISTRICT_OPERATOR], duplicate, "merge", into=original)
    login(client, world, Role.COMMUNITY_OPERATOR)
    data = client.get(f"/api/v1/cases/{original.pk}").json()
    assert data["duplicates_of"] == [duplicate.number] and data["merged_into"] is None
    [photo] = data["photos"]
    assert photo["url"] == f"/cases/photos/{photo['id']}/" and photo["stage"] == "report"
    assert client.get(photo["url"]).status_code == 200
    merged = client.get(f"/api/v1/cases/{duplicate.pk}").json()
    assert merged["merged_into"] == original.number and merged["state"] == "merged"
    events = client.get(f"/api/v1/cases/{original.pk}/events").json()
    assert [e["action"] for e in events] == ["report", "add_photos"]
    assert events[0]["actor"] == "gridder"


# --- intake -------------------------------------------------------------------------------------

def test_grid_worker_reports_and_is_offered_duplicates(world, client):
    login(client, world, Role.GRID_WORKER)
    first = post(client, "/api/v1/cases", body(world, reporter_phone="13800001111"))
    assert first.status_code == 201, first.content
    data = first.json()
    case = Case.objects.get(pk=data["id"])
    assert (data["number"], data["tracking_code"], data["grid"], data["state"]) == \
        (case.number, case.tracking_code, world.grids[0].code, "reported")
    assert case.channel == "grid_worker" and case.reporter_phone == "13800001111"
    assert data["duplicates"] == [] and data["accept_by"] and data["handle_by"]
    second = post(client, "/api/v1/cases", body(world, title="路边有暴露垃圾"))
    assert [d["number"] for d in second.json()["duplicates"]] == [case.number]
    assert second.json()["duplicates"][0]["distance_m"] == 0


def test_report_by_category_id_grid_code_and_gcj02(world, client):
    from fast_geocn import coord

    from wangge.cases.testing import category
    login(client, world, Role.COMMUNITY_OPERATOR)
    no_place = body(world, category=category().pk, grid=world.grids[1].code, lng=None, lat=None)
    response = post(client, "/api/v1/cases", no_place)
    assert response.status_code == 201 and response.json()["grid"] == world.grids[1].code
    assert Case.objects.get(pk=response.json()["id"]).channel == "hotline_12345"  # an operator's default
    lng, lat = world.grid_center(world.grids[1])
    g_lng, g_lat = coord.wgs84_to_gcj02(lng, lat)
    assert abs(g_lng - lng) > 1e-4  # GCJ-02 is offset by a few hundred metres
    response = post(client, "/api/v1/cases", body(world, lng=g_lng, lat=g_lat, crs="gcj02"))
    assert response.status_code == 201 and response.json()["grid"] == world.grids[1].code
    case = Case.objects.get(pk=response.json()["id"])
    assert abs(case.lng - lng) < 1e-5 and abs(case.lat - lat) < 1e-5


@pytest.mark.parametrize("change,field", [
    ({"category": "99999"}, "category"),
    ({"category": 987654}, "category"),
    ({"title": ""}, "title"),
    ({"lng": 120.0, "lat": 30.0}, "location"),  # outside the district
    ({"grid": "510107999999999", "lng": None, "lat": None}, "grid"),
    ({"reporter_phone": "call me"}, "reporter_phone"),
    ({"channel": "citizen"}, "channel"),
    ({"crs": "mercator"}, "location"),
    ({"resolved_on_spot": True}, "resolved_on_spot"),  # an operator may not
])
def test_bad_report_is_422_and_stores_nothing(world, client, change, field):
    login(client, world, Role.COMMUNITY_OPERATOR)
    before = snapshot()
    assert field_of(post(client, "/api/v1/cases", body(world, **change))) == field
    assert field_of(post(client, "/api/v1/cases/validate", body(world, **change))) == field
    assert snapshot() == before


def test_report_outside_the_callers_area_is_422(world, client):
    login(client, world, Role.GRID_WORKER)
    before = snapshot()
    assert field_of(post(client, "/api/v1/cases", body(world, 4))) == "location"
    assert field_of(post(client, "/api/v1/cases", body(world, grid=world.grids[4].code, lng=None, lat=None))) == "grid"
    assert snapshot() == before


def test_who_may_report(world, client):
    login(client, world, Role.MEDIATOR)
    assert post(client, "/api/v1/cases", body(world)).status_code == 403
    login(client, world, Role.DEPARTMENT_HANDLER)
    assert post(client, "/api/v1/cases/validate", body(world)).status_code == 403
    assert Case.objects.count() == 0


def test_grid_worker_resolves_on_the_spot(world, client):
    login(client, world, Role.GRID_WORKER)
    response = post(client, "/api/v1/cases", body(world, resolved_on_spot=True, resolution="当场清理"))
    assert response.status_code == 201 and response.json()["state"] == "closed"
    case = Case.objects.get(pk=response.json()["id"])
    assert case.self_resolved and case.resolution == "当场清理"


def test_system_token_posts_device_cases(world, client):
    _, raw = do_create_token(None, world.users[Role.SYSTEM], "video analytics")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = post(client, "/api/v1/cases", body(world, 6, channel="device", external_id="CAM-9-001"), **auth)
    assert response.status_code == 201, response.content
    assert response.json()["duplicates"] == []  # a system does not read cases
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.channel, case.external_id, case.grid) == ("device", "CAM-9-001", world.grids[6])
    again = post(client, "/api/v1/cases", body(world, 6, channel="device", external_id="CAM-9-001"), **auth)
    assert field_of(again) == "external_id"
    default = post(client, "/api/v1/cases", body(world, 6), **auth)
    assert Case.objects.get(pk=default.json()["id"]).channel == "other_system"
    assert field_of(post(client, "/api/v1/cases", body(world, channel="hotline_12345"), **auth)) == "channel"
    assert client.get(f"/api/v1/cases/{case.pk}", **auth).status_code == 403
    # it may add photos to its own report
    photo = client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [png_upload()]}, **auth)
    assert photo.status_code == 201, photo.content


def test_validate_answers_like_the_report_and_stores_nothing(world, client):
    login(client, world, Role.GRID_WORKER)
    before = snapshot()
    response = post(client, "/api/v1/cases/validate", body(world, reporter_phone="13800001111"))
    assert response.status_code == 200 and response.json() == {"valid": True, "grid": world.grids[0].code}
    assert snapshot() == before
    created = post(client, "/api/v1/cases", body(world, channel="grid_worker", external_id="P-1"))
    assert created.status_code == 201
    # a second report with the same external number is refused by both
    assert field_of(post(client, "/api/v1/cases/validate", body(world, external_id="P-1"))) == "external_id"


# --- actions ------------------------------------------------------------------------------------

def action(client, case, name, version=None, **params):
    version = case.version if version is None else version
    return post(client, f"/api/v1/cases/{case.pk}/actions/{name}", {"version": version, **params})


def test_register_dispatch_accept_handle_close_rate(world, client):
    case = report(world)
    login(client, world, Role.DISTRICT_OPERATOR)
    data = action(client, case, "register").json()
    assert data["state"] == "registered" and data["version"] == case.version + 1
    assert "dispatch" in data["allowed_actions"]
    case.refresh_from_db()
    data = action(client, case, "dispatch", department="CG").json()
    assert data["state"] == "dispatched" and data["assignee_department"] == "CG"
    login(client, world, Role.DEPARTMENT_HANDLER)
    case.refresh_from_db()
    assert action(client, case, "accept").json()["state"] == "accepted"
    case.refresh_from_db()
    assert action(client, case, "handle", feedback="已清运").json()["state"] == "handled"
    login(client, world, Role.STREET_OPERATOR)
    case.refresh_from_db()
    assert action(client, case, "verify_close", note="现场已干净").json()["state"] == "closed"
    case.refresh_from_db()
    data = action(client, case, "rate", rating="satisfied").json()
    assert data["rating"] == "satisfied"
    assert [e["action"] for e in data["events"]] == ["report", "register", "dispatch", "accept", "handle",
                                                     "verify_close", "rate"]


def test_merge_by_number(world, client):
    original, duplicate = report(world), report(world)
    login(client, world, Role.COMMUNITY_OPERATOR)
    data = action(client, duplicate, "merge", into=original.number).json()
    assert data["state"] == "merged" and data["merged_into"] == original.number


def assert_unchanged(case):
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (case.state, case.version)
    assert CaseEvent.objects.filter(case=case).count() == case._events


def remember(case):
    case.refresh_from_db()
    case._events = CaseEvent.objects.filter(case=case).count()
    return case


def test_action_refusals_and_their_codes(world, client):
    case = remember(report(world))
    login(client, world, Role.DISTRICT_OPERATOR)
    refused = action(client, case, "verify_close")
    assert refused.status_code == 409 and refused.json()["code"] == "state"
    refused = action(client, case, "rate", rating="satisfied")  # a rating on an open case
    assert refused.status_code == 409 and refused.json()["code"] == "state"
    refused = action(client, case, "fly")
    assert refused.status_code == 409 and refused.json()["code"] == "action"
    assert field_of(action(client, case, "reject")) == "reason"  # the reason is required
    assert field_of(action(client, case, "merge", into="WG00000000000000")) == "into"
    login(client, world, Role.DEPARTMENT_HANDLER)
    assert action(client, case, "register").status_code == 404  # not its case: not found
    login(client, world, Role.MEDIATOR)
    refused = action(client, case, "register")
    assert refused.status_code == 403 and refused.json()["code"] == "role"
    login(client, world, Role.STREET_OPERATOR, outsider=True)
    assert action(client, case, "register").status_code == 404
    login(client, world, Role.GRID_WORKER)
    refused = action(client, case, "register")
    assert refused.status_code == 403 and refused.json()["code"] == "role"
    assert_unchanged(case)


def test_guard_refusal_is_409(world, client):
    case = remember(case_in(world, "accepted"))
    login(client, world, Role.DISTRICT_OPERATOR)
    refused = action(client, case, "approve_extension")  # nothing asked for
    assert refused.status_code == 409 and refused.json()["code"] == "guard"
    login(client, world, Role.DEPARTMENT_HANDLER)
    assert field_of(action(client, case, "request_extension", days=99, reason="太忙")) == "days"
    closed = remember(case_in(world, "closed"))
    login(client, world, Role.DISTRICT_OPERATOR)
    assert action(client, closed, "rate", rating="satisfied").status_code == 200
    closed = remember(closed)
    refused = action(client, closed, "rate", rating="unsatisfied")  # rated once only
    assert refused.status_code == 409 and refused.json()["code"] == "guard"
    assert_unchanged(case)
    assert_unchanged(closed)


def test_dispatch_to_an_unknown_department_is_422(world, client):
    case = remember(case_in(world, "registered"))
    login(client, world, Role.DISTRICT_OPERATOR)
    assert field_of(action(client, case, "dispatch", department="NOPE")) == "department"
    assert field_of(action(client, case, "dispatch", region="510107999")) == "region"
    assert_unchanged(case)


def test_stale_version_is_409_and_changes_nothing(world, client):
    """Two operators read the case at the same version; the first to act wins, the second gets 409 (both DBs)."""
    from django.test import Client

    case = remember(report(world))
    first, second = Client(), Client()
    first.force_login(world.users[Role.DISTRICT_OPERATOR])
    second.force_login(world.users[Role.STREET_OPERATOR])
    seen = first.get(f"/api/v1/cases/{case.pk}").json()["version"]
    assert second.get(f"/api/v1/cases/{case.pk}").json()["version"] == seen
    won = post(first, f"/api/v1/cases/{case.pk}/actions/register", {"version": seen})
    assert won.status_code == 200 and won.json()["state"] == "registered"
    lost = post(second, f"/api/v1/cases/{case.pk}/actions/reject", {"version": seen, "reason": "重复"})
    assert lost.status_code == 409 and lost.json()["code"] == "version"
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (State.REGISTERED, seen + 1)
    assert [e.action for e in CaseEvent.objects.filter(case=case).order_by("id")] == ["report", "register"]
    assert field_of(post(second, f"/api/v1/cases/{case.pk}/actions/reject", {"reason": "x"})) == "version"


# --- photos, duplicates -------------------------------------------------------------------------

def test_photo_upload(world, client):
    case = report(world)
    login(client, world, Role.GRID_WORKER)
    response = client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [png_upload(), png_upload("b.png")],
                                                                "stage": "report"})
    assert response.status_code == 201, response.content
    assert len(response.json()) == 2 and CasePhoto.objects.filter(case=case).count() == 2
    before = snapshot()
    text = SimpleUploadedFile("x.jpg", b"not an image" * 10, content_type="image/jpeg")
    response = client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [png_upload(), text]})
    assert field_of(response) == "photos"
    response = client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [png_upload()], "stage": "later"})
    assert field_of(response) == "stage"
    assert snapshot() == before
    login(client, world, Role.GRID_WORKER, outsider=True)
    assert client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [png_upload()]}).status_code == 404
    assert snapshot() == before


def test_photo_too_large_is_422(world, client, settings):
    settings.WANGGE_PHOTO_MAX_BYTES = 50
    case = report(world)
    login(client, world, Role.GRID_WORKER)
    assert field_of(client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [png_upload()]})) == "photos"
    assert not CasePhoto.objects.exists()


def test_duplicates_endpoint_is_scoped(world, client):
    home = report(world)
    lng, lat = world.grid_center(world.grids[0])
    login(client, world, Role.COMMUNITY_OPERATOR)
    url = f"/api/v1/cases/duplicates?category=01001&lng={lng}&lat={lat}&text=路边暴露垃圾"
    found = client.get(url).json()
    assert [d["id"] for d in found] == [home.pk] and found[0]["number"] == home.number
    assert client.get(url + f"&exclude={home.pk}").json() == []
    login(client, world, Role.COMMUNITY_OPERATOR, outsider=True)
    assert client.get(url).json() == []
    login(client, world, Role.MEDIATOR)
    assert client.get(url).status_code == 403
    login(client, world, Role.DISTRICT_OPERATOR)
    assert field_of(client.get(f"/api/v1/cases/duplicates?category=99999&lng={lng}&lat={lat}")) == "category"
    assert field_of(client.get(f"/api/v1/cases/duplicates?category=01001&lng={lng}&lat={lat}&crs=x")) == "location"
