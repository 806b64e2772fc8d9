"""上报: the grid worker's phone page (position or grid, photos, 当场解决) and the operators' 12345 entry, and
the duplicate check the page asks before submitting. Bad input answers 400 with the field's message and
stores nothing."""
import io
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from wangge.cases.models import Case, CaseEvent, CasePhoto, Channel, State
from wangge.cases.testing import category, report
from wangge.core.roles import Role

pytestmark = pytest.mark.django_db


def _png(name="site.png"):
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, format="PNG")
    out.seek(0)
    out.name = name
    return out


def _post(client, world, **fields):
    lng, lat = world.grid_center(world.grids[0])
    data = {"category": category().pk, "title": "路边暴露垃圾", "description": "垃圾桶满溢", "lng": lng, "lat": lat,
            "address": "幸福路1号", **fields}
    return client.post("/cases/report/", {k: v for k, v in data.items() if v is not None})


def _counts():
    return Case.objects.count(), CaseEvent.objects.count(), CasePhoto.objects.count()


def test_report_page_for_a_grid_worker(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.get("/cases/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="self_resolved"' in html and 'name="photos"' in html and "<optgroup" in html
    assert f'data-map-code="{world.grids[0].code}"' in html and 'data-map-url="/map/outlines.json"' in html
    assert "wangge/case_report.js" in html and "vendor/leaflet/leaflet.js" in html and "echarts" not in html
    assert 'id="map-search"' in html and 'data-search="/api/v1/address-search"' in html
    script = Path(finders.find("wangge/case_report.js")).read_text()  # the page's script is a static file
    assert "navigator.geolocation" in script and "locate-me" in script
    assert 'name="channel"' not in html  # channels are the operators' entry
    assert 'hx-get="/cases/report/duplicates/"' in html and "vendor/htmx.min.js" in html


def test_grid_worker_reports_with_a_photo(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    response = _post(client, world, photos=[_png()])
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.state == State.REPORTED and case.grid == world.grids[0] and case.channel == Channel.GRID_WORKER
    assert case.reporter == world.users[Role.GRID_WORKER]
    assert CasePhoto.objects.get(case=case).stage == "report"
    assert case.tracking_code in client.get(response["Location"]).content.decode()


def test_grid_worker_reports_self_resolved_and_it_is_closed(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    response = _post(client, world, self_resolved="on", resolution="当场劝离并清扫")
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.state == State.CLOSED and case.self_resolved and case.resolution == "当场劝离并清扫"
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == ["report", "self_resolve"]


def test_self_resolved_without_resolution_stores_nothing(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    before = _counts()
    response = _post(client, world, self_resolved="on", resolution="")
    assert response.status_code == 400
    assert "当场解决须填写处置情况" in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize("fields,message", [
    ({"category": ""}, "这个字段是必填项"),
    ({"category": "999999"}, "未知事项类别"),
    ({"title": ""}, "这个字段是必填项"),
    ({"lng": None, "lat": None}, "请定位、在地图上选点或选择网格"),
    ({"lng": "104.1", "lat": None}, "位置不完整"),
    ({"lng": "120.0", "lat": "31.0"}, "不在任何网格内"),
    ({"lng": "abc"}, "输入一个数字"),
])
def test_bad_report_input_stores_nothing(world, client, fields, message):
    client.force_login(world.users[Role.GRID_WORKER])
    before = _counts()
    response = _post(client, world, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _counts() == before


def test_point_outside_the_grid_workers_grid_is_refused(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    lng, lat = world.grid_center(world.grids[4])
    before = _counts()
    response = _post(client, world, lng=lng, lat=lat)
    assert response.status_code == 400 and _counts() == before


def test_bad_photo_stores_nothing(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    bad = io.BytesIO(b"%PDF-1.4 not an image")
    bad.name = "a.jpg"
    before = _counts()
    response = _post(client, world, photos=[bad])
    assert response.status_code == 400 and "不是有效的图片" in response.content.decode()
    assert 'id="id_photos_error"' in response.content.decode()
    assert _counts() == before


def test_grid_choice_when_there_is_no_position(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    response = _post(client, world, lng=None, lat=None, grid=world.grids[0].code)
    assert response.status_code == 302
    assert Case.objects.get().grid == world.grids[0]
    before = _counts()
    outside = _post(client, world, lng=None, lat=None, grid=world.grids[4].code)
    assert outside.status_code == 400 and _counts() == before


def test_operator_enters_a_12345_work_order(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    html = client.get("/cases/report/").content.decode()
    assert 'name="channel"' in html and "12345热线" in html and "领导交办" in html
    assert 'name="self_resolved"' not in html
    response = _post(client, world, channel="hotline_12345", reporter_name="王女士", reporter_phone="13800138000",
                     external_id="GD20260101001", priority="urgent")
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.HOTLINE_12345 and case.reporter_name == "王女士"
    assert case.external_id == "GD20260101001" and case.priority == "urgent"
    page = client.get(response["Location"]).content.decode()
    assert "138****8000" in page and "13800138000" not in page
    # The same work order twice is refused by its number; a bad phone by its field.
    before = _counts()
    again = _post(client, world, channel="hotline_12345", external_id="GD20260101001")
    assert again.status_code == 400 and "已受理" in again.content.decode()
    bad_phone = _post(client, world, channel="hotline_12345", reporter_phone="12ab")
    assert bad_phone.status_code == 400 and 'id="id_reporter_phone_error"' in bad_phone.content.decode()
    wrong_channel = _post(client, world, channel="citizen")
    assert wrong_channel.status_code == 400
    assert _counts() == before


def test_leader_assigned_entry(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert _post(client, world, channel="leader").status_code == 302
    assert Case.objects.get().channel == Channel.LEADER


def test_report_page_refused_without_cases_report(world, client):
    for role in (Role.DEPARTMENT_HANDLER, Role.MEDIATOR, Role.ADMINISTRATOR):
        client.force_login(world.users[role])
        assert client.get("/cases/report/").status_code == 403
        assert _post(client, world).status_code == 403
    assert Case.objects.count() == 0


def test_duplicates_fragment_offers_open_cases_nearby(world, client):
    first = report(world)
    client.force_login(world.users[Role.GRID_WORKER])
    lng, lat = world.grid_center(world.grids[0])
    response = client.get("/cases/report/duplicates/", {"category": category().pk, "lng": lng, "lat": lat,
                                                        "title": "路边有暴露垃圾", "description": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert first.number in html and f'href="/cases/{first.pk}/"' in html
    nothing = client.get("/cases/report/duplicates/", {"category": category().pk, "lng": lng + 0.05, "lat": lat,
                                                       "title": "路边暴露垃圾"})
    assert first.number not in nothing.content.decode() and "附近没有发现相同事件" in nothing.content.decode()
    missing = client.get("/cases/report/duplicates/", {"category": "", "lng": "x"})
    assert missing.status_code == 200 and missing.content.decode().strip() == ""


def test_duplicates_fragment_is_scoped(world, client):
    from wangge.cases import services

    lng, lat = world.grid_center(world.grids[0])
    services.do_report_case(world.users[Role.DISTRICT_OPERATOR], category=category(), title="路边暴露垃圾",
                            lng=lng, lat=lat)
    client.force_login(world.outsiders[Role.GRID_WORKER])
    response = client.get("/cases/report/duplicates/", {"category": category().pk, "lng": lng, "lat": lat,
                                                        "title": "路边暴露垃圾"})
    assert response.status_code == 200 and "WG" not in response.content.decode()


def test_a_photo_sent_with_a_refused_report_is_kept_for_the_next_submit(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    refused = _post(client, world, title="", photos=[_png("manhole.png")])  # no title: refused
    assert refused.status_code == 400 and _counts() == (0, 0, 0)
    html = refused.content.decode()
    kept = re.search(r'name="kept_photos" value="([0-9a-f]+)" checked> 已保留：manhole.png', html)
    assert kept, html[html.find("kept-photos") - 200:html.find("kept-photos") + 600]
    stranger = Client()  # another session cannot claim it: its report goes through without the photo
    stranger.force_login(world.users[Role.GRID_WORKER])
    assert _post(stranger, world, kept_photos=kept.group(1)).status_code == 302
    assert CasePhoto.objects.count() == 0
    response = _post(client, world, kept_photos=kept.group(1))
    case = Case.objects.latest("id")
    assert response.status_code == 302 and CasePhoto.objects.filter(case=case).count() == 1
    assert not list((tmp_path / "pending").iterdir())  # released once the report went through


def test_an_unticked_kept_photo_is_dropped(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    assert _post(client, world, title="", photos=[_png()]).status_code == 400
    assert _post(client, world).status_code == 302  # not sent again
    assert CasePhoto.objects.count() == 0 and not list((tmp_path / "pending").iterdir())


def test_the_same_form_submitted_twice_makes_one_case(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    page = client.get("/cases/report/").content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', page).group(1)
    first = _post(client, world, submission_key=key, photos=[_png()])
    again = _post(client, world, submission_key=key, photos=[_png()])  # a double tap, a retry on a weak network
    case = Case.objects.get()
    assert first["Location"] == again["Location"] == f"/cases/{case.pk}/"
    assert CasePhoto.objects.count() == 1 and CaseEvent.objects.filter(action="report").count() == 1
    assert _post(client, world, submission_key="another-form").status_code == 302  # a new form: a new case
    assert Case.objects.count() == 2
    other = world.users[Role.COMMUNITY_OPERATOR]  # the key is the reporter's own: another's makes its own case
    client.force_login(other)
    assert _post(client, world, submission_key=key, channel="hotline_12345", reporter_name="王女士",
                 reporter_phone="13900001111").status_code == 302
    assert Case.objects.count() == 3
