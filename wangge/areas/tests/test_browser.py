"""Headless chromium through Playwright: log in, see the map, drill down by clicking the map, land on a grid.

Runs Debian's /usr/bin/chromium (never `playwright install`); the live server serves the static
files, so ECharts and htmx come from wangge/static/vendor like everywhere else.
Screenshots go to /tmp/wangge-browser-*.png for a person to look at.
"""
import pytest

from wangge.areas.models import GridTeamMember
from wangge.core.roles import Role
from wangge.testing import build_world
from wangge.testing_browser import (
    DESK,
    PHONE,
    SHOTS,
    click_menu,
    log_in,
    new_page,
    no_sideways_scroll,
    refused_by_the_policy,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shown_world(transactional_db):
    world = build_world()
    grid = world.grids[0]
    GridTeamMember.objects.create(grid=grid, role="grid_leader", name="张组长", phone="13987654321")
    GridTeamMember.objects.create(grid=grid, role="grid_worker", name="李网格", phone="13812345678",
                                  user=world.users[Role.GRID_WORKER])
    GridTeamMember.objects.create(grid=grid, role="volunteer", name="赵志愿", phone="13700001111")
    return world


def _map_ready(page, code):
    page.wait_for_function("c => window.wanggeMap && window.wanggeMap.data && window.wanggeMap.data.region.code === c",
                           arg=code)
    page.wait_for_selector("[data-region-map] canvas")
    page.wait_for_timeout(400)  # let the draw animation settle before clicking or shooting


def _click_on_map(page, code):
    """A real mouse click at the label point of a region, where a person would click."""
    xy = page.evaluate("c => window.wanggeMap.pointOf(c)", code)
    assert xy, f"{code} is not drawn"
    page.mouse.click(xy[0], xy[1])


def _listed(page):
    return page.eval_on_selector_all("#child-list tbody tr", "rows => rows.map(r => r.dataset.code)")


def test_log_in_see_the_map_and_drill_into_a_grid(shown_world, live_server, browser):
    base = live_server.url
    street, community, grid = "510107001", "510107001001", shown_world.grids[0].code
    page = new_page(browser, DESK)
    log_in(page, base, "district_op", from_home=True)
    # An operator lands on the case queue, its tabs counted; the map is one tap away in the menu.
    assert page.url == base + "/cases/" and page.locator("#queue-tabs [data-count=reported]").is_visible()
    click_menu(page, "#nav-map")
    page.wait_for_url(base + "/map/")

    # The district map, drawn by ECharts from /map/510107.json, and the list of its streets.
    assert page.evaluate("typeof window.echarts") == "object"
    _map_ready(page, "510107")
    assert page.locator("#region-map canvas").count() >= 1
    assert page.inner_text("#region-head h1") == "武侯区"
    assert _listed(page) == ["510107001", "510107002"]
    assert page.evaluate("Object.keys(window.wanggeMap.byCode).sort()") == ["510107", "510107001", "510107002"]
    page.screenshot(path=f"{SHOTS}/wangge-browser-home-desk.png")

    # Street: a click on the map drills down; the panel (HTMX) and the address follow.
    _click_on_map(page, street)
    _map_ready(page, street)
    page.wait_for_selector(f"#region-head[data-code='{street}']")
    assert page.url == f"{base}/regions/{street}/"
    assert _listed(page) == ["510107001001", "510107001002"]

    # Community, again on the map.
    _click_on_map(page, community)
    _map_ready(page, community)
    page.wait_for_selector(f"#region-head[data-code='{community}']")
    assert _listed(page) == [grid, shown_world.grids[1].code]
    assert page.inner_text("#region-head .crumbs [aria-current=page]") == "测试社区1-1"

    # Up again through the breadcrumb, then down again through the list.
    page.click(f"#region-head .crumbs a[data-drill='{street}']")
    _map_ready(page, street)
    page.wait_for_selector(f"#region-head[data-code='{street}']")
    page.click(f"#child-list a[data-drill='{community}']")
    _map_ready(page, community)

    # The browser's back button returns to the street.
    page.go_back()
    _map_ready(page, street)
    page.go_forward()
    _map_ready(page, community)

    # A grid on the map opens the grid page.
    _click_on_map(page, grid)
    page.wait_for_url(f"{base}/regions/{grid}/")
    _map_ready(page, grid)
    assert page.inner_text("#grid-code") == grid
    phones = page.eval_on_selector_all("#team-list td.phone", "cells => cells.map(c => c.textContent.trim())")
    assert phones == ["139****4321", "138****5678", "137****1111"]
    html = page.content()
    assert "13812345678" not in html and "13987654321" not in html
    page.screenshot(path=f"{SHOTS}/wangge-browser-grid-desk.png", full_page=True)

    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_phone_width_and_language_switch(shown_world, live_server, browser):
    base = live_server.url
    page = new_page(browser, PHONE)
    page.goto(base + "/login/")
    page.screenshot(path=f"{SHOTS}/wangge-browser-login-phone.png", full_page=True)
    log_in(page, base, "street_op", from_home=True)
    assert page.url == base + "/cases/"
    no_sideways_scroll(page, PHONE)  # the queue, with its tabs, fits a phone too
    click_menu(page, "#nav-map")
    _map_ready(page, "510107001")
    # Nothing overflows sideways at 375px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator("#region-map").bounding_box()
    assert box["width"] >= 330 and box["height"] >= 250
    page.screenshot(path=f"{SHOTS}/wangge-browser-home-phone.png", full_page=True)

    page.click("[data-menu-toggle]")  # on a phone the language switch and log-out come with the menu
    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state()
    _map_ready(page, "510107001")
    page.click("[data-menu-toggle]")
    assert "Log out" in page.inner_text("header")
    page.click("[data-menu-toggle]")
    assert page.inner_text("#child-list thead").startswith("Name / code")

    # A drill-down on the phone goes through the map too.
    _click_on_map(page, "510107001002")
    _map_ready(page, "510107001002")
    assert page.url == f"{base}/regions/510107001002/"
    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_the_menu_on_a_desk_and_on_a_phone(shown_world, live_server, browser):
    """One row of grouped dropdowns on a desk; on a phone one menu button, and nothing scrolls sideways."""
    base = live_server.url
    page = new_page(browser, DESK)
    refused = refused_by_the_policy(page)
    log_in(page, base, "district_op")
    page.goto(base + "/map/")
    _map_ready(page, "510107")
    nav = page.locator("#mainnav")
    assert nav.bounding_box()["height"] < 50, "the menu takes one row"
    assert page.locator("[data-menu-toggle]").is_hidden()
    groups = page.locator("#mainnav summary").all_inner_texts()
    assert groups == ["基础数据", "事件", "矛盾纠纷", "感知", "研判"]
    cases, disputes = page.locator("[data-menu-group=cases]"), page.locator("[data-menu-group=disputes]")
    cases.locator("summary").click()
    assert cases.locator("a[href='/cases/supervision/']").is_visible()
    disputes.locator("summary").click()  # one dropdown open at a time
    # The other dropdown closes on the "toggle" event, which the browser fires after the click returns: wait for it.
    page.wait_for_selector("[data-menu-group=cases]:not([open])", state="attached", timeout=3000)
    assert disputes.get_attribute("open") is not None and cases.get_attribute("open") is None
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-menu-group=disputes]:not([open])", state="attached", timeout=3000)
    assert disputes.get_attribute("open") is None
    click_menu(page, "a[href='/cases/']")
    page.wait_for_url(base + "/cases/")
    assert page.locator("[data-menu-group=cases]").get_attribute("class") == "is-current"
    assert page.locator("#mainnav a[aria-current=page]").get_attribute("href") == "/cases/"
    page.screenshot(path=f"{SHOTS}/wangge-browser-menu-desk.png")

    phone = new_page(browser, PHONE)
    refused += refused_by_the_policy(phone)
    log_in(phone, base, "gridder")
    assert phone.locator("#home-cases").is_visible() and phone.locator("#quick-actions").is_visible()
    assert phone.locator("#mainnav").is_hidden()
    no_sideways_scroll(phone, PHONE)
    phone.click("[data-menu-toggle]")
    assert phone.locator("#mainnav").is_visible()
    assert phone.locator("[data-menu-toggle]").get_attribute("aria-expanded") == "true"
    base_group = phone.locator("[data-menu-group=base]")
    base_group.locator("summary").click()
    assert base_group.locator("a[href='/people/']").is_visible()
    no_sideways_scroll(phone, PHONE)
    phone.screenshot(path=f"{SHOTS}/wangge-browser-menu-phone.png", full_page=True)
    click_menu(phone, "a[href='/cases/report/']")
    phone.wait_for_url(base + "/cases/report/")
    phone.wait_for_selector("#pick-map[data-ready='1']")
    assert phone.locator("#mainnav").is_hidden()
    no_sideways_scroll(phone, PHONE)
    for p in (page, phone):
        assert not p.errors, p.errors
        assert not p.outside, p.outside
    assert not refused, refused
