"""The point maps in headless chromium (docs/maps.md): our own base layer with names, the search box that flies
to a result and sets the point (staff: the registry in their area; the portal: area names), the grid worker's
warning outside their grid, and a GCJ-02 base map whose taps still reach the form in WGS-84.

Screenshots (/tmp/wangge-maps-*.png) are for a person to look at, at 360 px and on a desktop, in both languages.
"""
import pytest

from wangge.cases.models import Case
from wangge.core.roles import Role
from wangge.registry import services
from wangge.testing import build_registry
from wangge.testing_browser import DESK, SHOTS, log_in, new_page, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_360 = {"width": 360, "height": 740}


@pytest.fixture
def mapped(catalogue_world):
    world = catalogue_world
    for region in [*world.communities, *world.grids]:
        if region.level == "grid":
            region.center_lng, region.center_lat = world.grid_center(region)
            region.save()
    data = build_registry(world)
    lng, lat = world.grid_center(world.grids[0])
    services.do_create_place(world.users[Role.ADMINISTRATOR], name="武侯实验小学", kind="school", address="幸福路8号",
                             lng=lng + 0.0004, lat=lat + 0.0003)
    return world, data


def choose_hit(page, text, having=None):
    """Type `text` in the map's search box and choose the first result (the first that shows `having`)."""
    page.fill("#map-search", text)
    page.wait_for_selector(".map-search-hit")
    labels = page.locator(".map-search-hit").all_inner_texts()
    hits = page.locator(".map-search-hit")
    (hits.filter(has_text=having) if having else hits).first.click()
    return labels


