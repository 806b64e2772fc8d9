"""Headless chromium through Playwright: a grid worker reports a case on the phone page (390x844), is shown
the possible duplicate, taps the map, takes the phone's position, ticks 当场解决 and the case is closed; an
operator bulk-dispatches from the queue at desk width.

Runs Debian's /usr/bin/chromium (never `playwright install`). Screenshots go to /tmp/wangge-cases-*.png.
"""
import os
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connections

from wangge.cases.models import Case, Category, State
from wangge.cases.testing import act, report
from wangge.core.roles import Role
from wangge.testing import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("WANGGE_SCREENSHOTS", "/tmp")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop runs get connections of their own: close them, or
        # PostgreSQL cannot drop the test database.
        connections.close_all()


@pytest.fixture
def district(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test empties the tables afterwards, data-migration rows included: the catalogue back.
    import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)
    return build_world()


def _page(browser, viewport, **context_options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.outside = []
    page.on("request", lambda req: page.outside.append(req.url)
            if not req.url.startswith(("http://localhost", "http://127.0.0.1", "data:", "blob:")) else None)
    return page


def _log_in(page, base, username):
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(base + "/")


def _no_sideways_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def test_grid_worker_reports_on_the_phone_and_resolves_on_the_spot(district, live_server, browser):
    world = district
    base = live_server.url
    earlier = report(world)  # the same problem reported a little earlier: offered as a possible duplicate
    lng, lat = world.grid_center(world.grids[0])
    page = _page(browser, PHONE, geolocation={"longitude": lng + 0.001, "latitude": lat + 0.001},
                 permissions=["geolocation"])
    _log_in(page, base, "gridder")
    page.goto(base + "/cases/report/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    _no_sideways_scroll(page, PHONE)

    # Two-level category: the major class narrows the minor classes.
    category = Category.objects.get(major__code="01", code="001")
    page.select_option("#major-select", label=str(category.major))
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_title", "路边有暴露垃圾")

    # A tap on the grid's map sets the point (WGS-84) ...
    x, y = page.evaluate("([lng, lat]) => window.wanggeReportMap.chart.convertToPixel({geoIndex: 0}, [lng, lat])",
                         [lng, lat])
    page.locator("#pick-map").scroll_into_view_if_needed()
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function("document.getElementById('id_lng').value !== ''")
    assert abs(float(page.input_value("#id_lng")) - lng) < 0.002
    # ... and the htmx check offers the earlier case before anything is submitted.
    page.wait_for_selector("#duplicate-list")
    assert earlier.number in page.inner_text("#duplicate-list")

    # The phone's own position replaces the tap.
    page.click("#locate-me")
    page.wait_for_function(f"Math.abs(Number(document.getElementById('id_lat').value) - {lat + 0.001}) < 1e-6")
    assert "已定位" in page.inner_text("#geo-status")

    assert page.locator("[data-resolution]").is_hidden()
    page.check("#id_self_resolved")
    assert page.locator("[data-resolution]").is_visible()
    page.fill("#id_resolution", "已当场清扫干净")
    _no_sideways_scroll(page, PHONE)
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
    _no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-cases-case-phone.png", full_page=True)

    page.goto(base + "/cases/mine/")
    assert case.number in page.inner_text("#my-reports")
    _no_sideways_scroll(page, PHONE)
    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_operator_bulk_dispatches_from_the_queue(district, live_server, browser):
    world = district
    base = live_server.url
    op = world.users[Role.DISTRICT_OPERATOR]
    cases = [act(op, report(world), "register") for _ in range(2)]
    waiting = report(world)  # still reported: it has no box to tick
    page = _page(browser, DESK)
    _log_in(page, base, "district_op")
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
    _no_sideways_scroll(page, DESK)

    # The same queue at phone width stays usable.
    phone = _page(browser, PHONE)
    _log_in(phone, base, "district_op")
    phone.goto(base + "/cases/")
    _no_sideways_scroll(phone, PHONE)
    phone.goto(base + "/cases/supervision/")
    _no_sideways_scroll(phone, PHONE)
    assert not page.errors and not phone.errors, page.errors + phone.errors
    assert not page.outside and not phone.outside
