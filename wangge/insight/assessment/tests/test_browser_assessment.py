"""Headless chromium: the district operator computes June's assessment of the grid workers with the default scheme
and publishes it; the grid worker, on a phone, asks to leave a case out of their score; the operator accepts, the
score is recomputed; the period is finalised and the allowance sheet downloaded and read.

Runs Debian's /usr/bin/chromium. Screenshots go to /tmp/wangge-assessment-*.png.
"""
import io

import pytest

from wangge.core.roles import Role
from wangge.insight.assessment import services
from wangge.insight.assessment.models import Appeal, Period, PeriodState, Score
from wangge.testing_browser import DESK, SHOTS, click_menu, log_in, new_page, no_sideways_scroll
from wangge.testing_browser import PHONE_TALL as PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(catalogue_world):
    from wangge.insight.assessment.defaults import create_default_schemes
    from wangge.insight.assessment.tests.ledger import build_ledger

    world = catalogue_world
    ledger = build_ledger(world)
    schemes = {s.target_type: s for s in create_default_schemes(None, world.district)}
    return {"world": world, "ledger": ledger, "scheme": schemes["grid_worker"]}


def test_a_month_computed_appealed_recomputed_finalised_and_paid(scene, live_server, browser, tmp_path):
    from openpyxl import load_workbook

    base = live_server.url
    world, ledger = scene["world"], scene["ledger"]
    gridder = world.users[Role.GRID_WORKER]

    # The district operator computes June and publishes the ranking.
    desk = new_page(browser, DESK, accept_downloads=True)
    log_in(desk, base, "district_op")
    click_menu(desk, "#nav-assessment")
    desk.wait_for_selector("#open-period")
    desk.select_option("#period-scheme", str(scene["scheme"].pk))
    desk.fill("#period-start", "2025-06-01")
    with desk.expect_navigation():
        desk.click("#compute-period")
    period = Period.objects.get(scheme=scene["scheme"])
    assert desk.url.endswith(f"/insight/assessment/periods/{period.pk}/")
    assert desk.locator("#ranking tbody tr[data-score]").count() == 2
    with desk.expect_navigation():
        desk.click("#do-publish")
    assert desk.get_attribute("#period-page", "data-state") == "published"
    desk.screenshot(path=f"{SHOTS}/wangge-assessment-ranking-desk.png", full_page=True)

    # The grid worker, on a phone, sees only their own score and asks to leave case B out (an exclusion).
    phone = new_page(browser, PHONE)
    log_in(phone, base, "gridder")
    phone.goto(f"{base}/insight/assessment/periods/{period.pk}/")
    assert phone.locator("#ranking tbody tr[data-score]").count() == 1
    no_sideways_scroll(phone, PHONE)
    with phone.expect_navigation():
        phone.click("#ranking tbody tr[data-score] a")
    score = Score.objects.get(period=period, user=gridder)
    before = score.total
    with phone.expect_navigation():
        phone.click("[data-drill='satisfaction_rate']")
    assert phone.locator("#drill-down tbody tr[data-kind='case']").count() == 2
    b = ledger["cases"]["B"]
    phone.check("#appeal-form input[name=kind][value=exclusion]")
    phone.check(f"#appeal-form input[name=records][value='case:{b.pk}']")
    phone.fill("#appeal-reason", "该事件涉及产权单位，非网格原因未能按期办结")
    no_sideways_scroll(phone, PHONE)
    phone.screenshot(path=f"{SHOTS}/wangge-assessment-appeal-phone.png", full_page=True)
    with phone.expect_navigation():
        phone.click("#submit-appeal")
    appeal = Appeal.objects.get()
    assert appeal.submitted_by == gridder and appeal.records == [{"kind": "case", "id": b.pk}]
    assert phone.get_attribute("#appeal-page", "data-state") == "submitted"

    # The operator accepts it: the score is recomputed without case B.
    desk.goto(f"{base}/insight/assessment/appeals/")
    with desk.expect_navigation():
        desk.click(f"#appeal-list tr[data-appeal='{appeal.pk}'] a")
    desk.fill("#accept-decision", "情况属实，予以免责")
    with desk.expect_navigation():
        desk.click("#act-accept button[type=submit]")
    assert desk.get_attribute("#appeal-page", "data-state") == "accepted"
    score.refresh_from_db()
    appeal.refresh_from_db()
    assert appeal.total_after == score.total and score.total != before
    assert desk.inner_text("#total-after") == str(score.total)
    assert b.pk not in {pk for _k, pk, _c in services.drill_down(score, "satisfaction_rate")}

    # Finalised, then the allowance sheet is downloaded and read.
    desk.goto(f"{base}/insight/assessment/periods/{period.pk}/")
    with desk.expect_navigation():
        desk.click("#do-finalise")
    assert Period.objects.get(pk=period.pk).state == PeriodState.FINALISED
    assert desk.locator("#do-compute").count() == 0
    with desk.expect_navigation():
        desk.click("#allowances-link")
    with desk.expect_download() as download:
        desk.click("#payroll-xlsx")
    saved = tmp_path / "payroll.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(io.BytesIO(saved.read_bytes())).active.iter_rows(values_only=True))
    paid = {row[0]: row[4] for row in rows[2:-1]}
    assert paid[gridder.full_name or gridder.username] == float(score.allowance) >= 200
    assert rows[-1][4] == sum(paid.values())
    desk.screenshot(path=f"{SHOTS}/wangge-assessment-allowances-desk.png", full_page=True)
    assert desk.errors == [] and desk.outside == [] and phone.errors == [] and phone.outside == []
