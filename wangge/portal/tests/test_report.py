"""群众上报 through the portal: a case stored with its photos or nothing at all; the receipt; the rate limit."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from fast_geocn import coord

from wangge.cases.models import Case, CaseEvent, CasePhoto, Channel
from wangge.portal import ratelimit
from wangge.portal.tests.helpers import category

pytestmark = pytest.mark.django_db


def _form(world, **extra):
    lng, lat = world.grid_center(world.grids[0])
    data = {"category": str(category().pk), "title": "路灯坏了", "description": "晚上很黑", "lng": f"{lng}",
            "lat": f"{lat}", "crs": "wgs84", "address": "幸福路 1 号", "reporter_name": "张三",
            "reporter_phone": "13912345678"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _png(size=(8, 8)):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_form_offers_the_active_catalogue_in_two_levels(client, world):
    html = client.get("/portal/report/").content.decode()
    assert '<select name="major"' in html and '<optgroup label="01 市容环境">' in html
    assert f'<option value="{category().pk}">暴露垃圾</option>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="crs"' in html and 'name="anonymous"' in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # nothing from a CDN


def test_report_stores_a_citizen_case_and_shows_the_receipt(client, world):
    response = client.post("/portal/report/", _form(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert response["Location"] == f"/portal/report/done/{case.tracking_code}/"
    assert case.channel == Channel.CITIZEN and case.grid == world.grids[0]
    assert (case.reporter_name, case.reporter_phone, case.anonymous) == ("张三", "13912345678", False)
    assert case.address == "幸福路 1 号" and case.reporter is None
    html = client.get(response["Location"]).content.decode()
    assert case.tracking_code in html and case.number in html and "接下来" in html
    assert "张三" not in html and "13912345678" not in html


def test_anonymous_report_keeps_neither_name_nor_phone(client, world):
    response = client.post("/portal/report/", _form(world, anonymous="on"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.reporter_name, case.reporter_phone, case.anonymous) == ("", "", True)


def test_name_and_phone_are_optional(client, world):
    assert client.post("/portal/report/", _form(world, reporter_name="", reporter_phone="")).status_code == 302


def test_gcj02_coordinates_land_in_the_right_grid(client, world):
    # A WGS-84 point near the east edge of grid 0; its GCJ-02 numbers, read as WGS-84, would be in grid 1.
    wgs_lng, wgs_lat = 104.009, 30.605
    gcj_lng, gcj_lat = coord.wgs84_to_gcj02(wgs_lng, wgs_lat)
    assert 104.01 < gcj_lng < 104.02  # the shift crosses the grid boundary, so the test means something
    response = client.post("/portal/report/", _form(world, lng=f"{gcj_lng}", lat=f"{gcj_lat}", crs="gcj02"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.grid == world.grids[0]
    assert case.lng == pytest.approx(wgs_lng, abs=1e-6) and case.lat == pytest.approx(wgs_lat, abs=1e-6)


@pytest.mark.parametrize("change,field,message", [
    ({"lng": None, "lat": None}, "location", "请在地图上选择位置"),
    ({"lng": "120.0", "lat": "31.0"}, "location", "不在本区任何网格内"),
    ({"category": "999999"}, "category", "未知事项类别"),
    ({"category": ""}, "category", "请选择问题类别"),
    ({"title": ""}, "title", "请用一句话说明问题"),
    ({"reporter_phone": "12345"}, "reporter_phone", ""),
    ({"crs": "mars"}, "crs", "未知坐标系"),
    ({"lng": "abc"}, "lng", ""),
])
def test_bad_input_shows_the_form_again_and_stores_nothing(client, world, change, field, message):
    response = client.post("/portal/report/", _form(world, **change))
    assert response.status_code == 400
    html = response.content.decode()
    assert "没有提交成功" in html and "field-error" in html
    assert message in html
    assert 'value="路灯坏了"' in html or field == "title"  # what was typed is kept
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_inactive_category_is_refused(client, world):
    minor = category()
    minor.active = False
    minor.save()
    response = client.post("/portal/report/", _form(world, category=str(minor.pk)))
    assert response.status_code == 400 and Case.objects.count() == 0


def test_too_many_photos_are_refused(client, world):
    data = _form(world)
    data["photos"] = [_png() for _ in range(10)]
    response = client.post("/portal/report/", data)
    assert response.status_code == 400
    assert "最多上传 9 张照片" in response.content.decode()
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_csrf_is_on(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/portal/report/", _form(world)).status_code == 403
    assert Case.objects.count() == 0


def test_rate_limit_answers_429_with_a_message(client, world, settings):
    settings.PORTAL_REPORTS_PER_HOUR = 3
    for _ in range(3):
        assert client.post("/portal/report/", _form(world)).status_code == 302
    response = client.post("/portal/report/", _form(world))
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode() and response["Retry-After"]
    assert Case.objects.count() == 3
    # Another client is not held back.
    other = client.post("/portal/report/", _form(world), REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302 and Case.objects.count() == 4


def test_bad_reports_do_not_use_up_the_limit(client, world, settings):
    settings.PORTAL_REPORTS_PER_HOUR = 2
    for _ in range(4):
        assert client.post("/portal/report/", _form(world, title="")).status_code == 400
    assert client.post("/portal/report/", _form(world)).status_code == 302


def test_client_ip_header_when_behind_a_proxy(rf, settings):
    settings.PORTAL_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = rf.post("/portal/report/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="203.0.113.9")
    assert ratelimit.client_ip(request) == "203.0.113.9"
    settings.PORTAL_CLIENT_IP_HEADER = ""
    assert ratelimit.client_ip(request) == "10.0.0.1"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_photos_are_stored_with_the_case(client, world, media):
    data = _form(world)
    data["photos"] = [_png(), _png((20, 10))]
    response = client.post("/portal/report/", data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert CasePhoto.objects.filter(case=case, stage="report").count() == 2
    assert len(_files(media)) == 2
    html = client.get(f"/portal/track/{case.tracking_code}/").content.decode()
    assert "已上传 2 张" in html
    assert "/cases/photos/" not in html  # the photos themselves stay with the staff


@pytest.mark.parametrize("bad", ["not_an_image", "too_large"])
def test_a_bad_photo_stores_nothing(client, world, media, settings, bad):
    if bad == "not_an_image":
        upload = SimpleUploadedFile("photo.jpg", b"this is not a picture", content_type="image/jpeg")
    else:
        settings.WANGGE_PHOTO_MAX_BYTES = 50
        upload = _png((64, 64))
    data = _form(world)
    data["photos"] = [_png(), upload]
    response = client.post("/portal/report/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "field-error" in html and ("不是有效的图片" in html or "照片超过" in html)
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0 and CaseEvent.objects.count() == 0
    assert _files(media) == []


def _similar(client, world, title, **extra):
    lng, lat = world.grid_center(world.grids[0])
    params = {"category": category().pk, "lng": lng + 0.0005, "lat": lat, "crs": "wgs84", "title": title,
              "description": ""}
    params.update(extra)
    return client.get("/portal/report/similar/", params)


def test_similar_open_cases_are_offered_by_title_and_code_only(client, world):
    from wangge.portal.tests.helpers import REPORTER_NAME, REPORTER_PHONE, assert_no_people, citizen_case

    original = citizen_case(world, title="小区门口垃圾堆放", description="描述里的细节不公开")
    response = _similar(client, world, "小区门口垃圾堆放多日")
    assert response.status_code == 200
    html = response.content.decode()
    assert original.tracking_code in html and "小区门口垃圾堆放" in html and "跟踪这个" in html
    assert f'href="/portal/track/{original.tracking_code}/"' in html
    assert "描述里的细节不公开" not in html and original.number not in html
    assert REPORTER_NAME not in html and REPORTER_PHONE not in html
    assert_no_people(html, world)


def test_nothing_similar_without_category_or_place(client, world):
    from wangge.portal.tests.helpers import citizen_case

    original = citizen_case(world, title="小区门口垃圾堆放")
    assert original.tracking_code not in _similar(client, world, "小区门口垃圾堆放", category="").content.decode()
    assert original.tracking_code not in _similar(client, world, "小区门口垃圾堆放", lng="").content.decode()
    far = _similar(client, world, "小区门口垃圾堆放", lng=world.grid_center(world.grids[3])[0])
    assert original.tracking_code not in far.content.decode()


def test_closed_cases_are_not_offered(client, world):
    from wangge.portal.tests.helpers import closed_case

    case = closed_case(world, title="小区门口垃圾堆放")
    assert case.tracking_code not in _similar(client, world, "小区门口垃圾堆放").content.decode()


def test_the_portal_says_which_district_it_serves(world, client):
    from wangge.areas.models import Level, Region

    for url in ("/portal/", "/portal/report/", "/portal/dispute/"):
        body = client.get(url).content.decode()
        assert f'id="portal-coverage">本平台受理{world.district.name}范围内的问题' in body, url
    Region.objects.filter(level=Level.GRID).update(level=Level.COMMUNITY)  # no grid anywhere: nothing is claimed
    assert 'id="portal-coverage"' not in client.get("/portal/").content.decode()


def test_the_same_form_sent_twice_makes_one_case(client, world, settings, tmp_path):
    """A double tap, a retry after a lost answer, a report the phone kept offline and sends later: the form's
    key answers the case the first submit made, and nothing new is made (photos included)."""
    import re

    settings.MEDIA_ROOT = tmp_path
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"',
                    client.get("/portal/report/").content.decode()).group(1)
    first = client.post("/portal/report/", _form(world, submission_key=key, photos=[_png()]))
    again = client.post("/portal/report/", _form(world, submission_key=key, photos=[_png()], title="另一个"))
    case = Case.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/portal/report/done/{case.tracking_code}/"
    assert (CasePhoto.objects.count(), CaseEvent.objects.filter(action="report").count()) == (1, 1)
    assert case.title == "路灯坏了" and case.submission_key == key
    scripted = client.post("/portal/report/", _form(world, submission_key=key), HTTP_X_WANGGE_SUBMIT="1")
    assert scripted.status_code == 204 and scripted["X-Wangge-Redirect"] == first["Location"]
    assert client.post("/portal/report/", _form(world, submission_key="b" * 32)).status_code == 302
    assert client.post("/portal/report/", _form(world)).status_code == 302  # no key (an old page): a new case
    assert Case.objects.count() == 3


def test_a_refused_form_keeps_its_key_and_makes_nothing(client, world):
    response = client.post("/portal/report/", _form(world, title="", submission_key="c" * 32))
    assert response.status_code == 400 and Case.objects.count() == 0
    assert 'name="submission_key" value="' + "c" * 32 + '"' in response.content.decode()
    too_long = client.post("/portal/report/", _form(world, submission_key="d" * 41))
    assert too_long.status_code == 400 and Case.objects.count() == 0


def test_a_staff_key_and_a_public_key_do_not_meet(client, world):
    from wangge.cases import services
    from wangge.core.roles import Role

    staff = services.do_report_case(world.users[Role.GRID_WORKER], category=category(), title="甲",
                                    grid=world.grids[0], submission_key="e" * 32)
    public = services.do_report_public(category=category(), title="乙", lng=world.grid_center(world.grids[0])[0],
                                       lat=world.grid_center(world.grids[0])[1], submission_key="e" * 32)
    assert staff.pk != public.pk and public.reporter is None
