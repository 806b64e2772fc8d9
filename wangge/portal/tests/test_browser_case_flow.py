"""Done-when for issue 4, in headless chromium: a citizen reports a problem on the portal (category, text, a
tap on the map), gets the tracking code; the district operator registers and dispatches it on the case page;
the department handler accepts and handles it; the operator verifies and closes it; the citizen opens the
tracking page and rates it 满意. The staff steps use the case page's action forms (the contract in
docs: one `form[data-action=<action>]` per allowed action, inputs named as do_act's parameters).

Runs Debian's /usr/bin/chromium (never `playwright install`). Screenshots go to /tmp/wangge-portal-*.png.
"""
import re

import pytest

from wangge.cases.models import Case, CaseEvent, Category, Channel, State
from wangge.testing_browser import LAPTOP, PHONE, SHOTS, log_in, new_page, submit_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district(catalogue_world):
    return catalogue_world


def _act(page, base, case, action, **inputs):
    """Submit the case page's form for `action` (the action-form contract), filling `inputs` by name."""
    page.goto(f"{base}/cases/{case.pk}/")
    form = page.locator(f"form[data-action='{action}']")
    assert form.count() == 1, f"no form for {action!r} on the case page"
    assert form.get_attribute("action") == f"/cases/{case.pk}/act/{action}/"
    assert form.locator("input[name=version]").count() == 1
    submit_form(page, form, inputs)
    assert page.url.startswith(f"{base}/cases/{case.pk}/"), page.url
    case.refresh_from_db()
    return case


def _tap_map_at(page, form_id, lng, lat):
    """Tap the portal map where (lng, lat) is drawn."""
    page.wait_for_selector(f"[data-form={form_id}][data-ready='1']")
    page.locator(f"[data-form={form_id}]").scroll_into_view_if_needed()
    x, y = page.evaluate("([id, lng, lat]) => window.portalMaps[id].pixelOf(lng, lat)",
                         [form_id, lng, lat])
    box = page.locator(f"[data-form={form_id}]").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_citizen_report_to_rated_close(district, live_server, browser):
    world, base = district, live_server.url
    category = Category.objects.get(major__code="01", code="001")
    lng, lat = world.grid_center(world.grids[0])

    # --- the citizen reports, on a phone
    citizen = new_page(browser, PHONE)
    citizen.goto(base + "/portal/")
    citizen.click("#go-report")
    citizen.wait_for_url(base + "/portal/report/")
    citizen.select_option("select[name=major]", "01")
    citizen.select_option("select[name=category]", str(category.pk))
    citizen.fill("input[name=title]", "小区门口垃圾堆放多日")
    citizen.fill("textarea[name=description]", "东门外垃圾三天没有清运")
    _tap_map_at(citizen, "report-form", lng, lat)
    tapped = (float(citizen.input_value("input[name=lng]")), float(citizen.input_value("input[name=lat]")))
    assert tapped == pytest.approx((lng, lat), abs=0.001)
    assert citizen.input_value("input[name=crs]") == "wgs84"
    citizen.fill("input[name=reporter_phone]", "13912345678")
    citizen.screenshot(path=f"{SHOTS}/wangge-portal-report-phone.png", full_page=True)
    with citizen.expect_navigation():
        citizen.click("#submit-report")
    assert re.search(r"/portal/report/done/[0-9A-Z]{10}/$", citizen.url), citizen.url
    code = citizen.inner_text("#tracking-code").strip()
    case = Case.objects.get(tracking_code=code)
    assert case.channel == Channel.CITIZEN and case.grid == world.grids[0] and case.state == State.REPORTED
    assert citizen.inner_text("#case-number").strip() == case.number
    citizen.screenshot(path=f"{SHOTS}/wangge-portal-receipt-phone.png", full_page=True)

    # --- the district operator registers and dispatches it to the department
    operator = new_page(browser, LAPTOP)
    log_in(operator, base, "district_op")
    case = _act(operator, base, case, "register")
    assert case.state == State.REGISTERED
    case = _act(operator, base, case, "dispatch", department=world.department.pk)
    assert case.state == State.DISPATCHED and case.assignee_department == world.department

    # --- the department handler accepts and handles it
    handler = new_page(browser, LAPTOP)
    log_in(handler, base, "dept_handler")
    case = _act(handler, base, case, "accept")
    assert case.state == State.ACCEPTED
    case = _act(handler, base, case, "handle", feedback="垃圾已全部清运，路面已冲洗")
    assert case.state == State.HANDLED

    # --- the operator verifies and closes it
    case = _act(operator, base, case, "verify_close", note="现场核查已清理")
    assert case.state == State.CLOSED

    # --- the citizen follows the code and rates it
    citizen.goto(base + "/portal/track/")
    citizen.fill("input[name=code]", code.lower())
    with citizen.expect_navigation():
        citizen.click("form button[type=submit]")
    assert citizen.url == f"{base}/portal/track/{code}/"
    assert "已办结" in citizen.inner_text("#case-status")
    assert "垃圾已全部清运" in citizen.inner_text("#resolution")
    steps = citizen.inner_text("#steps")
    for label in ("收到反映", "受理立案", "派给承办单位", "承办单位签收", "承办单位处理完毕", "核查通过，办结"):
        assert label in steps
    citizen.check("input[name=rating][value=satisfied]")
    citizen.fill("textarea[name=note]", "处理很及时")
    with citizen.expect_navigation():
        citizen.click("#rating-form button[type=submit]")
    assert "满意" in citizen.inner_text("#rating-value")
    html = citizen.content()
    for private in ("13912345678", "district_op", "dept_handler", "现场核查已清理"):
        assert private not in html
    citizen.screenshot(path=f"{SHOTS}/wangge-portal-track-phone.png", full_page=True)
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    case.refresh_from_db()
    assert case.state == State.CLOSED and case.rating == "satisfied" and case.rating_note == "处理很及时"
    assert CaseEvent.objects.filter(case=case, action="rate", actor__isnull=True).count() == 1
    for page in (citizen, operator, handler):
        assert page.errors == [], page.errors
        assert page.outside == [], page.outside  # nothing from a CDN


