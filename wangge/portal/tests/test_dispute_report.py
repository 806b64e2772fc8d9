"""群众自报矛盾纠纷 through the portal: stored with its parties or not at all; choosing a mediator among those
eligible near the place; the receipt; the rate limit shared with the case report."""
import re

import pytest

from wangge.core.roles import Role
from wangge.mediation.models import Dispute, DisputeEvent, Level, Party, Source, State
from wangge.mediation.testing import build_mediation

pytestmark = pytest.mark.django_db

MEDIATOR_PHONE = "13711112222"


@pytest.fixture
def m(world):
    m = build_mediation(world)
    for mediator in m.mediators.values():
        mediator.phone = MEDIATOR_PHONE
        mediator.save()
    return m


def _form(world, grid_index=0, **extra):
    lng, lat = world.grid_center(world.grids[grid_index])
    data = {"type": "neighbour", "summary": "楼上卫生间漏水，协商多次未果\n已经持续一个月", "amount": "3000",
            "lng": f"{lng}", "lat": f"{lat}", "crs": "wgs84", "address": "幸福小区 3 栋",
            "party_0_role": "applicant", "party_0_name": "张女士", "party_0_phone": "13912345678",
            "party_1_role": "respondent", "party_1_name": "楼上住户", "party_1_phone": "",
            "party_2_role": "respondent", "party_2_name": "", "party_2_phone": ""}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _nothing_saved():
    assert not Dispute.objects.exists()
    assert not Party.objects.exists()
    assert not DisputeEvent.objects.exists()


def test_the_home_page_links_to_the_dispute_form(client, world):
    assert 'href="/portal/dispute/"' in client.get("/portal/").content.decode()


def test_the_form_offers_types_in_chinese_the_map_and_no_cdn(client, world, m):
    html = client.get("/portal/dispute/").content.decode()
    assert '<option value="neighbour">邻里纠纷</option>' in html
    assert 'data-portal-map' in html and 'data-geolocate="dispute-form"' in html
    assert "portal/portal.js" in html and 'name="csrfmiddlewaretoken"' in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_a_citizen_report_becomes_a_community_dispute_and_shows_the_receipt(client, world, m):
    response = client.post("/portal/dispute/", _form(world))
    assert response.status_code == 302, response.content.decode()[:3000]
    dispute = Dispute.objects.get()
    assert (dispute.source, dispute.level, dispute.state) == (Source.CITIZEN, Level.COMMUNITY, State.REGISTERED)
    assert dispute.committee == m.committee_of(world.communities[0]) and dispute.grid == world.grids[0]
    assert dispute.title == "邻里纠纷：楼上卫生间漏水，协商多次未果" and dispute.mediator is None
    assert str(dispute.amount) == "3000.00" and dispute.address == "幸福小区 3 栋"
    parties = [(p.role, p.name, p.phone) for p in dispute.parties.order_by("id")]
    assert parties == [("applicant", "张女士", "13912345678"), ("respondent", "楼上住户", "")]
    html = client.get(response["Location"]).content.decode()
    assert dispute.number in html and m.committee_of(world.communities[0]).name in html and "由调委会安排" in html
    for private in ("张女士", "13912345678", "139****5678", "楼上住户"):
        assert private not in html


def test_a_citizen_may_choose_an_eligible_mediator(client, world, m):
    chosen = m.mediators["mediator_1"]
    response = client.post("/portal/dispute/", _form(world, mediator=str(chosen.pk)))
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.mediator == chosen
    html = client.get(response["Location"]).content.decode()
    assert f"{chosen.name}（您选择的）" in html


def test_a_mediator_from_another_community_cannot_be_chosen(client, world, m):
    elsewhere = m.mediators["mediator_2"]  # serves community 2, the point is in community 0
    response = client.post("/portal/dispute/", _form(world, mediator=str(elsewhere.pk)))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="mediator_error"' in html and "请从可选调解员中选择" in html
    _nothing_saved()


def test_eligible_mediators_near_a_point_show_no_phone(client, world, m):
    lng, lat = world.grid_center(world.grids[1])  # community 0's other grid
    response = client.get(f"/portal/dispute/mediators/?lng={lng}&lat={lat}&type=property_management")
    assert response.status_code == 200
    html = response.content.decode()
    listed = [int(pk) for pk in re.findall(r'data-mediator="(\d+)"', html)]
    assert listed == [m.mediators["pool"].pk, m.mediators["mediator_1"].pk]  # the type's expert first
    assert "擅长：物业纠纷" in html and "语言：普通话" in html
    assert MEDIATOR_PHONE not in html and "137****2222" not in html
    assert m.mediators["mediator_2"].name not in html and "mediator_1" not in html.replace(
        m.mediators["mediator_1"].name, "")  # the name is shown, never the account


def test_no_mediators_offered_for_a_point_outside_the_district(client, world, m):
    html = client.get("/portal/dispute/mediators/?lng=120.0&lat=31.0").content.decode()
    assert "不在本平台的任何网格内" in html and "data-mediator" not in html


