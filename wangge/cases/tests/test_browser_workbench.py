"""Headless chromium through Playwright: a grid worker reports a case on the phone page (390x844), is shown
the possible duplicate, taps the map, takes the phone's position, ticks 当场解决 and the case is closed; an
operator bulk-dispatches from the queue at desk width.

Runs Debian's /usr/bin/chromium (never `playwright install`). Screenshots go to /tmp/wangge-cases-*.png.
"""
import pytest

from wangge.cases.models import Case, Category, State
from wangge.cases.testing import act, case_in, report
from wangge.core.roles import Role
from wangge.testing_browser import DESK, SHOTS, log_in, new_page, no_sideways_scroll
from wangge.testing_browser import PHONE_TALL as PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district(catalogue_world):
    return catalogue_world


def test_grid_worker_reports_on_the_phone_and_resolves_on_the_spot(district, live_server, browser):
    world = district
    base = live_server.url
    earlier = report(world)  # the same problem reported a little earlier: offered as a possible duplicate
    lng, lat = world.grid_center(world.grids[0])
    page = new_page(browser, PHONE, geolocation={"longitude": lng + 0.001, "latitude": lat + 0.001},
                    permissions=["geolocation"])
    log_in(page, base, "gridder")
    page.goto(base + "/cases/report/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    no_sideways_scroll(page, PHONE)

    # Two-level category: the major class narrows the minor classes.
    category = Category.objects.get(major__code="01", code="001")
    page.select_option("#major-select", label=str(category.major))
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_title", "路边有暴露垃圾")

    # A tap on the grid's map sets the point (WGS-84) ...
    x, y = page.evaluate("([lng, lat]) => window.wanggeReportMap.pixelOf(lng, lat)",
                         [lng, lat])
    page.locator("#pick-map").scroll_into_view_if_needed()
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
    assert abs(float(page.input_value("#id_lng")) - lng) < 0.002
    # Before submitting, the form says where the point is: the community and the grid (the worker's own).
    page.wait_for_function("() => document.getElementById('geo-place').dataset.grid")
    assert page.get_attribute("#geo-place", "data-grid") == world.grids[0].code
    where = page.inner_text("#geo-place")
    assert where.startswith("位于") and world.grids[0].name in where and world.grids[0].parent.name in where
    assert "is-warning" not in (page.get_attribute("#geo-place", "class") or "")
    # ... and the htmx check offers the earlier case before anything is submitted.
    page.wait_for_selector("#duplicate-list")
    assert earlier.number in page.inner_text("#duplicate-list")

    # The phone's own position replaces the tap.
    page.click("#locate-me")
    page.wait_for_function(f"() => Math.abs(Number(document.getElementById('id_lat').value) - {lat + 0.001}) < 1e-6")
    assert "已定位" in page.inner_text("#geo-status")

    assert page.locator("[data-resolution]").is_hidden()
    page.check("#id_self_resolved")
    assert page.locator("[data-resolution]").is_visible()
    page.fill("#id_resolution", "已当场清扫干净")
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-cases-report-phone.png", full_page=True)
    with page.expect_navigation():
        page.click("#report-submit")

    case = Case.objects.exclude(pk=earlier.pk).get()
    assert page.url == f"{base}/cases/{case.pk}/"
    assert case.state == State.CLOSED and case.self_resolved and case.resolution == "已当场清扫干净"
    assert case.grid == world.grids[0] and abs(case.lat - (lat + 0.001)) < 1e-6
    assert page.inner_text("#case-state") == "已结案"
    assert "当场解决" in page.inner_text("#on-time")
    page.wait_for_selector("#case-map canvas")
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-cases-case-phone.png", full_page=True)

    page.goto(base + "/cases/mine/")
    assert case.number in page.inner_text("#my-reports")
    no_sideways_scroll(page, PHONE)
    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_operator_bulk_dispatches_from_the_queue(district, live_server, browser):
    world = district
    base = live_server.url
    op = world.users[Role.DISTRICT_OPERATOR]
    cases = [act(op, report(world), "register") for _ in range(2)]
    waiting = report(world)  # still reported: it has no box to tick
    page = new_page(browser, DESK)
    log_in(page, base, "district_op")
    page.goto(base + "/cases/?state=registered")
    assert page.locator("#case-list li").count() == 2
    for case in cases:
        page.check(f"input[name=case][value='{case.pk}']")
    page.select_option("#bulk-target", label="城管局")
    page.screenshot(path=f"{SHOTS}/wangge-cases-queue-desk.png", full_page=True)
    with page.expect_navigation():
        page.click("#bulk-form button[type=submit]")
    assert "已派遣 2 件" in page.inner_text(".messages")
    for case in cases:
        case.refresh_from_db()
        assert case.state == State.DISPATCHED and case.assignee_department == world.department
    waiting.refresh_from_db()
    assert waiting.state == State.REPORTED
    no_sideways_scroll(page, DESK)

    # The same queue at phone width stays usable.
    phone = new_page(browser, PHONE)
    log_in(phone, base, "district_op")
    phone.goto(base + "/cases/")
    no_sideways_scroll(phone, PHONE)
    phone.goto(base + "/cases/supervision/")
    no_sideways_scroll(phone, PHONE)
    assert not page.errors and not phone.errors, page.errors + phone.errors
    assert not page.outside and not phone.outside


def test_a_grid_worker_is_warned_when_the_point_is_not_in_their_grid(district, live_server, browser):
    world = district
    lng, lat = world.grid_center(world.grids[1])  # a neighbour's grid
    page = new_page(browser, PHONE, geolocation={"longitude": lng, "latitude": lat}, permissions=["geolocation"])
    log_in(page, live_server.url, "gridder")
    page.goto(live_server.url + "/cases/report/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.click("#locate-me")
    page.wait_for_function("() => document.getElementById('geo-place').dataset.grid")
    assert page.get_attribute("#geo-place", "data-grid") == world.grids[1].code
    assert "is-warning" in page.get_attribute("#geo-place", "class")
    assert "不在您负责的网格内" in page.inner_text("#geo-place")
    assert not page.errors, page.errors


def test_a_photo_survives_a_refused_report_on_the_phone(district, live_server, browser, tmp_path, settings):
    from PIL import Image

    from wangge.cases.models import CasePhoto

    settings.MEDIA_ROOT = tmp_path / "media"
    world = district
    photo = tmp_path / "manhole.jpg"
    Image.new("RGB", (640, 480), "gray").save(photo, "JPEG")
    lng, lat = world.grid_center(world.grids[0])
    page = new_page(browser, PHONE, geolocation={"longitude": lng, "latitude": lat}, permissions=["geolocation"])
    log_in(page, live_server.url, "gridder")
    page.goto(live_server.url + "/cases/report/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    category = Category.objects.get(major__code="01", code="001")
    page.select_option("#major-select", label=str(category.major))
    page.select_option("#id_category", str(category.pk))
    page.click("#locate-me")
    page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
    page.set_input_files("#id_photos", str(photo))
    page.click("#report-submit")  # no title: the server refuses the form (its answer replaces the page, submit.js)
    page.wait_for_selector("#report-errors")
    assert page.locator("#report-errors").is_visible()
    assert page.locator("#kept-photos input[name=kept_photos]").is_checked()  # the photo is still there
    assert "manhole.jpg" in page.inner_text("#kept-photos")
    assert page.input_value("#id_category") == str(category.pk)  # and so is the category
    page.fill("#id_title", "窨井盖缺失")
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-cases-report-kept-photo.png", full_page=True)
    with page.expect_navigation():
        page.click("#report-submit")
    case = Case.objects.get(title="窨井盖缺失")
    assert page.url == f"{live_server.url}/cases/{case.pk}/"
    assert CasePhoto.objects.filter(case=case).count() == 1
    assert not page.errors, page.errors


def test_a_big_photo_is_shrunk_on_the_phone_before_it_is_sent(district, live_server, browser, tmp_path):
    from PIL import Image

    photo = tmp_path / "camera.jpg"
    Image.new("RGB", (4000, 3000), "gray").save(photo, "JPEG", quality=95)
    page = new_page(browser, PHONE)
    log_in(page, live_server.url, "gridder")
    page.goto(live_server.url + "/cases/report/")
    page.set_input_files("#id_photos", str(photo))
    page.wait_for_function("() => document.getElementById('id_photos').dataset.shrunk === '1'")
    width, height, kind = page.evaluate("""async () => {
        const file = document.getElementById('id_photos').files[0];
        const bitmap = await createImageBitmap(file);
        return [bitmap.width, bitmap.height, file.type];
    }""")
    assert (width, height, kind) == (2048, 1536, "image/jpeg")
    assert page.locator("#report-submit").is_enabled()
    assert not page.errors, page.errors


def test_department_finds_a_case_acts_in_place_and_the_reporter_sees_the_close(district, live_server, browser):
    """待办 at phone width: the handler searches by number, accepts and handles in the row and stays there; the
    operator closes it; the grid worker who reported it reads the close in their messages."""
    world = district
    base = live_server.url
    cases = [case_in(world, "dispatched") for _ in range(6)]
    target = cases[3]
    Case.objects.filter(pk=target.pk).update(title="桥下井盖缺失")
    page = new_page(browser, PHONE)
    log_in(page, base, "dept_handler")
    assert page.url == base + "/cases/inbox/"  # a department handler lands on 待办
    page.fill("#inbox-q", target.number)
    page.press("#inbox-q", "Enter")
    page.wait_for_url(lambda url: "q=" in url)
    rows = page.locator("li.case-item")
    assert rows.count() == 1 and "桥下井盖缺失" in rows.first.inner_text()

    page.click(f"#case-{target.pk} form[data-action=accept] button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(f"#case-{target.pk}") and "q=" in url)
    target.refresh_from_db()
    assert target.state == State.ACCEPTED
    assert page.locator(f"#case-{target.pk} form[data-action=handle]").is_visible()  # in place, the next step
    no_sideways_scroll(page, PHONE)

    page.fill(f"#handle-{target.pk}-feedback", "已更换井盖")
    page.click(f"#case-{target.pk} form[data-action=handle] button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(f"#case-{target.pk}") and "q=" in url)
    target.refresh_from_db()
    assert target.state == State.HANDLED
    page.screenshot(path=f"{SHOTS}/wangge-cases-inbox-in-place.png", full_page=True)

    act(world.users[Role.DISTRICT_OPERATOR], target, "verify_close", note="现场核实")
    reporter = new_page(browser, PHONE)
    log_in(reporter, base, "gridder")
    reporter.goto(base + "/inbox/")
    assert f"您上报的事件已办结：{target.number} 桥下井盖缺失" in reporter.inner_text("main")
    assert not page.errors and not reporter.errors, page.errors + reporter.errors
