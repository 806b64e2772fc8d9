"""Done-when for the dispute pages, in headless chromium:

1. a court's handler refers a case with its letter (移送函); the district's operator (多调办) routes it to a
   community committee; that committee's mediator accepts, schedules a session, records it, reaches an
   agreement and applies for judicial confirmation; the court's handler confirms it;
2. a grid worker registers a dispute (a tap on the map, two parties); the community's mediator takes it to an
   agreement, applies for confirmation choosing the court, and the court confirms.

Every staff step uses the dispute page's action forms (one `form[data-action=<action>]` per allowed action,
inputs named as do_act's parameters). Runs Debian's /usr/bin/chromium (never `playwright install`).
Screenshots go to /tmp/wangge-mediation-*.png.
"""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.mediation.models import Confirmation, Dispute, ReferralOutcome, SessionState, Source, State
from wangge.mediation.testing import build_mediation
from wangge.testing import build_world
from wangge.testing_browser import LAPTOP, PHONE, SHOTS, click_menu, log_in, new_page, submit_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    return world, build_mediation(world)


def _act(page, base, dispute, action, **inputs):
    """Submit the dispute page's form for `action` (the action-form contract), filling `inputs` by name."""
    page.goto(f"{base}/mediation/{dispute.pk}/")
    form = page.locator(f"form[data-action='{action}']")
    assert form.count() == 1, f"no form for {action!r} on the dispute page: {page.inner_text('#dispute-page')[:500]}"
    assert form.get_attribute("action") == f"/mediation/{dispute.pk}/act/{action}/"
    assert form.locator("input[name=version]").count() == 1
    submit_form(page, form, inputs)
    assert page.url == f"{base}/mediation/{dispute.pk}/", page.url
    assert page.locator("#act-error").count() == 0, page.inner_text("#act-error")
    dispute.refresh_from_db()
    return dispute


def _mediate_to_confirmation(page, base, dispute, court=None):
    """The mediator's part: accept, a session scheduled and recorded, the agreement, judicial confirmation."""
    dispute = _act(page, base, dispute, "accept")
    assert dispute.state == State.ACCEPTED
    starts = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    dispute = _act(page, base, dispute, "schedule_session", starts_at=starts, place="社区调解室")
    assert dispute.state == State.MEDIATING
    assert "待召开" in page.inner_text("#sessions")
    dispute = _act(page, base, dispute, "record_session", record="双方陈述意见，同意协商解决")
    assert dispute.sessions.get().state == SessionState.HELD
    dispute = _act(page, base, dispute, "agree", terms="被申请人于十日内支付申请人人民币5000元", amount="5000")
    assert dispute.state == State.AGREED
    dispute = _act(page, base, dispute, "apply_confirmation", **({"court": court.pk} if court else {}))
    assert "已申请" in page.inner_text("#confirmation")
    return dispute


def _confirm(page, base, dispute):
    dispute = _act(page, base, dispute, "confirm", note="协议合法有效，裁定确认")
    text = page.inner_text("#dispute-page")
    assert "已司法确认" in text and "调解成功" in text and "被申请人于十日内支付申请人人民币5000元" in text
    return dispute


def test_a_court_referral_is_routed_mediated_and_confirmed(district, live_server, browser, tmp_path):
    (world, m), base = district, live_server.url
    letter = tmp_path / "移送函.pdf"
    letter.write_bytes(b"%PDF-1.4 synthetic referral letter")

    # --- the court's handler refers the case with its letter
    court = new_page(browser, LAPTOP)
    log_in(court, base, m.court_handler.username)
    court.goto(base + "/mediation/referrals/new/")
    court.fill("input[name=letter_number]", "（2026）川0107诉前调12号")
    court.fill("input[name=court_case_number]", "（2026）川0107民初88号")
    court.set_input_files("input[name=letter]", str(letter))
    court.fill("input[name=title]", "商品房买卖合同纠纷")
    court.select_option("select[name=type]", "consumer")
    court.select_option("select[name=grid]", world.grids[0].code)
    court.fill("input[name='party-0-name']", "某商贸公司")
    court.select_option("select[name='party-0-kind']", "organisation")
    court.fill("input[name='party-1-name']", "丙某")
    court.fill("input[name='party-1-phone']", "13912345678")
    with court.expect_navigation():
        court.click("#referral-submit")
    assert re.search(r"/mediation/\d+/$", court.url), court.url
    dispute = Dispute.objects.get(title="商品房买卖合同纠纷")
    assert dispute.source == Source.COURT and dispute.committee == m.committees["office"]
    assert "待多调办分流" in court.inner_text("#referral")
    assert "13912345678" not in court.content() and "139****5678" in court.inner_text("#parties")

    # --- the district's operator (多调办) routes it to community 0's committee
    operator = new_page(browser, LAPTOP)
    log_in(operator, base, "district_op")
    target = m.committee_of(world.communities[0])
    dispute = _act(operator, base, dispute, "route", committee=target.pk, note="属社区调解范围")
    assert dispute.committee == target and dispute.referral.routed_at is not None

    # --- the committee's mediator mediates to an agreement and applies for confirmation at the referring court
    mediator = new_page(browser, LAPTOP)
    log_in(mediator, base, "mediator_1")
    dispute = _mediate_to_confirmation(mediator, base, dispute)
    mediator.screenshot(path=f"{SHOTS}/wangge-mediation-agreed.png", full_page=True)

    # --- the court confirms; its referral list shows the outcome
    dispute = _confirm(court, base, dispute)
    court.goto(base + "/mediation/referrals/")
    row = court.locator(f"tr[data-dispute='{dispute.pk}']")
    assert "调解成功" in row.inner_text() and "已司法确认" in row.inner_text()
    court.screenshot(path=f"{SHOTS}/wangge-mediation-referrals.png", full_page=True)

    dispute.refresh_from_db()
    assert dispute.state == State.AGREED and dispute.mediator == m.mediators["mediator_1"]
    assert dispute.agreement.confirmation == Confirmation.CONFIRMED
    assert dispute.agreement.confirmation_court == m.court
    assert dispute.referral.outcome == ReferralOutcome.SETTLED
    assert [e.action for e in dispute.events.all()] == [
        "register", "route", "accept", "schedule_session", "record_session", "agree", "apply_confirmation",
        "confirm"]
    for page in (court, operator, mediator):
        assert page.errors == [], page.errors
        assert page.outside == [], page.outside  # nothing from a CDN


