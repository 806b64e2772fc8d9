"""Done-when on the demo district itself: the same two flows as test_browser_flow.py, but with the data and the
accounts `load_demo` makes (a small cut of it: 2 streets, about 20 grids), so the demo's committees, mediators
and court are known to carry a court referral and a grid worker's dispute to a confirmed agreement.

  dept_fy (the demo court) refers → district (多调办) routes → mediatorN of the community mediates → dept_fy confirms
  gridNNN… (a grid worker) registers on a phone → the same mediator mediates → dept_fy confirms
"""
import re

import pytest
from shapely.geometry import shape

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.demo import services as demo
from wangge.demo.generator import DEMO_PASSWORD, generate
from wangge.mediation.models import Committee, CommitteeKind, Confirmation, Dispute, Mediator, ReferralOutcome, State
from wangge.mediation.tests.test_browser_flow import _act, _confirm, _mediate_to_confirmation, _tap_map_at
from wangge.testing_browser import PHONE, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = 2023


@pytest.fixture
def demo_district(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test empties the tables afterwards, data-migration rows included: the catalogue back.
    from importlib import import_module

    from django.apps import apps

    import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)
    demo.load(generate(SEED, target_grids=20, streets=2), people=200, cases=0, disputes=40)
    mediator = (Mediator.objects.filter(user__isnull=False, region__level=RegionLevel.COMMUNITY)
                .select_related("user", "region").order_by("user__username").first())
    assert mediator is not None, "the demo has a community mediator with an account"
    community = mediator.region
    committee = Committee.objects.get(kind=CommitteeKind.PEOPLES, region=community)
    assert committee.memberships.filter(mediator=mediator).exists()
    grid = Region.objects.filter(level=RegionLevel.GRID, parent=community).order_by("code").first()
    worker = User.objects.filter(role=Role.GRID_WORKER, region=grid).order_by("username").first()
    court = User.objects.get(username="dept_fy")
    return {"mediator": mediator, "committee": committee, "grid": grid, "worker": worker, "court": court}


def _log_in(page, base, username):
    log_in(page, base, username, password=DEMO_PASSWORD)


def _inside(grid):
    point = shape(grid.polygon).representative_point()
    return point.x, point.y


def test_the_demo_takes_a_court_referral_to_a_confirmed_agreement(demo_district, live_server, browser, tmp_path):
    d, base = demo_district, live_server.url
    letter = tmp_path / "移送函.pdf"
    letter.write_bytes(b"%PDF-1.4 synthetic referral letter")

    court = new_page(browser)
    _log_in(court, base, "dept_fy")
    court.goto(base + "/mediation/referrals/new/")
    court.fill("input[name=letter_number]", "（2026）川0107诉前调99号")
    court.set_input_files("input[name=letter]", str(letter))
    court.fill("input[name=title]", "房屋租赁合同纠纷（演示）")
    court.select_option("select[name=type]", "housing_land")
    court.select_option("select[name=grid]", d["grid"].code)
    court.fill("input[name='party-0-name']", "出租人某")
    court.fill("input[name='party-1-name']", "承租人某")
    with court.expect_navigation():
        court.click("#referral-submit")
    assert re.search(r"/mediation/\d+/$", court.url), court.url
    dispute = Dispute.objects.get(title="房屋租赁合同纠纷（演示）")
    assert dispute.committee.kind == CommitteeKind.OFFICE

    operator = new_page(browser)
    _log_in(operator, base, "district")
    dispute = _act(operator, base, dispute, "route", committee=d["committee"].pk, note="属社区调解范围")
    assert dispute.committee == d["committee"]

    mediator = new_page(browser)
    _log_in(mediator, base, d["mediator"].user.username)
    dispute = _mediate_to_confirmation(mediator, base, dispute)
    dispute = _confirm(court, base, dispute)

    dispute.refresh_from_db()
    assert dispute.state == State.AGREED and dispute.mediator == d["mediator"]
    assert dispute.agreement.confirmation == Confirmation.CONFIRMED
    assert dispute.referral.outcome == ReferralOutcome.SETTLED
    for page in (court, operator, mediator):
        assert page.errors == [] and page.outside == [], (page.errors, page.outside)


def test_the_demo_takes_a_grid_workers_dispute_to_a_confirmed_agreement(demo_district, live_server, browser):
    d, base = demo_district, live_server.url
    worker = new_page(browser, PHONE)
    _log_in(worker, base, d["worker"].username)
    worker.goto(base + "/mediation/new/")
    worker.fill("input[name=title]", "噪音扰民纠纷（演示）")
    worker.select_option("select[name=type]", "neighbour")
    _tap_map_at(worker, *_inside(d["grid"]))
    worker.fill("input[name='party-0-name']", "甲某")
    worker.fill("input[name='party-1-name']", "乙某")
    with worker.expect_navigation():
        worker.click("#register-submit")
    assert re.search(r"/mediation/\d+/$", worker.url), worker.url
    dispute = Dispute.objects.get(title="噪音扰民纠纷（演示）")
    assert dispute.grid == d["grid"] and dispute.committee == d["committee"]

    mediator = new_page(browser)
    _log_in(mediator, base, d["mediator"].user.username)
    court_department = d["court"].department
    dispute = _mediate_to_confirmation(mediator, base, dispute, court=court_department)

    court = new_page(browser)
    _log_in(court, base, "dept_fy")
    dispute = _confirm(court, base, dispute)

    dispute.refresh_from_db()
    assert dispute.state == State.AGREED and dispute.agreement.confirmation == Confirmation.CONFIRMED
    assert dispute.agreement.confirmation_court == court_department
    for page in (worker, mediator, court):
        assert page.errors == [] and page.outside == [], (page.errors, page.outside)
