"""Headless chromium: a grid worker on a phone acknowledges one alert from their home and turns another into a
case; the district operator sees buildings' "three ones" coverage and a new alert arrive on the board by itself.

Runs Debian's /usr/bin/chromium. Screenshots go to /tmp/wangge-sensing-*.png.
"""
import pytest

from wangge.cases.models import Case, Category
from wangge.core.roles import Role
from wangge.registry.models import Building
from wangge.sensing.alerts import raise_alert, source_of
from wangge.sensing.models import Alert, AlertState, AlertType, Severity
from wangge.testing import build_registry
from wangge.testing_browser import DESK, SHOTS, log_in, new_page, no_sideways_scroll
from wangge.testing_browser import PHONE_TALL as PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(catalogue_world):
    from wangge.sensing.testing import build_sensing

    world = catalogue_world
    registry = build_registry(world)
    sensing = build_sensing(world, registry)
    door = sensing["door"]
    forced = raise_alert(AlertType.DOOR_FORCED, source_of("device", door.pk), grid_id=door.grid_id,
                         title="幸福路1号1栋门被强行打开", severity=Severity.MAJOR, device_id=door.pk,
                         building_id=door.building_id).alert
    stranger = raise_alert(AlertType.UNKNOWN_CARD, source_of("device", door.pk), grid_id=door.grid_id,
                           title="幸福路1号1栋门禁出现陌生卡", severity=Severity.MINOR, device_id=door.pk,
                           building_id=door.building_id).alert
    return {"world": world, "registry": registry, "sensing": sensing, "forced": forced, "stranger": stranger}


def test_grid_worker_acknowledges_and_turns_an_alert_into_a_case_on_the_phone(scene, live_server, browser):
    base = live_server.url
    forced, stranger = scene["forced"], scene["stranger"]
    page = new_page(browser, PHONE)
    log_in(page, base, "gridder")
    page.goto(base + "/")
    page.wait_for_selector("#home-alerts")
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-sensing-home-phone.png", full_page=True)
    # Acknowledge in place: back on the home, the alert stays listed as acknowledged, without the button.
    with page.expect_navigation():
        page.click(f"#home-alert-{forced.pk} [data-action='acknowledge'] button")
    assert page.url.startswith(base + "/")
    page.wait_for_selector(f"#home-alert-{forced.pk}[data-state='acknowledged']")
    forced.refresh_from_db()
    assert forced.state == AlertState.ACKNOWLEDGED and forced.acknowledged_by.username == "gridder"

    # Turn the other into a case: the alert page opens at the form, a category is chosen.
    with page.expect_navigation():
        page.click(f"#home-alert-{stranger.pk} [data-to-case]")
    page.wait_for_selector("#act-to_case")
    category = Category.objects.filter(active=True, major__active=True).order_by("major__code", "code").first()
    page.select_option("#to_case-category", str(category.pk))
    page.fill("#to_case-note", "门禁读到陌生卡，请物业核查")
    no_sideways_scroll(page, PHONE)
    with page.expect_navigation():
        page.click("#act-to_case button[type=submit]")
    stranger = Alert.objects.select_related("case").get(pk=stranger.pk)
    assert stranger.state == AlertState.CLOSED and stranger.case is not None
    case = Case.objects.get()
    assert case.channel == "device" and case.grid == scene["world"].grids[0]
    assert page.url.startswith(base + "/")  # back where it started
    assert f"#home-alert-{stranger.pk}" and page.locator(f"#home-alert-{stranger.pk}").count() == 0
    page.goto(f"{base}/sensing/alerts/{stranger.pk}/")
    assert case.number in page.inner_text("#alert-case")
    assert page.errors == [] and page.outside == []


def test_district_operator_sees_coverage_and_a_new_alert_arrives_by_itself(scene, live_server, browser):
    base = live_server.url
    world, registry, sensing = scene["world"], scene["registry"], scene["sensing"]
    from wangge.areas.models import GridTeamMember

    member = GridTeamMember.objects.create(grid=world.grids[0], role="grid_worker", name="张网格员",
                                           user=world.users[Role.GRID_WORKER])
    Building.objects.filter(pk=registry["home"]["building"].pk).update(
        head_staff=member, is_rental=True, property_company="安居物业（合成）")
    page = new_page(browser, DESK)
    log_in(page, base, "district_op")
    page.goto(base + "/sensing/coverage/")
    total = page.locator("#coverage-total td")
    assert total.nth(0).inner_text() == "2" and total.nth(4).inner_text().startswith("1")  # all three: 1
    page.click(f"#coverage-table a:has-text('{world.streets[0].name}')")
    page.wait_for_selector(f"tr[data-code='{world.communities[0].code}']")
    page.screenshot(path=f"{SHOTS}/wangge-sensing-coverage.png", full_page=True)
    page.goto(f"{base}/sensing/buildings/{registry['home']['building'].pk}/")
    assert "安居物业（合成）" in page.inner_text("#building-facts")
    assert sensing["door"].code in page.inner_text("#doors")

    page.goto(base + "/sensing/alerts/")
    page.evaluate("() => { document.getElementById('alert-board').dataset.refresh = '1'; }")
    page.wait_for_selector(f"#alert-{scene['forced'].pk}")
    away_door = sensing["away_door"]
    late = raise_alert(AlertType.DOOR_FORCED, source_of("device", away_door.pk), grid_id=away_door.grid_id,
                       title="外网格门被强行打开", severity=Severity.CRITICAL, device_id=away_door.pk).alert
    page.wait_for_selector(f"#alert-{late.pk}", timeout=45_000)  # the board's own refresh (30 s) brought it
    page.screenshot(path=f"{SHOTS}/wangge-sensing-board.png", full_page=True)
    assert page.errors == [] and page.outside == []