def _tap_map_at(page, lng, lat):
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.locator("#pick-map").scroll_into_view_if_needed()
    x, y = page.evaluate("([lng, lat]) => window.wanggeDisputeMap.pixelOf(lng, lat)",
                         [lng, lat])
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_a_grid_workers_dispute_is_mediated_and_confirmed(district, live_server, browser):
    (world, m), base = district, live_server.url
    lng, lat = world.grid_center(world.grids[0])

    # --- the grid worker registers it from the ledger's 新登记, on a phone
    worker = new_page(browser, PHONE)
    log_in(worker, base, "gridder")
    click_menu(worker, "#nav-mediation")
    worker.wait_for_url(base + "/mediation/")
    with worker.expect_navigation():
        worker.click("#new-dispute")
    worker.fill("input[name=title]", "楼上漏水损坏天花板")
    worker.select_option("select[name=type]", "neighbour")
    worker.fill("textarea[name=summary]", "楼上卫生间漏水，楼下天花板受损")
    _tap_map_at(worker, lng, lat)
    tapped = (float(worker.input_value("input[name=lng]")), float(worker.input_value("input[name=lat]")))
    assert tapped == pytest.approx((lng, lat), abs=0.001)
    worker.fill("input[name=amount]", "5000")
    worker.fill("input[name='party-0-name']", "甲某")
    worker.fill("input[name='party-0-phone']", "13800001234")
    worker.fill("input[name='party-1-name']", "乙某")
    worker.click("#add-party")
    worker.fill("input[name='party-2-name']", "物业公司")
    worker.select_option("select[name='party-2-role']", "third")
    worker.select_option("select[name='party-2-kind']", "organisation")
    worker.screenshot(path=f"{SHOTS}/wangge-mediation-register-phone.png", full_page=True)
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with worker.expect_navigation():
        worker.click("#register-submit")
    assert re.search(r"/mediation/\d+/$", worker.url), worker.url
    dispute = Dispute.objects.get(title="楼上漏水损坏天花板")
    assert dispute.grid == world.grids[0] and dispute.committee == m.committee_of(world.communities[0])
    assert list(dispute.parties.order_by("id").values_list("name", "role", "kind")) == [
        ("甲某", "applicant", "person"), ("乙某", "respondent", "person"), ("物业公司", "third", "organisation")]
    assert "已登记" in worker.inner_text("#dispute-state")

    # --- the community's mediator takes it to an agreement and applies to the court
    mediator = new_page(browser, LAPTOP)
    log_in(mediator, base, "mediator_1")
    mediator.goto(base + "/mediation/")
    assert dispute.number in mediator.inner_text("#dispute-list")
    dispute = _mediate_to_confirmation(mediator, base, dispute, court=m.court)

    # --- the court's handler sees it now and confirms
    court = new_page(browser, LAPTOP)
    log_in(court, base, m.court_handler.username)
    court.goto(base + "/mediation/")
    assert dispute.number in court.inner_text("#dispute-list")
    dispute = _confirm(court, base, dispute)
    court.screenshot(path=f"{SHOTS}/wangge-mediation-confirmed.png", full_page=True)

    dispute.refresh_from_db()
    assert dispute.state == State.AGREED and dispute.source == Source.GRID
    assert dispute.agreement.confirmation == Confirmation.CONFIRMED and dispute.agreement.amount == 5000
    assert dispute.closed_at is not None and not hasattr(dispute, "referral")
    assert [e.action for e in dispute.events.all()] == [
        "register", "accept", "schedule_session", "record_session", "agree", "apply_confirmation", "confirm"]
    for page in (worker, mediator, court):
        assert page.errors == [], page.errors
        assert page.outside == [], page.outside
