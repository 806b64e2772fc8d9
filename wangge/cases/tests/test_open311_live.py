"""An Open311 client over real HTTP (urllib) against the live server: discover, list services, post a
request form-encoded, then read it back by id, by service_code and through its token."""
import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from wangge.cases.models import Case, Category, Channel, MajorCategory
from wangge.core.roles import Role
from wangge.core.services import do_create_token
from wangge.testing import build_world

pytestmark = pytest.mark.django_db(transaction=True)

NAME, PHONE = "司马测试", "13688889999"


def fetch(url, data=None):
    """(status, body bytes, content type) for a GET, or a form-encoded POST when `data` is given."""
    encoded = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=encoded)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def test_a_client_posts_and_reads_back_over_http(live_server):
    # A transactional test starts from empty tables, the shipped catalogue included: make the one class used.
    major, _ = MajorCategory.objects.update_or_create(code="05", defaults={"name": "市政公用设施", "public": True})
    Category.objects.get_or_create(major=major, code="002", defaults={"name": "路灯不亮", "department_codes": ["GD"]})
    world = build_world()
    _token, api_key = do_create_token(None, world.users[Role.SYSTEM], name="随手拍 app")
    lng, lat = world.grid_center(world.grids[1])
    base = f"{live_server.url}/open311/v2"

    status, content, _type = fetch(f"{base}/discovery.json")
    assert status == 200
    endpoint = json.loads(content)["endpoints"][0]
    assert endpoint["url"] == f"{live_server.url}/open311/v2/"
    status, content, _type = fetch(f"{base}/services.xml")
    assert status == 200
    assert "05002" in [s.findtext("service_code") for s in ET.fromstring(content)]

    status, content, content_type = fetch(f"{base}/requests.json", {
        "api_key": api_key, "service_code": "05002", "lat": lat, "long": lng, "description": "路灯不亮 <&>",
        "first_name": "测试", "last_name": "司马", "phone": PHONE, "email": "x@example.com"})
    assert status == 201, content
    assert content_type == "application/json; charset=utf-8"
    request_id = json.loads(content)[0]["service_request_id"]
    case = Case.objects.get(tracking_code=request_id)
    assert case.channel == Channel.OTHER_SYSTEM and case.grid == world.grids[1] and case.reporter_name == NAME

    status, content, content_type = fetch(f"{base}/requests/{request_id}.xml")
    assert status == 200 and content_type == "text/xml; charset=utf-8"
    [request] = ET.fromstring(content)
    assert request.findtext("service_request_id") == request_id
    assert request.findtext("description") == "路灯不亮 <&>"
    assert request.findtext("status") == "open"

    status, content, _type = fetch(f"{base}/requests.json?" + urllib.parse.urlencode({"service_code": "05002"}))
    assert status == 200
    assert [r["service_request_id"] for r in json.loads(content)] == [request_id]
    assert NAME.encode() not in content and PHONE.encode() not in content

    status, content, _type = fetch(f"{base}/tokens/{request_id}.json")
    assert json.loads(content) == [{"service_request_id": request_id, "token": request_id}]

    # A bad key over HTTP: 403 in the spec's format, nothing stored.
    status, content, _type = fetch(f"{base}/requests.xml", {"api_key": "wrong", "service_code": "05002",
                                                             "lat": lat, "long": lng})
    assert status == 403
    assert ET.fromstring(content).findtext("error/code") == "403"
    assert Case.objects.count() == 1
