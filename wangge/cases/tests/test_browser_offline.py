"""A grid worker on a phone with no network (headless chromium, Playwright, CDP network emulation): the report
is kept on the phone, said so, and sent once when the network returns; the form opens from the phone's copy
without a network; the upload shows its progress on a slow connection; a report refused when it is finally
sent comes back to be fixed. Screenshots go to /tmp/wangge-offline-*.png (360 px and desktop, zh and en)."""
import pytest

from wangge.cases.models import Case, CasePhoto, Category
from wangge.testing_browser import DESK, SHOTS, log_in, new_page, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 360, "height": 760}
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


@pytest.fixture
def district(catalogue_world):
    return catalogue_world


def _photo(tmp_path, name="manhole.jpg", size=(640, 480)):
    from PIL import Image

    path = tmp_path / name
    Image.new("RGB", size, "gray").save(path, "JPEG")
    return path


def _network(page, conditions):
    """The page's network and the service worker's, as DevTools' network throttling sets them."""
    if not hasattr(page, "cdp"):
        page.cdp = page.context.new_cdp_session(page)
        page.cdp.send("Network.enable")
    page.context.set_offline(conditions["offline"])  # the service worker's fetches too
    page.cdp.send("Network.emulateNetworkConditions", conditions)


def _fill_report(page, world, title):
    category = Category.objects.get(major__code="01", code="001")
    page.select_option("#major-select", label=str(category.major))
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_title", title)
    page.click("#locate-me")
    page.wait_for_function("() => document.getElementById('id_lng').value !== ''")


