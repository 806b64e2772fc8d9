"""The 研判 report: its figures from the measures engine, the .docx holding them, archived and downloadable in the
area it covers; bad periods refused with nothing kept; the worker's monthly run."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.conf import settings
from django.utils import timezone, translation

from wangge.cases.testing import case_in, report
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.insight import poller, services
from wangge.insight import report as report_module
from wangge.insight.models import Report
from wangge.insight.tests.testing import raise_hotspot

pytestmark = pytest.mark.django_db
OP = Role.DISTRICT_OPERATOR


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _docx(row):
    from docx import Document

    with row.file.open("rb") as handle:
        return Document(BytesIO(handle.read()))


def _table_row(document, label):
    for row in document.tables[0].rows:
        if row.cells[0].text == label:
            return [cell.text for cell in row.cells[1:]]
    raise AssertionError(f"no row {label}")


def test_a_report_holds_the_measures_the_hot_spots_and_what_was_done(world):
    op = world.users[OP]
    street = world.streets[0]
    case_in(world, "closed")
    report(world)
    report(world)
    warning = raise_hotspot(world.grids[0], neighbour=world.grids[1])
    warning = services.do_act(op, warning, "acknowledge", expected_version=1, note="已转街道研判")
    services.do_act(op, warning, "comment", expected_version=warning.version, note="城管夜间巡查已安排")
    today = timezone.localdate()
    made = services.do_make_report(op, street, today - timedelta(days=6), today, now=timezone.now() + timedelta(days=2))
    figures = made.figures
    measures = figures["measures"]
    assert (measures["received"]["now"], measures["closed"]["now"]) == (3, 1)
    assert measures["received"]["before"] == 0 and measures["received"]["change"] == 3
    assert figures["hotspots"][0]["number"] == warning.number and figures["hotspots"][0]["z"] == 4.2
    steps = figures["warnings"][0]["steps"]
    assert any("城管夜间巡查已安排" in step for step in steps)
    document = _docx(made)
    with translation.override(settings.LANGUAGE_CODE):
        labels = report_module.measure_labels()
    assert _table_row(document, str(labels["received"])) == ["3", "0", "+3"]
    assert _table_row(document, str(labels["closed"])) == ["1", "0", "+1"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert warning.number in text and "城管夜间巡查已安排" in text and street.name in text
    assert AuditEntry.objects.filter(operation="insight.report", object_id=str(made.pk)).exists()


def test_the_rates_come_from_the_measures_engine(world):
    from wangge.cases.measures import CASES

    op = world.users[OP]
    for _ in range(2):
        case_in(world, "closed")
    today = timezone.localdate()
    later = timezone.now() + timedelta(days=30)
    made = services.do_make_report(op, world.district, today - timedelta(days=3), today, now=later)
    query = CASES.parse(op, {"region": world.district.code, "from": (today - timedelta(days=3)).isoformat(),
                             "to": today.isoformat(), "group_by": "major"})
    engine = CASES.stats(op, query, now=later)["total"]["measures"]
    assert made.figures["measures"]["close_rate"]["now"] == engine["close_rate"]["rate"]
    assert made.figures["measures"]["on_time_rate"]["now"] == engine["on_time_rate"]["rate"]


def test_reports_are_downloaded_within_their_area(world, client):
    start, end = report_module.previous_month(timezone.localdate())
    own = services.do_make_report(None, world.streets[0], start, end, kind="monthly")
    other = services.do_make_report(None, world.streets[1], start, end, kind="monthly")
    mine = services.do_make_report(world.users[Role.COMMUNITY_OPERATOR], world.communities[0], start, end)
    client.force_login(world.users[Role.STREET_OPERATOR])
    answer = client.get(f"/insight/reports/{own.pk}/file/")
    assert answer.status_code == 200 and answer["Content-Type"] == report_module.CONTENT_TYPE
    assert answer.content[:2] == b"PK"  # a .docx is a zip
    assert client.get(f"/insight/reports/{mine.pk}/file/").status_code == 200  # their community's
    assert client.get(f"/insight/reports/{other.pk}/file/").status_code == 404
    listed = {r["id"] for r in client.get("/api/v1/insight/reports").json()["items"]}
    assert listed == {own.pk, mine.pk}
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    assert client.get(f"/insight/reports/{own.pk}/file/").status_code == 404  # the street's is above them
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(f"/insight/reports/{own.pk}/file/").status_code == 403


def test_bad_periods_and_areas_are_refused_and_nothing_is_kept(world, client, media):
    op = world.users[OP]
    today = timezone.localdate()
    for start, end, field in ((today - timedelta(days=3), today - timedelta(days=10), "to"),
                              (today - timedelta(days=400), today - timedelta(days=1), "from"),
                              (today - timedelta(days=3), today, "to"),
                              (date(1, 1, 1), date(1, 1, 5), "from")):
        with pytest.raises(OperationError) as refused:
            services.do_make_report(op, world.streets[0], start, end)
        assert refused.value.field == field
    with pytest.raises(OperationError) as refused:
        services.do_make_report(op, world.grids[0], today - timedelta(days=3), today - timedelta(days=1))
    assert refused.value.field == "region"
    with pytest.raises(OperationError) as refused:
        services.do_make_report(world.users[Role.STREET_OPERATOR], world.streets[1], today - timedelta(days=3),
                                today - timedelta(days=1))
    assert refused.value.reason == "area"
    client.force_login(op)
    answer = client.post("/api/v1/insight/reports", {"area": world.streets[0].code, "from": "2026-05-01",
                                                     "to": "2026-04-01"}, content_type="application/json")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "to"
    answer = client.post("/api/v1/insight/reports", {"area": "", "from": "2026-05-01", "to": "2026-05-31"},
                         content_type="application/json")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "area"
    page = client.post("/insight/reports/", {"area": world.streets[0].code, "from": "2026-05-01", "to": "bad"})
    assert page.status_code == 422 and b'data-field="to"' in page.content
    assert Report.objects.count() == 0 and not any(media.rglob("*.docx"))


def test_an_operator_makes_one_on_the_page(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    start, end = report_module.previous_month(timezone.localdate())
    answer = client.post("/insight/reports/", {"area": world.streets[0].code, "from": start.isoformat(),
                                               "to": end.isoformat()})
    assert answer.status_code == 302
    made = Report.objects.get()
    assert (made.region, made.kind, made.created_by) == (world.streets[0], "on_demand",
                                                         world.users[Role.STREET_OPERATOR])
    listed = client.get("/insight/reports/")
    assert f'id="report-{made.pk}"'.encode() in listed.content


def test_the_worker_makes_last_month_s_reports_once_on_the_first_working_day(world):
    from datetime import datetime

    from wangge.core.workdays import local_zone

    assert poller.first_workday_of_month(date(2026, 12, 1))  # a Tuesday
    assert not poller.first_workday_of_month(date(2026, 12, 2))
    assert poller.first_workday_of_month(date(2026, 11, 2))  # 1 November 2026 is a Sunday
    now = datetime(2026, 12, 1, 9, tzinfo=local_zone())
    counts = poller.poll(now)
    assert counts["reports_made"] == 3  # the district and its two streets
    assert set(Report.objects.values_list("period_start", "period_end").distinct()) == {
        (date(2026, 11, 1), date(2026, 11, 30))}
    assert "reports_made" not in poller.poll(now + timedelta(hours=2))
