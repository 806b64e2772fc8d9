"""Open311 GeoReport v2 at /open311/v2/: every resource in JSON and XML, a client's round trip, every error
in the spec's format with nothing stored, and no personal data in what GET answers."""
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Category, Channel, State
from wangge.cases.testing import act, case_in
from wangge.core.models import ApiToken, AuditEntry
from wangge.core.roles import Role
from wangge.core.services import do_create_token, do_revoke_token

BASE = "/open311/v2"
FORMATS = ["json", "xml"]
NAME, PHONE, EMAIL = "欧阳奇特", "13912345678", "qite@example.com"


@pytest.fixture
def api_key(world):
    _token, raw = do_create_token(None, world.users[Role.SYSTEM], name="随手拍 app")
    return raw


@pytest.fixture
def point(world):
    lng, lat = world.grid_center(world.grids[0])
    return {"lat": f"{lat}", "long": f"{lng}"}


def body(response, fmt):
    """The answer as Python: JSON as is; XML as a list of {tag: text} (or one dict for a single object)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<')
    return ET.fromstring(response.content)


def rows(root: ET.Element) -> list[dict]:
    return [{child.tag: child.text for child in item} for item in root]


def errors_of(response, fmt) -> list[dict]:
    parsed = body(response, fmt)
    if fmt == "json":
        return parsed
    assert parsed.tag == "errors" and all(item.tag == "error" for item in parsed)
    return [{"code": int(item.findtext("code")), "description": item.findtext("description")} for item in parsed]


def post(client, fmt, **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def report_citizen(world, grid=0, code=("01", "001"), **extra):
    lng, lat = world.grid_center(world.grids[grid])
    category = Category.objects.get(major__code=code[0], code=code[1])
    extra.setdefault("title", "路灯坏了")
    return services.do_report_public(category=category, lng=lng, lat=lat, channel=Channel.CITIZEN, **extra)


def snapshot():
    return (Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count(),
            list(ApiToken.objects.values_list("last_used_at", flat=True)))


# --- discovery, services, service definitions ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_this_endpoint_and_both_formats(db, client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    parsed = body(response, fmt)
    if fmt == "json":
        endpoint = parsed["endpoints"][0]
        assert parsed["changeset"] and parsed["contact"] and parsed["key_service"]
        formats = endpoint["formats"]
    else:
        assert parsed.tag == "discovery"
        assert parsed.findtext("changeset") and parsed.findtext("contact") and parsed.findtext("key_service")
        endpoint = {child.tag: child.text for child in parsed.find("endpoints/endpoint")}
        formats = [f.text for f in parsed.findall("endpoints/endpoint/formats/format")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production"
    assert sorted(formats) == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_active_minor_classes(db, client, fmt):
    retired = Category.objects.get(major__code="01", code="002")
    retired.active = False
    retired.save()
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    parsed = body(response, fmt)
    listed = parsed if fmt == "json" else rows(parsed)
    if fmt == "xml":
        assert parsed.tag == "services" and {item.tag for item in parsed} == {"service"}
    by_code = {s["service_code"]: s for s in listed}
    assert len(by_code) == Category.objects.filter(active=True, major__active=True).count()
    assert "01002" not in by_code
    garbage = by_code["01001"]
    assert garbage["service_name"] == "暴露垃圾"
    assert garbage["group"] == "市容环境"
    assert garbage["type"] == "realtime"
    assert garbage["metadata"] in (False, "false")
    assert "暴露垃圾" in garbage["keywords"] and garbage["description"]
    assert set(garbage) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_and_unknown_codes(db, client, fmt):
    response = client.get(f"{BASE}/services/05002.{fmt}")
    assert response.status_code == 200
    parsed = body(response, fmt)
    if fmt == "json":
        assert parsed == {"service_code": "05002", "attributes": []}
    else:
        assert parsed.tag == "service_definition"
        assert parsed.findtext("service_code") == "05002"
        assert parsed.find("attributes") is not None and len(parsed.find("attributes")) == 0
    for unknown in ("99999", "0500", "abc"):
        response = client.get(f"{BASE}/services/{unknown}.{fmt}")
        assert response.status_code == 404
        [error] = errors_of(response, fmt)
        assert error["code"] == 404 and unknown in error["description"]


# --- POST requests ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_case_from_the_app_and_answers_its_id(world, api_key, point, fmt):
    client = Client(enforce_csrf_checks=True)  # an API signed by its api_key needs no CSRF token
    response = post(client, fmt, api_key=api_key, service_code="05002", description="路灯不亮\n整条巷子都黑了",
                    first_name="奇特", last_name="欧阳", phone=PHONE, email=EMAIL,
                    address_string="幸福路1号旁", **point)
    assert response.status_code == 201, response.content
    parsed = body(response, fmt)
    answer = parsed[0] if fmt == "json" else rows(parsed)[0]
    if fmt == "xml":
        assert parsed.tag == "service_requests" and parsed[0].tag == "request"
    case = Case.objects.get()
    assert answer["service_request_id"] == case.tracking_code
    assert case.tracking_code in answer["service_notice"]
    assert "account_id" in answer and not answer["account_id"]
    assert case.channel == Channel.OTHER_SYSTEM
    assert case.category.full_code == "05002"
    assert case.title == "路灯不亮"
    assert case.description == "路灯不亮\n整条巷子都黑了"
    assert case.reporter_name == NAME and case.reporter_phone == PHONE and not case.anonymous
    assert case.address == "幸福路1号旁"
    assert case.grid == world.grids[0] and case.state == State.REPORTED
    # The e-mail address is not kept anywhere.
    assert EMAIL not in json.dumps(list(Case.objects.values()), default=str)
    assert not AuditEntry.objects.filter(details__icontains=EMAIL).exists()
    # The app's account is in the audit log beside the public intake's own row.
    app_row = AuditEntry.objects.get(operation="cases.open311_report")
    assert app_row.actor == world.users[Role.SYSTEM] and app_row.object_id == str(case.pk)
    assert app_row.details["tracking_code"] == case.tracking_code
    assert AuditEntry.objects.filter(operation="cases.report", object_id=str(case.pk)).exists()
    assert ApiToken.objects.get().last_used_at is not None


def test_post_without_a_name_is_anonymous_and_keeps_the_media_link(world, api_key, point, client):
    response = post(client, "json", api_key=api_key, service_code="01001", media_url="https://img.example.cn/a.jpg",
                    **point)
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.anonymous and case.reporter_name == "" and case.reporter_phone == ""
    assert case.title == "暴露垃圾"  # no description: the service's name
    assert "https://img.example.cn/a.jpg" in case.description


def test_round_trip_post_then_read_it_back(world, api_key, point, client):
    created = post(client, "json", api_key=api_key, service_code="01001", description="垃圾桶满溢 <&> 三天没收",
                   first_name="奇特", last_name="欧阳", phone=PHONE, **point)
    request_id = json.loads(created.content)[0]["service_request_id"]

    for fmt in FORMATS:
        one = client.get(f"{BASE}/requests/{request_id}.{fmt}")
        assert one.status_code == 200
        [got] = body(one, fmt) if fmt == "json" else rows(body(one, fmt))
        assert got["service_request_id"] == request_id
        assert got["status"] == "open"
        assert got["service_code"] == "01001" and got["service_name"] == "暴露垃圾"
        assert got["description"] == "垃圾桶满溢 <&> 三天没收"
        assert float(got["lat"]) == pytest.approx(float(point["lat"]))
        assert float(got["long"]) == pytest.approx(float(point["long"]))
        assert got["requested_datetime"].endswith("+08:00")
        assert got["updated_datetime"].endswith("+08:00") and got["expected_datetime"].endswith("+08:00")
        assert NAME not in one.content.decode() and PHONE not in one.content.decode()

        listing = client.get(f"{BASE}/requests.{fmt}", {"service_code": "01001"})
        assert listing.status_code == 200
        listed = body(listing, fmt) if fmt == "json" else rows(body(listing, fmt))
        assert [r["service_request_id"] for r in listed] == [request_id]
        assert NAME not in listing.content.decode() and PHONE not in listing.content.decode()
        other = client.get(f"{BASE}/requests.{fmt}", {"service_code": "05002"})
        assert (json.loads(other.content) if fmt == "json" else rows(body(other, fmt))) == []


def test_xml_escapes_text_and_drops_characters_xml_cannot_hold(world):
    case = report_citizen(world, title="井盖 <b>&amp; \"丢了\"</b>", description="A<&>B\x01C")
    response = Client().get(f"{BASE}/requests/{case.tracking_code}.xml")
    assert b"<&>" not in response.content and b"<b>" not in response.content
    [got] = rows(ET.fromstring(response.content))
    assert got["description"] == "A<&>BC"
    titled = report_citizen(world, title="井盖 <b>&amp;</b>")
    [got] = rows(ET.fromstring(Client().get(f"{BASE}/requests/{titled.tracking_code}.xml").content))
    assert got["description"] == "井盖 <b>&amp;</b>"  # no description: the citizen's own title


# --- errors on POST: the spec's format, the right status, nothing stored -------------------------------------

def _bad_posts(world, api_key, point):
    outside = {"lat": "30.70", "long": "104.50"}  # inside China, outside every grid of the district
    mediator_key = do_create_token(None, world.users[Role.MEDIATOR])[1]
    revoked_token, revoked_key = do_create_token(None, world.users[Role.SYSTEM], name="old")
    do_revoke_token(None, revoked_token)
    good = {"api_key": api_key, "service_code": "01001", **point}
    return [
        ("no api_key", 403, {k: v for k, v in good.items() if k != "api_key"}, "api_key"),
        ("wrong api_key", 403, {**good, "api_key": "wg_not-a-key"}, "api_key"),
        ("revoked api_key", 403, {**good, "api_key": revoked_key}, "api_key"),
        ("key of an account that may not report", 403, {**good, "api_key": mediator_key}, "api_key"),
        ("no service_code", 400, {k: v for k, v in good.items() if k != "service_code"}, "service_code"),
        ("unknown service_code", 400, {**good, "service_code": "99001"}, "service_code"),
        ("address only", 400, {"api_key": api_key, "service_code": "01001", "address_string": "幸福路1号"},
         "lat and long are required"),
        ("no location", 400, {"api_key": api_key, "service_code": "01001"}, "lat and long"),
        ("lat without long", 400, {**good, "long": ""}, "lat and long"),
        ("lat not a number", 400, {**good, "lat": "north"}, "lat"),
        ("outside the district", 400, {**good, **outside}, "lat/long"),
        ("bad phone", 400, {**good, "phone": "12345"}, "phone"),
        ("description too long", 400, {**good, "description": "长" * 4001}, "description"),
        ("media_url not a link", 400, {**good, "media_url": "javascript:alert(1)"}, "media_url"),
        ("name too long", 400, {**good, "first_name": "名" * 30, "last_name": "姓" * 30}, "first_name"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_bad_post_answers_in_the_spec_format_and_stores_nothing(world, api_key, point, client, fmt):
    cases = _bad_posts(world, api_key, point)
    before = snapshot()
    for label, status, data, words in cases:
        response = post(client, fmt, **data)
        assert response.status_code == status, (label, response.content)
        found = errors_of(response, fmt)
        assert found and all(e["code"] == status for e in found), label
        assert any(words in e["description"] for e in found), (label, found)
        assert snapshot() == before, label


def test_several_field_errors_come_back_together(world, api_key, client):
    response = post(client, "json", api_key=api_key, service_code="99999", phone="1", lat="x", long="y")
    descriptions = " ".join(e["description"] for e in json.loads(response.content))
    assert response.status_code == 400
    for field in ("service_code", "phone", "lat", "long"):
        assert field in descriptions


# --- GET requests: filters, public output only ---------------------------------------------------------------

def listed(client, fmt="json", **params) -> list[dict]:
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 200, response.content
    return json.loads(response.content) if fmt == "json" else rows(body(response, fmt))


def test_get_output_is_public_only(world, client):
    op = world.users[Role.DISTRICT_OPERATOR]
    citizen = report_citizen(world, description="路灯一直闪", reporter_name=NAME, reporter_phone=PHONE)
    staff = services.do_report_case(world.users[Role.GRID_WORKER], category=Category.objects.get(major__code="01",
                                    code="001"), title="王某某家门口垃圾", description=f"联系人 {NAME} {PHONE}",
                                    lng=citizen.lng, lat=citizen.lat, reporter_phone="13700001111")
    staff = act(op, staff, "register")
    staff = act(op, staff, "dispatch")
    for fmt in FORMATS:
        response = client.get(f"{BASE}/requests.{fmt}")
        text = response.content.decode()
        for private in (NAME, PHONE, "13700001111", "王某某", "联系人", "gridder",
                        world.users[Role.GRID_WORKER].full_name):
            assert private not in text, (fmt, private)
        by_id = {r["service_request_id"]: r for r in listed(client, fmt)}
        assert by_id[citizen.tracking_code]["description"] == "路灯一直闪"
        assert by_id[staff.tracking_code]["description"] in (None, "")  # staff wrote it: not published
        assert by_id[staff.tracking_code]["agency_responsible"] == "城管局"
        assert by_id[citizen.tracking_code]["agency_responsible"] in (None, "")


def test_people_classes_are_not_listed_but_answer_to_their_id(world, client):
    street = report_citizen(world)
    dispute = report_citizen(world, code=("11", "001"), title="楼上漏水纠纷", description="楼上漏水")
    special = services.do_report_case(world.users[Role.GRID_WORKER],
                                      category=Category.objects.get(major__code="14", code="003"), title="异常",
                                      lng=street.lng, lat=street.lat)
    ids = {r["service_request_id"] for r in listed(client)}
    assert ids == {street.tracking_code}
    assert listed(client, service_code="11001,14003") == []
    got = {r["service_request_id"] for r in listed(client, service_request_id=f"{dispute.tracking_code},"
                                                                             f"{special.tracking_code}")}
    assert got == {dispute.tracking_code, special.tracking_code}
    assert client.get(f"{BASE}/requests/{dispute.tracking_code.lower()}.json").status_code == 200


def test_status_and_status_notes(world, client):
    open_case = report_citizen(world)
    closed = case_in(world, "closed")
    rejected = case_in(world, "rejected")
    merged = case_in(world, "merged")
    by_id = {r["service_request_id"]: r for r in listed(client)}
    assert by_id[open_case.tracking_code]["status"] == "open"
    assert by_id[open_case.tracking_code]["status_notes"] is None
    assert by_id[closed.tracking_code]["status"] == "closed"
    assert by_id[closed.tracking_code]["status_notes"] == "已清理"
    assert by_id[rejected.tracking_code]["status_notes"] == "不属于受理范围"
    assert merged.merged_into.tracking_code in by_id[merged.tracking_code]["status_notes"]
    assert by_id[merged.tracking_code]["status"] == "closed"
    closed_ids = {r["service_request_id"] for r in listed(client, status="closed")}
    assert closed_ids == {closed.tracking_code, rejected.tracking_code, merged.tracking_code}
    open_ids = {r["service_request_id"] for r in listed(client, status="open")}
    assert open_case.tracking_code in open_ids and not open_ids & closed_ids
    assert len(listed(client, status="open,closed")) == len(listed(client))
    assert by_id[closed.tracking_code]["expected_datetime"] == \
        timezone.localtime(closed.handle_by).isoformat(timespec="seconds")


def test_dates_default_to_the_last_90_days_and_filter_by_report_time(world, client):
    now = timezone.now()
    old = report_citizen(world, now=now - timedelta(days=100))
    recent = report_citizen(world, now=now - timedelta(days=2))
    assert {r["service_request_id"] for r in listed(client)} == {recent.tracking_code}
    window = {"start_date": timezone.localtime(now - timedelta(days=120)).isoformat(),
              "end_date": timezone.localtime(now - timedelta(days=50)).isoformat()}
    assert [r["service_request_id"] for r in listed(client, **window)] == [old.tracking_code]
    # A "+" left unencoded in the query string arrives as a space: still read as the offset.
    plus_as_space = window["start_date"].replace("+", " ")
    assert [r["service_request_id"] for r in listed(client, start_date=plus_as_space,
                                                    end_date=window["end_date"])] == [old.tracking_code]
    day = timezone.localdate(now - timedelta(days=2)).isoformat()
    assert [r["service_request_id"] for r in listed(client, start_date=day, end_date=day)] == [recent.tracking_code]
    assert len(listed(client, "xml", limit="1", start_date=window["start_date"])) == 1


def test_service_request_id_overrides_every_other_parameter(world, client):
    first, second = report_citizen(world), report_citizen(world)
    got = listed(client, service_request_id=f" {first.tracking_code} ,{second.tracking_code}", status="closed",
                 service_code="05001", start_date="bad")
    assert {r["service_request_id"] for r in got} == {first.tracking_code, second.tracking_code}
    assert listed(client, service_request_id="NOSUCHCODE") == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_get_parameters_answer_400_in_the_spec_format(db, client, fmt):
    for params, words in [({"status": "pending"}, "status"), ({"start_date": "yesterday"}, "start_date"),
                          ({"end_date": "2026-13-45"}, "end_date"),
                          ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "90"),
                          ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "after"),
                          ({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit"), ({"limit": "x"}, "limit"),
                          ({"service_code": "99001"}, "service_code"), ({"service_code": "1"}, "service_code")]:
        response = client.get(f"{BASE}/requests.{fmt}", params)
        assert response.status_code == 400, params
        [error] = errors_of(response, fmt)
        assert error["code"] == 400 and words in error["description"], (params, error)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_answer_404(db, client, fmt):
    for path in (f"requests/NOSUCHCODE.{fmt}", f"tokens/NOSUCHCODE.{fmt}"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404
        [error] = errors_of(response, fmt)
        assert error["code"] == 404 and "NOSUCHCODE" in error["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_maps_to_the_request_id(world, client, fmt):
    case = report_citizen(world)
    response = client.get(f"{BASE}/tokens/{case.tracking_code}.{fmt}")
    assert response.status_code == 200
    parsed = body(response, fmt)
    got = parsed if fmt == "json" else rows(parsed)
    assert got == [{"service_request_id": case.tracking_code, "token": case.tracking_code}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_method_answers_405_and_changes_nothing(world, api_key, client, fmt):
    before = snapshot()
    for path in ("discovery", "services", "requests"):
        response = client.put(f"{BASE}/{path}.{fmt}")
        assert response.status_code == 405
        assert errors_of(response, fmt)[0]["code"] == 405
        assert "GET" in response["Allow"]
    assert client.post(f"{BASE}/services.{fmt}", {"api_key": api_key}).status_code == 405
    assert snapshot() == before


def test_other_formats_are_not_served(db, client):
    assert client.get(f"{BASE}/services.html").status_code == 404
    assert client.get(f"{BASE}/services").status_code == 404


def test_administrators_choose_which_classes_are_listed(world, client):
    from wangge.cases.models import MajorCategory

    street = report_citizen(world)
    dispute = report_citizen(world, code=("11", "001"), title="楼上漏水纠纷")
    assert {r["service_request_id"] for r in listed(client)} == {street.tracking_code}
    MajorCategory.objects.filter(code="11").update(public=True)
    MajorCategory.objects.filter(code="01").update(public=False)
    assert {r["service_request_id"] for r in listed(client)} == {dispute.tracking_code}
