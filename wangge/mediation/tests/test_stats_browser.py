"""Headless chromium: the 矛盾纠纷统计 page draws its three ECharts charts from local files with no script error
and nothing fetched from outside, at desktop and phone width; the filters change the grouping; the Excel link
downloads; the ranking page draws its chart.

Runs Debian's /usr/bin/chromium. Screenshots go to /tmp/wangge-dispute-stats*.png for a person to look at.
"""
import os
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.mediation.models import Agreement, Committee, Dispute, Mediator, State
from wangge.testing import build_world
from wangge.testing_browser import DESK, PHONE_TALL, SHOTS, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shown(transactional_db):
    """Twelve disputes accepted in June 2025 across the grids, two of three agreed, two mediators."""
    world = build_world()
    start = timezone.make_aware(datetime(2025, 6, 2, 10))
    committees, mediators = {}, {}
    for community in world.communities:
        committees[community.pk] = Committee.objects.create(name=f"{community.name}人民调解委员会",
                                                            level="community", region=community)
        mediators[community.pk] = Mediator.objects.create(name=f"{community.name[-3:]}调解员", region=community)
    for i in range(12):
        grid = world.grids[i % len(world.grids)]
        reported = start + timedelta(days=i * 2)
        agreed = i % 3 != 0
        dispute = Dispute.objects.create(
            number=f"TJBR{i:04d}", title=f"浏览器纠纷{i}", type=("neighbour", "labour")[i % 2], source="grid",
            level="community", state=State.AGREED if agreed else State.FAILED, region=grid, grid=grid,
            committee=committees[grid.parent_id], mediator=mediators[grid.parent_id], parties_count=2,
            reported_at=reported, accepted_at=reported, closed_at=reported + timedelta(days=3))
        if agreed:
            Agreement.objects.create(dispute=dispute, terms="协议", amount=Decimal("2500.00"),
                                     signed_at=dispute.closed_at)
    return world


def test_operator_reads_the_dispute_measures(shown, live_server, browser):
    base = live_server.url
    page = new_page(browser, DESK, accept_downloads=True)
    log_in(page, base, shown.users[Role.DISTRICT_OPERATOR].username)

    page.goto(base + "/mediation/stats/?from=2025-06-01&to=2025-06-30")
    assert page.inner_text("[data-count=mediated]").startswith("12")
    assert page.inner_text("[data-rate=mediation_success_rate]").startswith("66.67%")
    assert "协议金额 2.00 万元" in page.inner_text("#stats-summary")
    for chart in ("#chart-trend", "#chart-bars", "#chart-pie"):
        page.wait_for_selector(f"{chart} canvas")
    assert page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-bars'))"
                         ".getOption().xAxis[0].data") == [s.name for s in shown.streets]
    page.screenshot(path=os.path.join(SHOTS, "wangge-dispute-stats.png"), full_page=True)

    page.select_option("#f-group", "type")
    page.click("#stats-filters button[type=submit]")
    page.wait_for_url("**group_by=type**")
    rows = page.locator("#stats-table tbody tr")
    assert rows.count() == 3  # neighbour, labour and the total
    assert "邻里纠纷" in rows.nth(0).inner_text() and "劳动争议" in rows.nth(1).inner_text()

    with page.expect_download() as download:
        page.click("#stats-export")
    assert download.value.suggested_filename == "dispute-measures-2025-06-01-2025-06-30.xlsx"

    page.goto(base + "/mediation/stats/mediators/?year=2025&min_cases=1")
    page.wait_for_selector("#chart-ranking canvas")
    assert page.locator("#ranking-table tbody tr").count() == 4
    assert not page.errors, page.errors
    assert not page.outside, page.outside
    page.context.close()


def test_the_page_fits_a_phone(shown, live_server, browser):
    base = live_server.url
    page = new_page(browser, PHONE_TALL, is_mobile=True)
    log_in(page, base, shown.users[Role.STREET_OPERATOR].username)
    page.goto(base + "/mediation/stats/?from=2025-06-01&to=2025-06-30")
    page.wait_for_selector("#chart-pie canvas")
    assert page.inner_text("[data-count=mediated]").startswith("8")  # street 0: grids 0–3 hold 8 of the 12
    # nothing but the table (which scrolls in its own box) is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=os.path.join(SHOTS, "wangge-dispute-stats-phone.png"), full_page=True)
    assert not page.errors, page.errors
    page.context.close()