def test_staff_search_flies_to_a_building_sets_the_point_and_says_where_it_is(mapped, live_server, browser):
    (world, data), base = mapped, live_server.url
    page = new_page(browser, PHONE_360)
    log_in(page, base, "gridder")
    page.goto(base + "/cases/report/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    # Our own base: the grids' and communities' outlines with names (no tile server).
    assert page.locator("#pick-map canvas").count() >= 1
    assert page.locator("#pick-map .map-label").count() >= 1

    # Pinyin initials of 幸福路 find the grid worker's building (and not the other street's).
    home = f"{world.grids[0].name}幸福路1号 1栋"
    labels = choose_hit(page, "xfl", having=home)
    assert any(home in label for label in labels) and not any(world.grids[4].name in label for label in labels)
    building = data["home"]["building"]
    page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
    assert float(page.input_value("#id_lng")) == pytest.approx(building.lng, abs=1e-7)
    assert float(page.input_value("#id_lat")) == pytest.approx(building.lat, abs=1e-7)
    # The form says where the point is, as a tap would.
    page.wait_for_function("() => document.getElementById('geo-place').dataset.grid")
    assert page.get_attribute("#geo-place", "data-grid") == world.grids[0].code
    assert "is-warning" not in (page.get_attribute("#geo-place", "class") or "")
    # Zoomed in: the buildings and places of the area are labelled points.
    page.wait_for_function("() => document.querySelectorAll('#pick-map .map-label-point').length >= 2")
    points = page.locator("#pick-map .map-label-point").all_inner_texts()
    assert home in points and "武侯实验小学" in points
    page.locator("#pick-map").scroll_into_view_if_needed()
    no_sideways_scroll(page, PHONE_360)
    page.screenshot(path=f"{SHOTS}/wangge-maps-staff-search-phone.png")

    # A point in another grid: the grid worker is warned before submitting.
    choose_hit(page, world.grids[1].name)
    page.wait_for_function(f"() => document.getElementById('geo-place').dataset.grid === '{world.grids[1].code}'")
    assert "is-warning" in page.get_attribute("#geo-place", "class")
    assert world.grids[1].name in page.inner_text("#geo-place")
    # Enter in the search box searches; it never submits the report.
    page.fill("#map-search", "武侯")
    page.press("#map-search", "Enter")
    page.wait_for_selector(".map-search-hit")
    assert page.url == base + "/cases/report/" and Case.objects.count() == 0
    assert not page.errors, page.errors
    assert not page.outside, page.outside


@pytest.mark.parametrize("language, viewport, name", [("zh-CN", PHONE_360, "zh-phone"), ("en-GB", DESK, "en-desk")])
def test_portal_search_finds_an_area_by_initials_and_sets_the_point(mapped, live_server, browser, language,
                                                                    viewport, name):
    (world, _data), base = mapped, live_server.url
    page = new_page(browser, viewport)
    page.context.add_cookies([{"name": "django_language", "value": "en" if language == "en-GB" else "zh-hans",
                               "url": base}])
    page.goto(base + "/portal/report/")
    page.wait_for_selector("#report-map[data-ready='1']")
    no_sideways_scroll(page, viewport)
    labels = choose_hit(page, "cswg112")  # 测试网格1-1-2
    assert any(world.grids[1].name in label for label in labels)
    page.wait_for_function("() => document.querySelector('#report-form [name=lng]').value !== ''")
    lng, lat = world.grid_center(world.grids[1])
    assert float(page.input_value("#report-form [name=lng]")) == pytest.approx(lng, abs=1e-5)
    assert float(page.input_value("#report-form [name=lat]")) == pytest.approx(lat, abs=1e-5)
    assert page.input_value("#report-form [name=crs]") == "wgs84"
    # The portal searches names only: nothing of the registry (a building's address) is offered.
    page.fill("#map-search", "幸福路")
    page.wait_for_selector(".map-search-none")
    page.locator("#report-map").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/wangge-maps-portal-{name}.png")
    # Nothing public asks for the registry's points.
    assert page.evaluate("performance.getEntriesByType('resource').filter(e => e.name.includes('/map/points'))"
                         ".length") == 0
    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_a_gcj02_base_map_draws_converted_and_a_tap_comes_back_in_wgs84(mapped, live_server, browser, settings):
    (world, _data), base = mapped, live_server.url
    # A tile server of the deployment's own (here: the test server, which answers 404: a blank base).
    settings.WANGGE_BASE_MAP = {"url": base + "/tiles/{z}/{x}/{y}.png", "crs": "gcj02", "attribution": "测试底图",
                                "subdomains": "abc", "max_zoom": 18}
    page = new_page(browser, DESK)
    page.goto(base + "/portal/report/")
    page.wait_for_selector("#report-map[data-ready='1']")
    assert page.evaluate("typeof window.wanggeCrs.toGcj02") == "function"
    assert "测试底图" in page.inner_text("#report-map .leaflet-control-attribution")
    lng, lat = world.grid_center(world.grids[0])
    # Close in (half a metre a pixel), around where the base map has the grid's centre.
    page.evaluate("([x, y]) => window.portalMaps['report-form'].map.setView(window.wanggeCrs.toGcj02(x, y).reverse(),"
                  " 18, {animate: false})", [lng, lat])
    # The grid's centre is drawn where the GCJ-02 base map has it: a few hundred metres from the plain point.
    drawn = page.evaluate("([x, y]) => window.portalMaps['report-form'].map.latLngToContainerPoint("
                          "window.wanggeCrs.toGcj02(x, y).reverse())", [lng, lat])
    x, y = page.evaluate("([x, y]) => window.portalMaps['report-form'].pixelOf(x, y)", [lng, lat])
    assert abs(drawn["x"] - x) < 1 and abs(drawn["y"] - y) < 1
    page.locator("#report-map").scroll_into_view_if_needed()
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function("() => document.querySelector('#report-form [name=lng]').value !== ''")
    # Back in WGS-84 within a couple of pixels' worth of ground (the GCJ-02 offset here is about 500 m).
    metres_per_px = page.evaluate("""() => { const m = window.portalMaps['report-form'].map;
        const c = m.getSize().divideBy(2); return m.distance(m.containerPointToLatLng(c),
        m.containerPointToLatLng(c.add([1, 0]))); }""")
    got = (float(page.input_value("#report-form [name=lng]")), float(page.input_value("#report-form [name=lat]")))
    error_m = ((got[0] - lng) * 96_000) ** 2 + ((got[1] - lat) * 111_000) ** 2
    assert metres_per_px < 1 and error_m ** 0.5 < 3 * metres_per_px, (got, (lng, lat), metres_per_px)
    assert page.input_value("#report-form [name=crs]") == "wgs84"
    page.screenshot(path=f"{SHOTS}/wangge-maps-portal-gcj02.png")
    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_the_phones_position_moves_the_portal_map_there(mapped, live_server, browser):
    (world, _data), base = mapped, live_server.url
    lng, lat = world.grid_center(world.grids[2])
    page = new_page(browser, PHONE_360, geolocation={"longitude": lng, "latitude": lat}, permissions=["geolocation"])
    page.goto(base + "/portal/grid-worker/")
    page.wait_for_selector("#grid-map[data-ready='1']")
    page.click("[data-geolocate=locate-form]")
    page.wait_for_selector("#grid-answer #grid-name")
    page.wait_for_function("() => window.portalMaps['locate-form'].map.getZoom() >= 17")
    x, y = page.evaluate("([x, y]) => window.portalMaps['locate-form'].pixelOf(x, y)", [lng, lat])
    size = page.evaluate("() => window.portalMaps['locate-form'].map.getSize()")
    assert abs(x - size["x"] / 2) < 2 and abs(y - size["y"] / 2) < 2  # the position is in the middle
    assert world.grids[2].name in page.inner_text("#grid-answer")
    assert not page.errors, page.errors
    assert not page.outside, page.outside
