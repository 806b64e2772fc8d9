"""Headless chromium through Playwright: a grid worker walks grid → building → house → person,
sees masked numbers and reveals one with a reason (audited); an operator uploads a bad CSV and
sees the error report with nothing written; the map colours its regions by a chosen layer.

Runs Debian's /usr/bin/chromium (never `playwright install`). Screenshots go to
/tmp/wangge-registry-*.png for a person to look at, at desk width and at 375px.
"""
import io
import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.models import House, Household, Person, Residence, Tag
from wangge.testing import build_registry, build_world, make_id_number
from wangge.testing_browser import DESK, PHONE, SHOTS, click_menu, log_in, new_page, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shown(transactional_db, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test empties the tables afterwards, data-migration rows included: put the groups back.
    tags = import_module("wangge.registry.migrations.0002_default_tags").TAGS
    for code, name, group, days in tags:
        Tag.objects.get_or_create(code=code, defaults={"name": name, "group": group, "visit_every_days": days})
    world = build_world()
    data = build_registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    today = timezone.localdate()
    head = data["home"]["head"]
    services.do_tag_person(admin, head, Tag.objects.get(code="elder_living_alone"), since=today - timedelta(days=12))
    services.do_tag_person(admin, data["home"]["member"], Tag.objects.get(code="disabled"), since=today)
    building = data["home"]["building"]
    for number in ("102", "201", "202"):
        house = services.do_create_house(admin, building, unit="1", number=number, use="owner")
        person = services.do_register_person(admin, {"name": f"住户{number}", "id_number": make_id_number(
            "19950101", int(number)), "phone": f"13700000{number}", "kind": "floating"}, house=house)
        services.do_create_household(admin, house, person)
    services.do_update_person(admin, head, {"phone": "13800002222"})
    return world, data


def _plain_numbers_absent(page):
    html = page.content()
    for person in Person.objects.all():
        assert person.id_number not in html, f"plain ID number of {person.name} on {page.url}"
        if person.phone:
            assert person.phone not in html, f"plain phone of {person.name} on {page.url}"


@pytest.mark.parametrize("viewport,label", [(PHONE, "phone"), (DESK, "desk")])
def test_grid_worker_browses_to_a_person_and_reveals_with_a_reason(shown, live_server, browser, viewport, label):
    world, data = shown
    base = live_server.url
    head = data["home"]["head"]
    page = new_page(browser, viewport)
    log_in(page, base, "gridder")

    # The grid page (a grid worker's home) links to the grid's buildings.
    page.click("#grid-links a[href$='/buildings/']")
    page.wait_for_url(f"{base}/grids/{world.grids[0].code}/buildings/")
    assert "1栋" in page.inner_text("#building-list")
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-registry-buildings-{label}.png", full_page=True)

    page.click("#building-list a.item-main")
    page.wait_for_url(f"{base}/buildings/{data['home']['building'].pk}/")
    assert page.locator("#house-list li").count() == 4
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-registry-building-{label}.png", full_page=True)

    page.click(f"#house-list a[href='/houses/{data['home']['house'].pk}/']")
    page.wait_for_url(f"{base}/houses/{data['home']['house'].pk}/")
    text = page.inner_text("main")
    assert "home户主" in text and "home家人" in text and "510107********" in text
    _plain_numbers_absent(page)
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-registry-house-{label}.png", full_page=True)

    page.click(f"a.item-main[href='/people/{head.pk}/']")
    page.wait_for_url(f"{base}/people/{head.pk}/")
    masked = page.inner_text("[data-masked=id_number]")
    assert masked == "510107********" + head.id_number[-4:]
    assert page.inner_text("[data-masked=phone]") == "138****2222"
    assert "独居老人" in page.inner_text(".page-head")
    assert "电话" in page.inner_text("#history-list")  # the phone change, by field
    _plain_numbers_absent(page)
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-registry-person-{label}.png", full_page=True)

    # Reveal without a reason: refused next to the field, nothing logged.
    page.click("#reveal-id_number summary")
    page.click("#reveal-id_number button[type=submit]")
    page.wait_for_selector("#reveal-id_number .field-error")
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()
    assert head.id_number not in page.content()

    # With a reason: the number in the clear, and the audit row.
    page.fill("#reason-id_number", "入户核实身份")
    page.click("#reveal-id_number button[type=submit]")
    page.wait_for_selector("#reveal-id_number [data-revealed=id_number]")
    assert page.inner_text("[data-revealed=id_number]") == head.id_number
    entry = AuditEntry.objects.get(operation="core.reveal")
    assert entry.object_id == str(head.pk) and entry.details["reason"] == "入户核实身份"
    assert entry.actor.username == "gridder"
    assert "13800002222" not in page.content()  # only the field asked for
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-registry-person-revealed-{label}.png", full_page=True)

    assert not page.errors, page.errors
    assert not page.outside, page.outside


def test_grid_worker_phone_forms(shown, live_server, browser):
    """The phone pages render, fit 375px, and the member rows are added by the page's script."""
    world, data = shown
    base = live_server.url
    page = new_page(browser, PHONE)
    log_in(page, base, "gridder")
    page.goto(f"{base}/buildings/{data['home']['building'].pk}/households/new/")
    assert page.locator("[data-new-house]").is_hidden()
    page.select_option("#id_house-house", "new")
    assert page.locator("[data-new-house]").is_visible()
    page.click("[data-add-member]")
    page.click("[data-add-member]")
    assert page.locator("#members [data-member]").count() == 2
    assert page.input_value("#id_members-TOTAL_FORMS") == "2"
    page.locator("#members [data-member]").first.locator("[data-remove-member]").click()
    assert page.input_value("#id_members-TOTAL_FORMS") == "1"
    assert page.locator("#id_members-0-name").count() == 1
    no_sideways_scroll(page, PHONE)

    # A bad ID number: the error by the field, nothing written.
    before = (Person.objects.count(), House.objects.count(), Household.objects.count(), Residence.objects.count())
    page.fill("#id_house-number", "301")
    page.fill("#id_head-name", "王新")
    good = make_id_number("19960606", 401)
    page.fill("#id_head-id_number", good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.fill("#id_members-0-name", "王新妻")
    page.fill("#id_members-0-id_number", make_id_number("19970707", 402))
    page.click("#household-form button[type=submit]")
    page.wait_for_selector("#id_head-id_number_error")
    assert "校验位" in page.inner_text("#id_head-id_number_error")
    assert (Person.objects.count(), House.objects.count(), Household.objects.count(),
            Residence.objects.count()) == before
    page.screenshot(path=f"{SHOTS}/wangge-registry-household-error-phone.png", full_page=True)

    # Corrected: saved, and the house page shows the new household.
    page.fill("#id_head-id_number", good)
    page.click("#household-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/houses/\d+/$"))
    assert "王新" in page.inner_text("main") and "王新妻" in page.inner_text("main")

    page.goto(f"{base}/people/{data['home']['head'].pk}/visits/new/")
    assert page.get_attribute("#id_photos", "accept") == "image/*"
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-registry-visit-phone.png", full_page=True)

    page.goto(f"{base}/visits/due/")
    assert "home户主" in page.inner_text("#due-list")
    no_sideways_scroll(page, PHONE)
    page.screenshot(path=f"{SHOTS}/wangge-registry-due-phone.png", full_page=True)
    assert not page.errors, page.errors


def test_visit_takes_the_position_from_the_browser(shown, live_server, browser):
    world, data = shown
    base = live_server.url
    lng, lat = world.grid_center(world.grids[0])
    page = new_page(browser, PHONE, geolocation={"longitude": lng, "latitude": lat, "accuracy": 12},
                    permissions=["geolocation"])
    log_in(page, base, "gridder")
    head = data["home"]["head"]
    page.goto(f"{base}/people/{head.pk}/visits/new/")
    page.wait_for_selector("[data-geo-status][data-state=found]")
    assert "12" in page.inner_text("[data-geo-status]")
    page.fill("#id_notes", "老人身体良好，门锁已修")
    page.click("#visit-form button[type=submit]")
    page.wait_for_url(f"{base}/people/{head.pk}/")
    visit = head.visits.get()
    assert visit.in_grid is True and abs(visit.lng - lng) < 1e-6 and abs(visit.lat - lat) < 1e-6
    assert "老人身体良好" in page.inner_text("#visit-list")


@pytest.mark.parametrize("viewport,label", [(DESK, "desk"), (PHONE, "phone")])
def test_operator_uploads_a_bad_csv_and_sees_the_report(shown, live_server, browser, tmp_path, viewport, label):
    world, data = shown
    base = live_server.url
    from wangge.registry.importing import HEADERS

    address = data["home"]["building"].address
    good = make_id_number("19910101", 601)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    lines = [",".join(HEADERS[:9]),
             ",".join(["好人", good, "汉族", "13900001111", "户籍", address, "1栋", "1", "101"]),
             ",".join(["坏号", bad, "汉族", "139", "户籍", address, "1栋", "1", "101"]),
             ",".join(["无楼", make_id_number("19910101", 602), "火星族", "", "户籍", "不存在的路", "9栋", "", "1"])]
    upload = tmp_path / "people.csv"
    upload.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    before = (Person.objects.count(), House.objects.count(), AuditEntry.objects.count())

    page = new_page(browser, viewport)
    log_in(page, base, "community_op")
    click_menu(page, "a[href='/people/import/']")
    page.wait_for_url(f"{base}/people/import/")
    page.set_input_files("#id_file", str(upload))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import-errors")
    rows = page.eval_on_selector_all("#import-errors tbody tr",
                                     "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    by_line = {}
    for line, column, reason in rows:
        by_line.setdefault(line, []).append((column, reason))
    assert {c for c, _ in by_line["3"]} == {"公民身份号码", "联系电话"}
    assert {c for c, _ in by_line["4"]} >= {"民族"}
    assert page.locator("#commit-form").count() == 0
    assert (Person.objects.count(), House.objects.count(), AuditEntry.objects.count()) == before
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-registry-import-errors-{label}.png", full_page=True)

    with page.expect_download() as caught:
        page.click("#error-report")
    report = caught.value
    assert report.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    with open(report.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert next(sheet.iter_rows(values_only=True)) == ("行号", "列", "原因")
    assert (Person.objects.count(), House.objects.count()) == before[:2]
    assert not page.errors, page.errors


def test_desk_pages_and_map_layer(shown, live_server, browser):
    world, data = shown
    base = live_server.url
    page = new_page(browser, DESK)
    log_in(page, base, "district_op")
    page.goto(base + "/map/")
    page.wait_for_function("() => window.wanggeMap && window.wanggeMap.data")
    before = page.evaluate("window.wanggeMap.colourOf('510107001')")
    page.click("[data-layer-switch] button[data-layer=population]")
    page.wait_for_function("() => window.wanggeMap.layer === 'population' && window.wanggeMap.layerValues")
    page.wait_for_timeout(300)
    assert page.evaluate("window.wanggeMap.layerValues") == {"510107001": 5, "510107002": 2}
    after = page.evaluate("window.wanggeMap.colourOf('510107001')")
    assert after != before and page.evaluate("window.wanggeMap.colourOf('510107002')") != after
    assert page.is_visible("[data-layer-legend]")
    page.screenshot(path=f"{SHOTS}/wangge-registry-map-layer-desk.png")
    # The layer stays chosen when drilling down.
    page.click("#child-list a[data-drill='510107001']")
    page.wait_for_function("() => window.wanggeMap.data.region.code === '510107001' && window.wanggeMap.layerValues")
    assert page.evaluate("window.wanggeMap.layerValues")["510107001001"] == 5

    page.goto(f"{base}/people/")
    assert page.locator("#people-table tbody tr").count() == 7
    _plain_numbers_absent(page)
    page.screenshot(path=f"{SHOTS}/wangge-registry-people-desk.png", full_page=True)
    page.goto(f"{base}/population/")
    page.wait_for_url(f"{base}/regions/510107/population/")
    assert page.inner_text("#population-stats dd >> nth=0") == "7"
    page.screenshot(path=f"{SHOTS}/wangge-registry-population-desk.png", full_page=True)

    phone = new_page(browser, PHONE)
    log_in(phone, base, "district_op")
    for url, name in (("/people/", "people"), ("/regions/510107/population/", "population")):
        phone.goto(base + url)
        no_sideways_scroll(phone, PHONE)
        phone.screenshot(path=f"{SHOTS}/wangge-registry-{name}-phone.png", full_page=True)
    assert not page.errors and not phone.errors, page.errors + phone.errors
    assert not page.outside, page.outside