@pytest.mark.parametrize("change,field,message", [
    ({"type": ""}, "type", "请选择纠纷类型"),
    ({"type": "fengshui"}, "type", "未知纠纷类型"),
    ({"summary": ""}, "summary", "请简要说明发生了什么"),
    ({"lng": "120.0", "lat": "31.0"}, "location", "不在本区任何网格内"),
    ({"lng": None, "lat": None}, "location", "请在地图上选择位置"),
    ({"party_1_name": "", "party_1_phone": "13800001111"}, "party_1_name", "请填写当事人姓名"),
    ({"party_0_name": "", "party_0_phone": "", "party_1_name": ""}, "party_0_name", "至少登记一名当事人"),
    ({"party_0_phone": "12345"}, "party_0_phone", ""),
    ({"amount": "-100"}, "amount", "金额不能为负数"),
    ({"amount": "三千"}, "amount", "金额须为数字"),
    ({"mediator": "abc"}, "mediator", "请从可选调解员中选择"),
])
def test_bad_input_shows_a_field_error_and_saves_nothing(client, world, m, change, field, message):
    response = client.post("/portal/dispute/", _form(world, **change))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="form-errors"' in html
    error_id = "location_error" if field == "location" else (
        "mediator_error" if field == "mediator" else f"id_{field}_error")
    match = re.search(rf'<p class="field-error" id="{error_id}">([^<]*)</p>', html)
    assert match, f"no error at {field}"
    assert message in match.group(1)
    _nothing_saved()
    if field not in ("location", "party_0_name"):
        assert 'value="幸福小区 3 栋"' in html  # what was typed stays for correcting


def test_anonymous_keeps_no_phone(client, world, m):
    response = client.post("/portal/dispute/", _form(world, anonymous="on"))
    assert response.status_code == 302
    assert list(Party.objects.values_list("phone", flat=True)) == ["", ""]


def test_reports_are_rate_limited_per_client(client, world, m, settings):
    settings.PORTAL_REPORTS_PER_HOUR = 1
    assert client.post("/portal/dispute/", _form(world)).status_code == 302
    response = client.post("/portal/dispute/", _form(world))
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert Dispute.objects.count() == 1


def test_a_refused_report_does_not_count_against_the_limit(client, world, m, settings):
    settings.PORTAL_REPORTS_PER_HOUR = 1
    assert client.post("/portal/dispute/", _form(world, type="")).status_code == 400
    assert client.post("/portal/dispute/", _form(world)).status_code == 302


def test_a_receipt_cannot_be_reached_by_number_or_a_forged_token(client, world, m):
    response = client.post("/portal/dispute/", _form(world))
    dispute = Dispute.objects.get()
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/portal/dispute/done/{dispute.number}/").status_code == 404
    assert client.get(f"/portal/dispute/done/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/portal/dispute/done/{token}/").status_code == 200


def test_a_reported_dispute_reaches_the_chosen_mediators_phone_page(client, world, m):
    client.post("/portal/dispute/", _form(world, mediator=str(m.mediators["mediator_1"].pk)))
    dispute = Dispute.objects.get()
    client.force_login(world.users[Role.MEDIATOR])
    html = client.get("/mediation/m/").content.decode()
    assert f'data-dispute="{dispute.pk}"' in html


# ------------------------------------------------------------------ in a browser, at phone width


@pytest.fixture
def mediation_world(transactional_db):
    from wangge.testing import build_world

    world = build_world()
    return world, build_mediation(world)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_applies_on_a_phone_and_the_chosen_mediator_accepts_it(mediation_world, live_server, browser):
    from wangge.portal.tests.test_browser_case_flow import _tap_map_at
    from wangge.testing_browser import PHONE as VIEWPORT
    from wangge.testing_browser import SHOTS, log_in, new_page

    world, m = mediation_world
    base, chosen = live_server.url, m.mediators["mediator_1"]
    citizen = new_page(browser, VIEWPORT)
    citizen.goto(base + "/portal/")
    citizen.click("#go-dispute")
    citizen.wait_for_url(base + "/portal/dispute/")
    citizen.select_option("select[name=type]", "neighbour")
    citizen.fill("textarea[name=summary]", "楼上装修噪音，晚上十点后还在施工")
    _tap_map_at(citizen, "dispute-form", *world.grid_center(world.grids[0]))
    # The map's tap asks for the mediators near the point (htmx): the committee's members appear.
    citizen.wait_for_selector(f"[data-mediator='{chosen.pk}']")
    assert m.committee_of(world.communities[0]).name in citizen.inner_text("#committee-name")
    citizen.check(f"[data-mediator='{chosen.pk}'] input[name=mediator]")
    citizen.fill("input[name=party_0_name]", "刘先生")
    citizen.fill("input[name=party_1_name]", "楼上住户")
    citizen.screenshot(path=f"{SHOTS}/wangge-portal-dispute-phone.png", full_page=True)
    assert citizen.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    with citizen.expect_navigation():
        citizen.click("#submit-dispute")
    dispute = Dispute.objects.get()
    assert citizen.inner_text("#dispute-number").strip() == dispute.number
    assert chosen.name in citizen.inner_text("#chosen-mediator")
    assert dispute.mediator == chosen and dispute.grid == world.grids[0]

    # --- the chosen mediator, on a phone: 待受理 -> the card -> accept
    mediator = new_page(browser, VIEWPORT)
    log_in(mediator, base, "mediator_1")
    mediator.goto(base + "/mediation/m/")
    mediator.click(f"#to-accept [data-dispute='{dispute.pk}'] a")
    mediator.wait_for_url(f"{base}/mediation/m/{dispute.pk}/")
    assert "刘先生" in mediator.inner_text("#parties")
    with mediator.expect_navigation():
        mediator.click("form[data-action=accept] button[type=submit]")
    dispute.refresh_from_db()
    assert dispute.state == State.ACCEPTED
    assert mediator.locator("form[data-action=schedule_session]").count() == 1
    mediator.screenshot(path=f"{SHOTS}/wangge-mediation-card-phone.png", full_page=True)
    assert mediator.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    for page in (citizen, mediator):
        assert page.errors == [] and page.outside == []
