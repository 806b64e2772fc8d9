"""Headless chromium: the district operator opens the early-warning board from the menu, sees a significant hot
spot with its numbers and the concentration curve, opens it, reads why, and acknowledges it; the board and a
warning page fit a phone.

Runs Debian's /usr/bin/chromium. Screenshots go to /tmp/wangge-warnings-*.png.
"""
import pytest

from wangge.cases.testing import report
from wangge.insight import rollups
from wangge.insight.models import WarningState
from wangge.insight.tests.testing import raise_hotspot
from wangge.testing_browser import DESK, PHONE, SHOTS, click_menu, log_in, new_page, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(catalogue_world):
    world = catalogue_world
    cases = [report(world) for _ in range(3)]
    rollups.rebuild()  # the worker's round: the curve reads the rollups
    warning = raise_hotspot(world.grids[0], neighbour=world.grids[1],
                            records=[("case", c.pk, c.number) for c in cases])
    return {"world": world, "warning": warning, "cases": cases}


def test_district_operator_sees_explains_and_acknowledges_a_hot_spot(scene, live_server, browser):
    base, warning = live_server.url, scene["warning"]
    page = new_page(browser, DESK)
    log_in(page, base, "district_op")
    page.goto(base + "/")
    with page.expect_navigation():
        click_menu(page, "#nav-early-warnings")
    page.wait_for_selector(f"#warning-{warning.pk}")
    row = page.inner_text(f"#warning-{warning.pk}")
    assert "q = 0.0011" in row and "z = 4.2" in row
    page.wait_for_selector("#concentration-chart canvas")  # the curve beside the board, drawn by ECharts
    assert "3" in page.inner_text("#concentration-note")  # the three cases of the window
    page.screenshot(path=f"{SHOTS}/wangge-warnings-board.png", full_page=True)
    with page.expect_navigation():
        page.click(f"#warning-{warning.pk} a.case-title")
    explanation = page.inner_text("#warning-explain")
    assert "Gi*" in explanation and "4.2" in explanation and "0.0011" in explanation
    assert scene["world"].grids[1].name in page.inner_text("#warning-neighbours")
    links = page.locator("#warning-records li a")
    assert links.count() == 3 and {links.nth(i).inner_text() for i in range(3)} == {c.number for c in scene["cases"]}
    page.screenshot(path=f"{SHOTS}/wangge-warnings-detail.png", full_page=True)
    page.fill("#acknowledge-note", "已通知街道研判")
    with page.expect_navigation():
        page.click("#act-acknowledge button[type=submit]")
    page.wait_for_selector("#warning-page[data-state='acknowledged']")
    warning.refresh_from_db()
    assert warning.state == WarningState.ACKNOWLEDGED and warning.acknowledged_by.username == "district_op"
    assert "已通知街道研判" in page.inner_text("#warning-timeline")
    assert page.errors == [] and page.outside == []


def test_the_board_and_a_warning_fit_a_phone(scene, live_server, browser):
    base, warning = live_server.url, scene["warning"]
    page = new_page(browser, PHONE)
    log_in(page, base, "street_op")
    page.goto(base + "/insight/warnings/")
    page.wait_for_selector(f"#warning-{warning.pk}")
    no_sideways_scroll(page, PHONE)
    page.goto(f"{base}/insight/warnings/{warning.pk}/")
    page.wait_for_selector("#act-acknowledge")
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-warnings-phone.png", full_page=True)
    assert page.errors == [] and page.outside == []
