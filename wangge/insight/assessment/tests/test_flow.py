"""The assessment's operations end to end on the hand-built ledger: compute, publish, appeal and exclusion (accept →
recompute, reject, out of time, someone else's score), spot checks with evidence, finalise and freeze, the allowance
and the payroll sheet, the report. Each refusal: the status AND nothing changed."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import NotAllowed, NotInArea, OperationError
from wangge.insight.assessment import services
from wangge.insight.assessment.models import Appeal, Period, PeriodState, Score, SpotCheck
from wangge.insight.assessment.tests.ledger import NOW, at, build_ledger, scheme

pytestmark = pytest.mark.django_db

# Points equal to the percentage (0 below 10 %): 50 % → 50 points, 100 % → 100.
LINEAR = [{"from": None, "to": 10, "points": 0}] + [
    {"from": p, "to": p + 10, "points": p} for p in range(10, 100, 10)] + [{"from": 100, "to": None, "points": 100}]
WORKER_RULES = [
    {"code": "valid_report_rate", "weight": 50, "bands": LINEAR},  # gridder: 2 of 4 → 50 %
    {"code": "satisfaction_rate", "weight": 30, "bands": LINEAR},  # gridder: 1 of 2 → 50 %
    {"code": "spot_check", "weight": 20, "bands": []},
]


def photo(name="evidence.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def june(world):
    ledger = build_ledger(world)
    worker_scheme = scheme(world, "grid_worker", WORKER_RULES)
    op = world.users[Role.DISTRICT_OPERATOR]
    period = services.do_open_period(op, worker_scheme, "2025-06-15", now=NOW)
    return ledger, period


def _score(period, user):
    return Score.objects.get(period=period, user=user)


def test_a_month_is_computed_ranked_and_rated(world, june):
    _ledger, period = june
    gridder, other = world.users[Role.GRID_WORKER], world.outsiders[Role.GRID_WORKER]
    mine = _score(period, gridder)
    # valid 50 % → 50 × 50 %, satisfaction 50 % → 30 × 50 %; no spot check: its 20 do not count → 40 / 80 = 50.
    assert mine.total == Decimal("50.00")
    assert mine.rating == "D"
    assert mine.allowance == Decimal("300.00")  # D under the by-rating rule
    assert mine.indicators["spot_check"]["applies"] is False
    theirs = _score(period, other)  # F: 1 valid report of 1 → 100 %; nothing rated
    assert theirs.total == Decimal("100.00") and theirs.rating == "A" and theirs.rank == 1
    assert mine.rank == 2
    assert AuditEntry.objects.filter(operation="assessment.open_period").count() == 1


def test_a_spot_check_with_evidence_recomputes_the_score(world, june, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _ledger, period = june
    op, gridder = world.users[Role.DISTRICT_OPERATOR], world.users[Role.GRID_WORKER]
    key = f"u{gridder.pk}"
    check = services.do_spot_check(op, period, key, score="90", note="台账齐全", files=[photo()], now=NOW)
    assert check.evidence.count() == 1
    # 50 × 50 % + 30 × 50 % + 20 × 90 % = 58 of 100.
    assert _score(period, gridder).total == Decimal("58.00")


@pytest.mark.parametrize("change, field", [
    ({"score": "101"}, "score"), ({"files": []}, "evidence"),
    ({"files": [SimpleUploadedFile("x.jpg", b"not an image")]}, "evidence"), ({"note": ""}, "note"),
    ({"target": "u999999"}, "target")])
def test_a_bad_spot_check_changes_nothing(world, june, change, field):
    _ledger, period = june
    op, gridder = world.users[Role.DISTRICT_OPERATOR], world.users[Role.GRID_WORKER]
    args = {"target": f"u{gridder.pk}", "score": "80", "note": "检查", "files": [photo()], **change}
    before = _score(period, gridder).total
    with pytest.raises(OperationError) as refused:
        services.do_spot_check(op, period, args.pop("target"), now=NOW, **args)
    assert refused.value.field == field or field in getattr(refused.value, "errors", {})
    assert not SpotCheck.objects.exists()
    assert _score(period, gridder).total == before


def _publish(world, period, when=None):
    return services.do_publish(world.users[Role.DISTRICT_OPERATOR], period, now=when or NOW)


def test_an_accepted_exclusion_recomputes_only_that_score(world, june):
    ledger, period = june
    gridder, op = world.users[Role.GRID_WORKER], world.users[Role.DISTRICT_OPERATOR]
    period = _publish(world, period)
    mine = _score(period, gridder)
    b = ledger["cases"]["B"]  # unsatisfied: left out, satisfaction becomes 1 of 1
    appeal = services.do_submit_appeal(gridder, mine, kind="exclusion", reason="群众误评，非本人原因",
                                       records=[{"kind": "case", "id": b.pk}], now=NOW + timedelta(hours=1))
    assert appeal.state == "submitted" and appeal.total_before == Decimal("50.00")
    with pytest.raises(OperationError):  # the one who appealed may not decide it (and a grid worker never does)
        services.do_act(gridder, appeal, "accept", expected_version=appeal.version)
    appeal = services.do_act(op, appeal, "accept", expected_version=appeal.version, decision="属实")
    # B leaves every indicator of the score: valid 1 of 3 (33.33 % → 30 points) → 15; satisfaction 1 of 1 → 30:
    # 45 of 80 = 56.25.
    assert appeal.state == "accepted" and appeal.total_after == Decimal("56.25")
    mine.refresh_from_db()
    assert mine.total == Decimal("56.25") and mine.rating == "D"
    assert mine.indicators["satisfaction_rate"]["denominator"] == 1
    assert mine.indicators["valid_report_rate"]["denominator"] == 3
    assert [e.action for e in appeal.events.order_by("at", "id")] == ["submit", "accept"]
    assert _score(period, world.outsiders[Role.GRID_WORKER]).total == Decimal("100.00")
    # Recomputing the whole period keeps the exclusion.
    services.do_compute(op, period)
    assert _score(period, gridder).total == Decimal("56.25")
    assert services.drill_down(_score(period, gridder), "satisfaction_rate") == [("case", ledger["cases"]["A"].pk,
                                                                                 True)]


def test_a_rejected_appeal_changes_no_score(world, june):
    _ledger, period = june
    gridder, op = world.users[Role.GRID_WORKER], world.users[Role.DISTRICT_OPERATOR]
    period = _publish(world, period)
    mine = _score(period, gridder)
    appeal = services.do_submit_appeal(gridder, mine, reason="请复核", now=NOW)
    with pytest.raises(OperationError) as refused:  # a rejection needs its reason
        services.do_act(op, appeal, "reject", expected_version=appeal.version, decision="")
    assert refused.value.field == "decision"
    appeal = services.do_act(op, appeal, "reject", expected_version=appeal.version, decision="经核查无误")
    assert appeal.state == "rejected"
    assert _score(period, gridder).total == Decimal("50.00")


def test_appeals_out_of_time_on_someone_elses_score_or_unpublished_are_refused(world, june):
    ledger, period = june
    gridder, other = world.users[Role.GRID_WORKER], world.outsiders[Role.GRID_WORKER]
    mine = _score(period, gridder)
    with pytest.raises(NotInArea):  # not published yet: a draft is not shown to those assessed
        services.do_submit_appeal(gridder, mine, reason="复核", now=NOW)
    period = _publish(world, period)
    with pytest.raises(OperationError) as refused:  # five working days after publication, and more
        services.do_submit_appeal(gridder, mine, reason="复核", now=period.appeal_until + timedelta(minutes=1))
    assert refused.value.reason == "state"
    with pytest.raises(NotInArea):  # another grid worker's score: not theirs to see (404)
        services.do_submit_appeal(other, mine, reason="复核", now=NOW)
    with pytest.raises(NotAllowed):  # the street operator sees it but it is not theirs (403)
        services.do_submit_appeal(world.users[Role.STREET_OPERATOR], mine, reason="复核", now=NOW)
    with pytest.raises(OperationError) as refused:  # a record not behind the score
        services.do_submit_appeal(gridder, mine, kind="exclusion", reason="复核",
                                  records=[{"kind": "case", "id": ledger["cases"]["F"].pk}], now=NOW)
    assert refused.value.field == "records"
    with pytest.raises(OperationError) as refused:  # an exclusion names its records
        services.do_submit_appeal(gridder, mine, kind="exclusion", reason="复核", now=NOW)
    assert refused.value.field == "records"
    assert not Appeal.objects.exists()


def test_a_finalised_period_is_frozen(world, june, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _ledger, period = june
    gridder, op = world.users[Role.GRID_WORKER], world.users[Role.DISTRICT_OPERATOR]
    with pytest.raises(OperationError) as refused:  # publish first
        services.do_finalise(op, period)
    assert refused.value.reason == "state"
    period = _publish(world, period)
    appeal = services.do_submit_appeal(gridder, _score(period, gridder), reason="复核", now=NOW)
    with pytest.raises(OperationError) as refused:  # an appeal still waits
        services.do_finalise(op, period)
    assert refused.value.reason == "state"
    services.do_act(op, appeal, "reject", expected_version=appeal.version, decision="无误")
    period = services.do_finalise(op, period)
    assert period.state == PeriodState.FINALISED
    frozen = list(Score.objects.filter(period=period).values_list("pk", "total", "computed_at"))
    for attempt in (lambda: services.do_compute(op, period),
                    lambda: services.do_spot_check(op, period, f"u{gridder.pk}", score="90", note="x",
                                                   files=[photo()]),
                    lambda: services.do_submit_appeal(gridder, _score(period, gridder), reason="再议", now=NOW),
                    lambda: services.do_publish(op, period)):
        with pytest.raises(OperationError) as refused:
            attempt()
        assert refused.value.reason == "state"
    assert list(Score.objects.filter(period=period).values_list("pk", "total", "computed_at")) == frozen
    assert Appeal.objects.count() == 1 and not SpotCheck.objects.exists()
    assert Period.objects.get(pk=period.pk).state == PeriodState.FINALISED


def test_only_the_assessing_level_runs_a_period(world, june):
    _ledger, period = june
    with pytest.raises(NotAllowed):  # the street is assessed by the district's scheme, does not run it
        services.do_compute(world.users[Role.STREET_OPERATOR], period)
    with pytest.raises(NotAllowed):
        services.do_publish(world.users[Role.GRID_WORKER], period)
    assert Period.objects.get(pk=period.pk).state == PeriodState.DRAFT


def test_the_payroll_sheet_holds_each_allowance_and_the_total(world, june):
    from openpyxl import load_workbook

    _ledger, period = june
    op = world.users[Role.DISTRICT_OPERATOR]
    scores = list(Score.objects.filter(period=period).select_related("user__region").order_by("rank"))
    content = services.do_export_payroll(op, period, scores)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    body = rows[2:-1]
    assert [(r[0], r[3], r[4]) for r in body] == [("grid_worker_2", "A", 800.0), ("gridder", "D", 300.0)]
    assert rows[-1][4] == 1100.0
    assert AuditEntry.objects.filter(operation="assessment.export_payroll", object_id=str(period.pk)).exists()


def test_the_report_is_made_once_finalised(world, june):
    from docx import Document

    _ledger, period = june
    op = world.users[Role.DISTRICT_OPERATOR]
    scores = list(Score.objects.filter(period=period).order_by("rank"))
    with pytest.raises(OperationError):
        services.do_export_report(op, period, scores)
    period = services.do_finalise(op, _publish(world, period))
    document = Document(io.BytesIO(services.do_export_report(op, period, scores)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2025-06" in text and "考核结果通报" in text and "1,100.00" in text
    cells = [c.text for c in document.tables[0].rows[1].cells]
    assert cells[:4] == ["1", scores[0].label, "100.00", "A"]


def test_the_allowance_rule_linked_to_the_score(world):
    from wangge.insight.assessment.rules import allowance

    rule = {"kind": "linked", "base": 200, "linked": 600}
    assert allowance(rule, Decimal("68.75"), "C") == Decimal("612.50")
    assert allowance(rule, None, "") == Decimal("200.00")
    assert allowance({"kind": "by_rating", "amounts": {"A": 800, "B": 600, "C": 400, "D": 300, "E": 250}},
                     None, "") == Decimal("250.00")


def test_appeal_window_counts_working_days(world, june):
    """Published on Friday 2025-07-04 10:00: five working days from Monday end on Friday 2025-07-11 at 18:00."""
    _ledger, period = june
    period = _publish(world, period, at(7, 4, 10))
    assert period.appeal_until == at(7, 11, 18)


def test_the_years_best_grid_workers(world, monkeypatch):
    """Two finalised months: gridder 50 then 50, the other 100 then none (no report in May: no total). With at least
    two months to be ranked, only gridder is ranked; the other is listed, unranked."""
    from openpyxl import load_workbook

    from wangge.insight.assessment import reading

    build_ledger(world)
    monkeypatch.setattr(reading, "MIN_MONTHS", 2)
    op = world.users[Role.DISTRICT_OPERATOR]
    made = scheme(world, "grid_worker", WORKER_RULES)
    for day in ("2025-05-01", "2025-06-01"):
        period = services.do_open_period(op, made, day, now=NOW)
        services.do_finalise(op, services.do_publish(op, period, now=NOW), now=NOW)
    Score.objects.filter(period__start__month=5, user=world.users[Role.GRID_WORKER]).update(total=Decimal("70"))
    rows = reading.top_grid_workers(op, 2025)
    assert [(r["label"].split("（")[0], r["months"], r["mean"], r["rank"], r["top"]) for r in rows] == [
        ("grid_worker_2", 1, Decimal("100.00"), None, False), ("gridder", 2, Decimal("60.00"), 1, True)]
    assert reading.top_grid_workers(world.users[Role.GRID_WORKER], 2025)[0]["months"] == 2  # only their own
    assert len(reading.top_grid_workers(world.users[Role.GRID_WORKER], 2025)) == 1
    sheet = list(load_workbook(io.BytesIO(services.do_export_top_ten(op, 2025, rows))).active.iter_rows(
        values_only=True))
    assert sheet[3][:4] == (1, rows[1]["label"], 2, 60.0)
