"""Headless chromium: the district operator opens the one map, clicks a street on it, goes down to a grid and a
building, then opens the cases behind a figure; the wall view; the map on a phone.

Runs Debian's /usr/bin/chromium. Screenshots go to /tmp/wangge-onemap-*.png.
"""
import pytest

from wangge.cases import testing
from wangge.core.roles import Role
from wangge.insight import rollups
from wangge.testing import build_registry
from wangge.testing_browser import DESK, SHOTS, log_in, new_page, no_sideways_scroll
from wangge.testing_browser import PHONE_TALL as PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(catalogue_world):
    world = catalogue_world
    registry = build_registry(world)
    for grid in world.grids:  # the centres the boundary import sets: the heat layer's points
        lng, lat = world.grid_center(grid)
        type(grid).objects.filter(pk=grid.pk).update(center_lng=lng, center_lat=lat)
    cases = [testing.report(world) for _ in range(3)]
    testing.act(world.users[Role.DISTRICT_OPERATOR], cases[0], "register")
    rollups.rebuild()
    return {"world": world, "registry": registry, "cases": cases}


def drawn(page, layer="cases"):
    page.wait_for_selector(f"#onemap[data-drawn='{layer}']")


def test_district_operator_drills_from_the_district_to_a_building_and_opens_the_cases(scene, live_server, browser):
    base, world, cases = live_server.url, scene["world"], scene["cases"]
    page = new_page(browser, DESK)
    log_in(page, base, "district_op")
    page.goto(base + "/insight/map/")
    drawn(page)
    assert page.inner_text("#fig-cases b") == "3"
    page.screenshot(path=f"{SHOTS}/wangge-onemap-district.png", full_page=True)

    # A click on the map, on a point inside street 1's first grid, opens street 1's map (the range kept).
    lng, lat = world.grid_center(world.grids[0])
    x, y = page.evaluate("([lng, lat]) => window.wanggeOneMap.chart.convertToPixel({geoIndex: 0}, [lng, lat])",
                         [lng, lat])
    box = page.locator("#onemap").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert f"/insight/map/{world.streets[0].code}/" in page.url and "from=" in page.url
    drawn(page)

    # Down through the table: the community, then the grid with its buildings.
    for region in (world.communities[0], world.grids[0]):
        with page.expect_navigation():
            page.click(f"#onemap-children tr[data-code='{region.code}'] th a")
        assert f"/insight/map/{region.code}/" in page.url
    page.wait_for_selector("#onemap-buildings")
    assert page.inner_text("#fig-cases b") == "3"
    page.screenshot(path=f"{SHOTS}/wangge-onemap-grid.png", full_page=True)
    building = scene["registry"]["home"]["building"]
    assert page.locator(f"#onemap-buildings tr[data-building='{building.pk}']").count() == 1
    # The building is a point on the grid's map: a click on it opens its card.
    x, y = page.evaluate("([lng, lat]) => window.wanggeOneMap.chart.convertToPixel({geoIndex: 0}, [lng, lat])",
                         [building.lng, building.lat])
    box = page.locator("#onemap").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert f"/sensing/buildings/{building.pk}/" in page.url
    assert building.address in page.inner_text("main")

    # Back at the district: the cases behind the "cases" figure are the queue, filtered to the area and range.
    page.goto(base + "/insight/map/")
    drawn(page)
    with page.expect_navigation():
        page.click("#fig-cases")
    assert "/cases/" in page.url and f"area={world.district.code}" in page.url
    listed = page.inner_text("main")
    assert all(case.number in listed for case in cases)
    assert page.errors == [] and page.outside == []


def test_layers_the_heat_map_and_the_wall(scene, live_server, browser):
    base = live_server.url
    page = new_page(browser, DESK)
    log_in(page, base, "district_op")
    page.goto(base + "/insight/map/")
    drawn(page)
    page.click("[data-layer='heat']")
    drawn(page, "heat")
    page.click("[data-layer='population']")
    drawn(page, "population")
    page.screenshot(path=f"{SHOTS}/wangge-onemap-population.png", full_page=True)
    with page.expect_navigation():
        page.click("#wall-link")
    assert page.evaluate("document.body.classList.contains('wall')")
    drawn(page)
    page.screenshot(path=f"{SHOTS}/wangge-onemap-wall.png")
    assert page.errors == [] and page.outside == []


def test_the_map_on_a_phone(scene, live_server, browser):
    base, world = live_server.url, scene["world"]
    page = new_page(browser, PHONE)
    log_in(page, base, "district_op")
    page.goto(f"{base}/insight/map/{world.streets[0].code}/")
    drawn(page)
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-onemap-phone.png", full_page=True)
    assert page.errors == [] and page.outside == []