def _open_report(browser, base, viewport=PHONE, **options):
    page = new_page(browser, viewport, **options)
    log_in(page, base, "gridder")
    page.goto(base + "/cases/report/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return page


def test_a_report_written_offline_is_kept_on_the_phone_and_sent_once_when_the_network_returns(
        district, live_server, browser, tmp_path):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = _open_report(browser, live_server.url, geolocation={"longitude": lng, "latitude": lat},
                        permissions=["geolocation"])
    no_sideways_scroll(page, PHONE)
    _fill_report(page, world, "窨井盖缺失")
    page.set_input_files("#id_photos", str(_photo(tmp_path)))
    page.wait_for_function("() => document.getElementById('id_photos').dataset.shrunk === '1'")

    _network(page, OFFLINE)
    page.click("#report-submit")
    note = page.locator("[data-offline-note]")
    note.wait_for(state="visible")
    assert "已保存在本手机" in note.inner_text()
    page.wait_for_selector("[data-queue]:not([hidden]) .queue-item.is-waiting")
    assert page.get_attribute("[data-queue]", "data-count") == "1"
    assert "1 份尚未发送" in page.inner_text("[data-queue-heading]")
    assert "窨井盖缺失" in page.inner_text("[data-queue-list]")
    assert page.input_value("#id_title") == ""  # the form is ready for the next report
    assert Case.objects.count() == 0
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-offline-kept-360-zh.png", full_page=True)

    # Without a network the page opens from the phone's copy, says so, and still lists what waits.
    page.reload()
    page.wait_for_selector("html[data-offline-copy='1']")
    assert page.locator("[data-offline-notice]").is_visible()
    page.wait_for_selector(".queue-item.is-waiting")
    key = page.input_value("[name=submission_key]")
    page.screenshot(path=f"{SHOTS}/wangge-offline-copy-360-zh.png", full_page=True)

    # The network returns: sent once, and the list says so with a link to the case.
    _network(page, ONLINE)
    page.wait_for_selector(".queue-item.is-sent", timeout=20_000)
    case = Case.objects.get()
    assert (case.title, case.grid, case.reporter.username) == ("窨井盖缺失", world.grids[0], "gridder")
    assert CasePhoto.objects.filter(case=case).count() == 1
    assert case.submission_key != key  # the copy's form got a key of its own
    assert "已发送" in page.inner_text("[data-queue]")
    page.screenshot(path=f"{SHOTS}/wangge-offline-sent-360-zh.png", full_page=True)
    # Another load sends nothing again.
    page.evaluate("() => window.wanggeOffline.sendNow()")
    assert Case.objects.count() == 1
    with page.expect_navigation():
        page.click(".queue-item.is-sent a")
    assert page.url == f"{live_server.url}/cases/{case.pk}/"
    page.goto(live_server.url + "/cases/report/")
    page.click(".queue-item.is-sent button")  # OK: off the list
    page.wait_for_selector("[data-queue][hidden]", state="attached")
    assert Case.objects.count() == 1
    assert not page.errors, page.errors


def test_a_lost_answer_is_sent_again_with_the_same_key_and_makes_one_case(district, live_server, browser):
    """The server made the case but the answer never reached the phone: the retry answers the same case."""
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = _open_report(browser, live_server.url, geolocation={"longitude": lng, "latitude": lat},
                        permissions=["geolocation"])
    _fill_report(page, world, "路灯不亮")
    # The first answer is lost on its way back (the request reaches the server).
    lost = {"done": False}

    def lose_first_answer(route):
        if lost["done"]:
            route.continue_()
            return
        lost["done"] = True
        route.fetch()  # the server answers ...
        route.abort("connectionreset")  # ... and the phone never hears it

    page.route("**/cases/report/", lambda route: lose_first_answer(route) if route.request.method == "POST"
               else route.continue_())
    page.click("#report-submit")
    # Either note, whichever shows (`.first` waited on the first in the page even while it stayed hidden); the
    # server's answer on PostgreSQL under CI's load can take a while.
    page.wait_for_function("""() => Array.from(document.querySelectorAll(
        '.submit-note.is-error, [data-offline-note]:not([hidden])')).some((e) => e.offsetParent !== null)""",
                           timeout=45_000)
    assert Case.objects.count() == 1  # made once, answer lost
    # The phone kept it (it could not tell); sending it again answers the same case.
    page.evaluate("() => window.wanggeOffline.sendNow()")
    page.wait_for_selector(".queue-item.is-sent")
    case = Case.objects.get()
    assert page.get_attribute(".queue-item.is-sent a", "href") == f"/cases/{case.pk}/"
    assert not page.errors, page.errors


def test_a_report_refused_when_it_is_sent_comes_back_to_be_fixed(district, live_server, browser, tmp_path):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = _open_report(browser, live_server.url, geolocation={"longitude": lng, "latitude": lat},
                        permissions=["geolocation"])
    _fill_report(page, world, "")  # no title: the server will refuse it
    page.set_input_files("#id_photos", str(_photo(tmp_path)))
    page.wait_for_function("() => document.getElementById('id_photos').dataset.shrunk === '1'")
    _network(page, OFFLINE)
    page.click("#report-submit")
    page.wait_for_selector(".queue-item.is-waiting")
    _network(page, ONLINE)
    page.wait_for_selector(".queue-item.is-refused button.btn-primary", timeout=20_000)
    assert Case.objects.count() == 0
    assert "未被接受" in page.inner_text("[data-queue]")
    page.screenshot(path=f"{SHOTS}/wangge-offline-refused-360-zh.png", full_page=True)
    page.click(".queue-item.is-refused button.btn-primary")  # 修改: the server's answer, the photo kept
    page.wait_for_selector("#report-errors")
    assert page.locator("#kept-photos input[name=kept_photos]").is_checked()
    page.fill("#id_title", "窨井盖缺失")
    page.click("#report-submit")
    page.wait_for_url(lambda url: "/cases/" in url and url.rstrip("/").split("/")[-1].isdigit())
    case = Case.objects.get()
    assert case.title == "窨井盖缺失" and CasePhoto.objects.filter(case=case).count() == 1
    page.goto(live_server.url + "/cases/report/")
    page.wait_for_selector("[data-queue][hidden]", state="attached")  # no longer waiting on the phone
    assert not page.errors, page.errors


def test_an_ended_session_keeps_the_report_and_asks_to_log_in(district, live_server, browser):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = _open_report(browser, live_server.url, geolocation={"longitude": lng, "latitude": lat},
                        permissions=["geolocation"])
    _fill_report(page, world, "占道经营")
    page.context.clear_cookies()  # the session ended while the phone was in the field
    page.click("#report-submit")
    page.wait_for_selector(".queue-item.is-login")
    assert "登录" in page.inner_text("[data-offline-note]")
    assert Case.objects.count() == 0
    page.screenshot(path=f"{SHOTS}/wangge-offline-login-360-zh.png", full_page=True)
    with page.expect_navigation():
        page.click(".queue-item.is-login a")
    page.fill("#id_username", "gridder")
    from wangge.testing import PASSWORD

    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/cases/report/")
    page.wait_for_selector(".queue-item.is-sent", timeout=20_000)
    assert Case.objects.get().title == "占道经营"
    assert not page.errors, page.errors


def test_the_upload_shows_its_progress_on_a_slow_connection(district, live_server, browser, tmp_path):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = _open_report(browser, live_server.url, DESK, geolocation={"longitude": lng, "latitude": lat},
                        permissions=["geolocation"])
    _fill_report(page, world, "违章搭建")
    import os

    noisy = tmp_path / "noise.png"  # a photo that does not compress: ~1.5 MB to send
    from PIL import Image

    Image.frombytes("RGB", (800, 650), os.urandom(800 * 650 * 3)).save(noisy, "PNG")
    page.set_input_files("#id_photos", str(noisy))
    page.wait_for_function("() => document.getElementById('id_photos').dataset.shrunk === '1'")
    _network(page, {"offline": False, "latency": 100, "downloadThroughput": 200_000, "uploadThroughput": 150_000})
    page.click("#report-submit")
    meter = page.locator("[data-submit-meter]")
    meter.wait_for(state="visible")
    page.wait_for_function("() => { const p = document.querySelector('[data-submit-meter] progress');"
                           " return p.value > 0 && p.value < p.max; }")
    bar = page.evaluate("""() => { const p = document.querySelector('[data-submit-meter] progress');
        return {label: p.labels[0] === document.querySelector('[data-submit-text]'), text: p.labels[0].textContent,
                value: p.value, max: p.max}; }""")
    assert bar["label"]  # the bar is named by its label, which says how far it is
    assert bar["text"].startswith("正在发送：") and "共 1.5 MB" in bar["text"]
    assert f"（{int(bar['value'] * 100 / bar['max'] + 0.5)}%）" in bar["text"]  # Math.round
    assert page.locator("#report-submit").is_disabled()  # one submit at a time
    page.screenshot(path=f"{SHOTS}/wangge-offline-progress-desk-zh.png", full_page=False)
    page.wait_for_url(lambda url: "/cases/" in url and url.rstrip("/").split("/")[-1].isdigit(), timeout=60_000)
    assert Case.objects.count() == 1
    assert not page.errors, page.errors


def test_the_portal_report_is_kept_offline_and_sent_once(district, live_server, browser, tmp_path):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = new_page(browser, PHONE)
    page.goto(live_server.url + "/portal/report/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    category = Category.objects.get(major__code="01", code="001")
    page.select_option("#report-form [name=category]", str(category.pk))
    page.fill("#report-form [name=title]", "路灯坏了")
    page.evaluate("([x, y]) => window.portalMaps['report-form'].setPoint(x, y, 'wgs84')", [lng, lat])
    page.set_input_files("#report-form [name=photos]", str(_photo(tmp_path)))
    page.wait_for_function("() => document.querySelector('#report-form [name=photos]').dataset.shrunk === '1'")
    _network(page, OFFLINE)
    page.click("#submit-report")
    page.wait_for_selector(".queue-item.is-waiting")
    assert "已保存在本手机" in page.inner_text("[data-offline-note]")
    page.screenshot(path=f"{SHOTS}/wangge-offline-portal-360-zh.png", full_page=True)
    _network(page, ONLINE)
    page.wait_for_selector(".queue-item.is-sent", timeout=20_000)
    case = Case.objects.get()
    assert case.reporter is None and CasePhoto.objects.filter(case=case).count() == 1
    assert page.get_attribute(".queue-item.is-sent a", "href") == f"/portal/report/done/{case.tracking_code}/"
    assert not page.errors, page.errors


def test_handling_with_photos_shows_progress_and_a_failed_send_keeps_the_form(district, live_server, browser,
                                                                              tmp_path):
    """处置反馈 on the case page: a network failure leaves the feedback and the photo in place with a message;
    submitting again sends it, and the redirect is followed to the case page with its message."""
    from wangge.cases.testing import case_in

    world = district
    case = case_in(world, "accepted")
    page = new_page(browser, PHONE)
    log_in(page, live_server.url, "dept_handler")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = page.locator("form[data-action=handle]")
    form.locator("[name=feedback]").fill("已清理完毕")
    form.locator("[name=photos]").set_input_files(str(_photo(tmp_path)))
    page.wait_for_function("() => document.querySelector('form[data-action=handle] [name=photos]').dataset.shrunk")
    _network(page, OFFLINE)
    form.locator("button[type=submit]").click()
    note = form.locator("[data-submit-note]")
    note.wait_for(state="visible")
    assert "网络中断" in note.inner_text() and "is-error" in note.get_attribute("class")
    assert form.locator("[name=feedback]").input_value() == "已清理完毕"  # nothing lost
    assert page.evaluate("() => document.querySelector('form[data-action=handle] [name=photos]').files.length") == 1
    assert form.locator("button[type=submit]").is_enabled()
    no_sideways_scroll(page, PHONE)
    note.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/wangge-offline-handle-failed-360-zh.png")
    _network(page, ONLINE)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url == f"{live_server.url}/cases/{case.pk}/"
    assert "处置反馈" in page.inner_text(".messages")  # the one-time message reached the page
    case.refresh_from_db()
    assert case.state == "handled" and CasePhoto.objects.filter(case=case, stage="handle").count() == 1
    assert not page.errors, page.errors


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["360", "desk"])
def test_the_offline_list_in_english(district, live_server, browser, viewport):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = new_page(browser, viewport, geolocation={"longitude": lng, "latitude": lat}, permissions=["geolocation"])
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, live_server.url, "gridder")
    page.goto(live_server.url + "/cases/report/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    _fill_report(page, world, "Broken street light")
    _network(page, OFFLINE)
    page.click("#report-submit")
    page.wait_for_selector(".queue-item.is-waiting")
    assert "saved on this phone" in page.inner_text("[data-offline-note]")
    assert "Reports on this phone (1 not sent yet)" in page.inner_text("[data-queue-heading]")
    no_sideways_scroll(page, viewport)
    name = "360" if viewport is PHONE else "desk"
    page.screenshot(path=f"{SHOTS}/wangge-offline-kept-{name}-en.png", full_page=viewport is PHONE)
    page.reload()
    page.wait_for_selector("html[data-offline-copy='1']")
    assert "No network" in page.inner_text("[data-offline-notice]")
    page.screenshot(path=f"{SHOTS}/wangge-offline-copy-{name}-en.png", full_page=viewport is PHONE)
    assert not page.errors, page.errors


def test_a_gateway_time_out_keeps_the_report_like_no_network(district, live_server, browser):
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = _open_report(browser, live_server.url, geolocation={"longitude": lng, "latitude": lat},
                        permissions=["geolocation"])
    _fill_report(page, world, "井盖松动")
    # The context's route sees the service worker's requests too (its Background Sync tries at once).
    page.context.route("**/cases/report/", lambda route: route.fulfill(status=504, body="Gateway Time-out")
                       if route.request.method == "POST" else route.continue_())
    page.click("#report-submit")
    page.wait_for_selector(".queue-item.is-waiting")
    assert Case.objects.count() == 0 and "井盖松动" in page.inner_text("[data-queue-list]")
    page.context.unroute("**/cases/report/")
    page.click("[data-send-now]")
    page.wait_for_selector(".queue-item.is-sent")
    assert Case.objects.get().title == "井盖松动"
    assert not page.errors, page.errors


def test_a_portal_form_refused_online_keeps_its_photo(district, live_server, browser, tmp_path):
    """The server's answer (the form with its errors) replaces the page; the photo chosen is put back into the
    file input, so the resident does not choose it again."""
    world = district
    lng, lat = world.grid_center(world.grids[0])
    page = new_page(browser, PHONE)
    page.goto(live_server.url + "/portal/report/")
    category = Category.objects.get(major__code="01", code="001")
    page.select_option("#report-form [name=category]", str(category.pk))
    page.evaluate("([x, y]) => window.portalMaps['report-form'].setPoint(x, y, 'wgs84')", [lng, lat])
    page.set_input_files("#report-form [name=photos]", str(_photo(tmp_path)))
    page.wait_for_function("() => document.querySelector('#report-form [name=photos]').dataset.shrunk === '1'")
    page.click("#submit-report")  # no title
    page.wait_for_selector("#form-errors")
    # The answer's page puts the photo back once its (deferred) scripts have run.
    page.wait_for_function("() => document.querySelector('#report-form [name=photos]').dataset.restored === '1'")
    assert page.evaluate("() => document.querySelector('#report-form [name=photos]').files[0].name") == "manhole.jpg"
    page.fill("#report-form [name=title]", "路灯坏了")
    page.click("#submit-report")
    page.wait_for_url(lambda url: "/portal/report/done/" in url)
    case = Case.objects.get()
    assert case.title == "路灯坏了" and CasePhoto.objects.filter(case=case).count() == 1
    assert not page.errors, page.errors
