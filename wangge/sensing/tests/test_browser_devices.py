"""The device map and page in headless chromium: the devices drawn over the point map, coloured by connectivity,
no script refused by the Content-Security-Policy; open the video from a camera's page with a reason."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.sensing.connectivity import mark_seen
from wangge.sensing.testing import make_device
from wangge.testing_browser import DESK, SHOTS, log_in, new_page, refused_by_the_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_map_draws_the_devices_and_a_camera_opens_with_a_reason(catalogue_world, live_server, browser):
    world, base = catalogue_world, live_server.url
    lng, lat = world.grid_center(world.grids[0])
    door = make_device(world.grids[0], "DOOR-MAP-1", name="地图门禁", lng=lng, lat=lat)
    mark_seen(door)
    make_device(world.grids[0], "51010700001320000777", kind="camera", name="地图摄像机", lng=lng + 0.0003,
                lat=lat + 0.0002, camera_class="social", storage_days=30,
                play_url=f"{base}/sensing/devices/")  # somewhere that answers, in place of a video platform
    make_device(world.grids[4], "DOOR-MAP-FAR", name="外街门禁", lng=lng + 0.05, lat=lat)
    page = new_page(browser, DESK)
    refused = refused_by_the_policy(page)
    log_in(page, base, "gridder")
    page.goto(base + "/sensing/devices/map/")
    page.wait_for_selector("#device-map[data-devices='2']")
    page.wait_for_selector("#device-map[data-ready='1']")
    assert page.locator("#device-map canvas, #device-map svg").count() >= 1
    page.screenshot(path=f"{SHOTS}/wangge-devices-map.png")
    assert not refused

    page.goto(base + "/sensing/devices/51010700001320000777/")
    assert "网络摄像机(IPC)" in page.inner_text("#device-gbt28181")
    page.screenshot(path=f"{SHOTS}/wangge-device-page.png", full_page=True)
    with page.expect_popup() as opened:
        page.fill("#id_reason", "核查一起盗窃")
        page.click("#open-camera-form button[type=submit]")
    opened.value.wait_for_load_state()
    assert opened.value.url.endswith("/sensing/devices/")
    entry = AuditEntry.objects.get(operation="sensing.open_camera")
    assert (entry.actor.username, entry.details["reason"]) == ("gridder", "核查一起盗窃")
    assert world.users[Role.GRID_WORKER].username == "gridder"
    assert not refused


def test_a_tap_on_the_form_map_fills_the_point_and_registers_the_camera(catalogue_world, live_server, browser):
    from wangge.sensing.models import Device

    world, base = catalogue_world, live_server.url
    page = new_page(browser, DESK)
    refused = refused_by_the_policy(page)
    log_in(page, base, "street_op")
    page.goto(base + "/sensing/devices/new/")
    page.wait_for_selector("#device-pick-map[data-ready='1']")
    page.fill("#id_code", "51010700001310000888")
    page.select_option("#id_kind", "camera")
    page.fill("#id_name", "点选摄像机")
    page.select_option("#id_camera_class", "public_security")
    page.fill("#id_storage_days", "30")
    box = page.locator("#device-pick-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.getElementById('id_lng').value !== ''")
    page.click("#device-form button[type=submit]")
    page.wait_for_selector("#device-page")
    camera = Device.objects.get(code="51010700001310000888")
    assert camera.grid.path.startswith(world.streets[0].path) and camera.lng is not None
    assert not refused