def test_find_my_grid_worker_by_tapping_the_map(district, live_server, browser):
    from wangge.areas.models import GridTeamMember, TeamRole

    world, base = district, live_server.url
    GridTeamMember.objects.create(grid=world.grids[2], role=TeamRole.GRID_WORKER, name="郑网格员",
                                  phone="13800005678")
    page = new_page(browser, PHONE)
    page.goto(base + "/portal/grid-worker/")
    _tap_map_at(page, "locate-form", *world.grid_center(world.grids[2]))
    page.wait_for_selector("#grid-name")
    assert page.inner_text("#grid-name") == world.grids[2].name
    assert "郑网格员" in page.inner_text("#grid-team") and "13800005678" in page.inner_text("#grid-team")
    page.screenshot(path=f"{SHOTS}/wangge-portal-grid-worker-phone.png", full_page=True)
    assert page.errors == [] and page.outside == []


def _fill_report(page, category):
    page.select_option("select[name=category]", str(category.pk))
    page.fill("input[name=title]", "井盖缺损")


def test_position_from_the_phone_and_from_wechat(district, live_server, browser):
    """The browser's Geolocation API answers in WGS-84; inside WeChat (MicroMessenger) the JS-SDK's
    wx.getLocation answers in GCJ-02 (stubbed here: the SDK itself is a deployment's to add) and the
    server converts, so the case lands in the grid the citizen stands in."""
    from fast_geocn import coord

    world, base = district, live_server.url
    category = Category.objects.get(major__code="01", code="001")
    wgs_lng, wgs_lat = 104.009, 30.605  # grid 0, near its east edge: GCJ-02 numbers read as WGS-84 are in grid 1

    page = new_page(browser, PHONE, permissions=["geolocation"],
                    geolocation={"longitude": wgs_lng, "latitude": wgs_lat})
    page.goto(base + "/portal/report/")
    _fill_report(page, category)
    page.click("[data-geolocate=report-form]")
    page.wait_for_function("() => document.querySelector('[name=lng]').value !== ''")
    assert page.input_value("input[name=crs]") == "wgs84"
    with page.expect_navigation():
        page.click("#submit-report")
    phone_case = Case.objects.get(tracking_code=page.inner_text("#tracking-code").strip())
    assert phone_case.grid == world.grids[0]
    page.context.close()

    gcj_lng, gcj_lat = coord.wgs84_to_gcj02(wgs_lng, wgs_lat)
    page = new_page(browser, PHONE, user_agent="Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50",
                    init_script=f"window.wx = {{getLocation: function (o) {{ o.success({{longitude: {gcj_lng}, "
                                f"latitude: {gcj_lat}}}); }}}};")
    page.goto(base + "/portal/report/")
    _fill_report(page, category)
    page.click("[data-geolocate=report-form]")
    page.wait_for_function("() => document.querySelector('[name=lng]').value !== ''")
    assert page.input_value("input[name=crs]") == "gcj02"
    with page.expect_navigation():
        page.click("#submit-report")
    wechat_case = Case.objects.get(tracking_code=page.inner_text("#tracking-code").strip())
    assert wechat_case.grid == world.grids[0]
    assert wechat_case.lng == pytest.approx(wgs_lng, abs=1e-5) and wechat_case.lat == pytest.approx(wgs_lat, abs=1e-5)
    page.context.close()
