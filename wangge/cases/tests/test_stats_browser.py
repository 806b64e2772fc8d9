"""Headless chromium: the 统计考核 page draws its three ECharts charts from local files, with no script
error and nothing fetched from outside; the filters change the grouping; the Excel link downloads.

Runs Debian's /usr/bin/chromium. A screenshot goes to /tmp/wangge-case-stats.png for a person to look at.
"""
import os
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from wangge.cases.models import Case, Category, MajorCategory, State
from wangge.core.roles import Role
from wangge.testing import build_world
from wangge.testing_browser import DESK, SHOTS, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shown(transactional_db):
    # A transactional test empties the tables afterwards, the default catalogue included: make our own.
    world = build_world()
    majors = [MajorCategory.objects.get_or_create(code=c, defaults={"name": n})[0]
              for c, n in (("01", "市容环境"), ("11", "矛盾纠纷"))]
    categories = [Category.objects.get_or_create(major=m, code="001", defaults={"name": f"{m.name}小类"})[0]
                  for m in majors]
    start = timezone.make_aware(datetime(2025, 6, 2, 10))
    for i in range(12):
        grid = world.grids[i % len(world.grids)]
        reported = start + timedelta(days=i * 2)
        closed = i % 3 != 0
        Case.objects.create(number=f"BR{i:04d}", tracking_code=f"BR{i:08d}", channel="grid_worker",
                            category=categories[i % 2], title=f"浏览器测试{i}", grid=grid, owner_region=grid,
                            reported_at=reported, state=State.CLOSED if closed else State.DISPATCHED,
                            registered_at=reported, dispatched_at=reported,
                            closed_at=reported + timedelta(days=1) if closed else None, on_time=closed or None,
                            handle_by=reported + timedelta(days=3), assignee_department=world.department)
    return world


def test_operator_reads_the_measures_page(shown, live_server, browser):
    base = live_server.url
    page = new_page(browser, DESK, accept_downloads=True)
    log_in(page, base, shown.users[Role.DISTRICT_OPERATOR].username)

    page.goto(base + "/cases/stats/?from=2025-06-01&to=2025-06-30")
    assert page.inner_text("[data-count=received]") == "12"
    for chart in ("#chart-trend", "#chart-bars", "#chart-pie"):
        page.wait_for_selector(f"{chart} canvas")
    assert page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-bars'))"
                         ".getOption().xAxis[0].data") == [s.name for s in shown.streets]
    page.screenshot(path=os.path.join(SHOTS, "wangge-case-stats.png"), full_page=True)

    page.select_option("#f-group", "category")
    page.click("#stats-filters button[type=submit]")
    page.wait_for_url("**group_by=category**")
    rows = page.locator("#stats-table tbody tr")
    assert rows.count() == 3  # two categories and the total
    assert "01001" in rows.nth(0).inner_text() and "11001" in rows.nth(1).inner_text()

    with page.expect_download() as download:
        page.click("#stats-export")
    assert download.value.suggested_filename == "case-measures-2025-06-01-2025-06-30.xlsx"
    assert not page.errors, page.errors
    assert not page.outside, page.outside
    page.context.close()
