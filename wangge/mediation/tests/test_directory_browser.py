"""The directory pages in headless chromium, as a street operator: from the ledger to the directory, add a
committee, edit it, retire it; on a desk (1366 px) and a phone (375 px), with no sideways scroll and no script
error. Screenshots go to /tmp/wangge-directory-*.png for a person to look at."""
import pytest

from wangge.core.roles import Role
from wangge.mediation.models import Committee
from wangge.mediation.testing import build_mediation
from wangge.testing import build_world
from wangge.testing_browser import PHONE, SHOTS, log_in, new_page, no_sideways_scroll, submit_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}


@pytest.fixture
def district(transactional_db):
    world = build_world()
    return world, build_mediation(world)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["desk", "phone"])
def test_a_street_operator_adds_edits_and_retires_a_committee(district, live_server, browser, viewport):
    (world, m), base = district, live_server.url
    size = viewport["width"]
    page = new_page(browser, viewport)
    log_in(page, base, world.users[Role.STREET_OPERATOR].username)
    page.goto(f"{base}/mediation/")
    with page.expect_navigation():
        page.click("#directory-link")
    assert page.locator("#committee-list li").count() == 3  # the street's and its two communities'
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-directory-list-{size}.png", full_page=True)

    with page.expect_navigation():
        page.click("#add-committee")
    form = page.locator("#committee-form")
    form.locator("[name=dispute_types][value=labour]").check()
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-directory-committee-new-{size}.png", full_page=True)
    submit_form(page, form, {"name": "测试街道1劳动争议调解委员会", "kind": "peoples", "level": "street",
                             "region": world.streets[0].code, "phone": "028-85556666"})
    assert page.url == f"{base}/mediation/directory/"
    assert "测试街道1劳动争议调解委员会" in page.inner_text("#committee-list")
    added = Committee.objects.get(name="测试街道1劳动争议调解委员会")
    assert added.dispute_types == ["labour"] and added.region == world.streets[0]

    page.goto(f"{base}/mediation/directory/committees/{added.pk}/")
    submit_form(page, page.locator("#committee-form"), {"phone": "12"})
    assert page.locator("#id_phone_error").count() == 1  # refused by its field, what was typed kept
    page.screenshot(path=f"{SHOTS}/wangge-directory-committee-error-{size}.png", full_page=True)
    page.click("details.retire summary")
    with page.expect_navigation():
        page.click("#retire-form button[type=submit]")
    added.refresh_from_db()
    assert added.active is False
    page.screenshot(path=f"{SHOTS}/wangge-directory-retired-{size}.png", full_page=True)

    page.goto(f"{base}/mediation/directory/mediators/{m.mediators['pool'].pk}/")
    no_sideways_scroll(page, viewport)
    page.screenshot(path=f"{SHOTS}/wangge-directory-mediator-{size}.png", full_page=True)
    assert page.errors == [] and page.outside == []
