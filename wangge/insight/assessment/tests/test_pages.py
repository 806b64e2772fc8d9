"""The assessment's API and pages: bad scheme input refused with nothing changed (API 422, page 400), what each level
sees of a ranking, the drill-down's links, appeals through the pages, the files opened inside the area."""
import io
import json

import pytest
from openpyxl import load_workbook

from wangge.core.roles import Role
from wangge.insight.assessment import services
from wangge.insight.assessment.models import Appeal, Period, Scheme, Score
from wangge.insight.assessment.tests.ledger import NOW, build_ledger, scheme

pytestmark = pytest.mark.django_db

FLAT = [{"from": None, "to": None, "points": 100}]
GOOD = [{"code": "on_time_rate", "weight": 60, "bands": FLAT}, {"code": "spot_check", "weight": 40, "bands": []}]
BY_RATING = {"kind": "by_rating", "amounts": {"A": 800, "B": 600, "C": 400, "D": 300, "E": 200}}


def _post(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _body(**change):
    return {"name": "网格员考核", "region": "510107", "target_type": "grid_worker", "indicators": GOOD,
            "allowance_rule": BY_RATING, **change}


@pytest.mark.parametrize("change, field", [
    ({"indicators": [{**GOOD[0], "weight": 50}, GOOD[1]]}, "weights"),
    ({"indicators": [{**GOOD[0], "bands": [{"from": 0, "to": 60, "points": 0}, {"from": 50, "to": None,
                                                                               "points": 100}]}, GOOD[1]]}, "bands"),
    ({"indicators": [{**GOOD[0], "bands": [{"from": 90, "to": 80, "points": 0}]}, GOOD[1]]}, "bands"),
    ({"indicators": [{**GOOD[0], "bands": [{"from": 0, "to": None, "points": 120}]}, GOOD[1]]}, "bands"),
    ({"indicators": [{"code": "dispatch_accuracy", "weight": 60, "bands": FLAT}, GOOD[1]]}, "indicators"),
    ({"allowance_rule": {"kind": "by_rating", "amounts": {**BY_RATING["amounts"], "E": 150}}}, "allowance_rule"),
    ({"allowance_rule": {"kind": "linked", "base": 100, "linked": 500}}, "allowance_rule"),
    ({"appeal_days": 99}, "appeal_days"),
])
def test_bad_scheme_input_is_refused_and_changes_nothing(world, client, change, field):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = _post(client, "/api/v1/assessment/schemes", _body(**change))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field
    assert not Scheme.objects.exists()
    made = _post(client, "/api/v1/assessment/schemes", _body())
    assert made.status_code == 201
    pk = made.json()["id"]
    edit = _post(client, f"/api/v1/assessment/schemes/{pk}", _body(**change), method="put")
    assert edit.status_code == 422
    kept = Scheme.objects.get(pk=pk)
    assert kept.indicators == made.json()["indicators"] and kept.version == 1 and kept.appeal_days == 5


def test_the_scheme_editor_page_refuses_bad_weights_and_overlaps(world, client):
    op = world.users[Role.DISTRICT_OPERATOR]
    client.force_login(op)
    made = scheme(world, "grid_worker", GOOD)
    url = f"/insight/assessment/schemes/{made.pk}/edit/"
    form = {"name": "改名", "version": made.version, "appeal_days": "5", "active": "1", "weight_on_time_rate": "50",
            "bands_on_time_rate": "-:100", "weight_spot_check": "40", "allowance_kind": "by_rating",
            **{f"allowance_{k}": v for k, v in BY_RATING["amounts"].items()}}
    response = client.post(url, form)
    assert response.status_code == 400
    assert 'data-error-for="weights"' in response.content.decode()
    response = client.post(url, {**form, "weight_on_time_rate": "60", "bands_on_time_rate": "0-60:0; 50-:100"})
    assert response.status_code == 400 and 'data-error-for="bands"' in response.content.decode()
    response = client.post(url, {**form, "weight_on_time_rate": "60", "bands_on_time_rate": "0-60:0; x"})
    assert response.status_code == 400
    made.refresh_from_db()
    assert made.name != "改名" and made.version == 1
    response = client.post(url, {**form, "weight_on_time_rate": "60", "bands_on_time_rate": "90-:100; -90:50"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.name == "改名" and made.indicators[0]["bands"] == [{"from": None, "to": 90.0, "points": 50.0},
                                                                {"from": 90.0, "to": None, "points": 100.0}]
    assert made.version == 2
    from wangge.core.models import AuditEntry

    edits = AuditEntry.objects.filter(operation="assessment.edit_scheme", object_id=str(made.pk))
    assert edits.count() == 1  # the refused attempts wrote nothing
    entry = edits.get()
    assert entry.actor == op and entry.details["before"]["indicators"][0]["weight"] == 60
    assert entry.details["after"]["name"] == "改名"


def test_the_assessed_cannot_edit_the_scheme_that_assesses_them(world, client):
    made = scheme(world, "community", GOOD)
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = _post(client, f"/api/v1/assessment/schemes/{made.pk}", _body(name="改", target_type="community"),
                     method="put")
    assert response.status_code == 403
    assert client.get(f"/insight/assessment/schemes/{made.pk}/edit/").status_code == 403
    assert Scheme.objects.get(pk=made.pk).version == 1


@pytest.fixture
def published(world):
    ledger = build_ledger(world)
    admin = world.users[Role.DISTRICT_OPERATOR]
    periods = {}
    for target_type in ("grid_worker", "community"):
        rules = [{"code": "on_time_rate", "weight": 60, "bands": FLAT}, {"code": "spot_check", "weight": 40,
                                                                          "bands": []}]
        made = scheme(world, target_type, rules)
        periods[target_type] = services.do_publish(admin, services.do_open_period(admin, made, "2025-06-01", now=NOW))
    return ledger, periods


def _listed(response):
    import re

    return {int(pk) for pk in re.findall(r'data-score="(\d+)"', response.content.decode())}


def test_a_street_sees_its_communities_and_a_grid_worker_only_themselves(world, client, published):
    _ledger, periods = published
    communities = periods["community"]
    client.force_login(world.users[Role.STREET_OPERATOR])
    listed = _listed(client.get(f"/insight/assessment/periods/{communities.pk}/"))
    mine = {s.pk for s in Score.objects.filter(period=communities, region__in=world.communities[:2])}
    assert listed == mine and len(mine) == 2
    other_street = Score.objects.get(period=communities, region=world.communities[2])
    assert client.get(f"/insight/assessment/scores/{other_street.pk}/").status_code == 404
    assert client.get(f"/api/v1/assessment/scores/{other_street.pk}").status_code == 404
    gridder = world.users[Role.GRID_WORKER]
    client.force_login(gridder)
    workers = periods["grid_worker"]
    assert _listed(client.get(f"/insight/assessment/periods/{workers.pk}/")) == {
        Score.objects.get(period=workers, user=gridder).pk}
    team_mate = Score.objects.get(period=workers, user=world.outsiders[Role.GRID_WORKER])
    assert client.get(f"/insight/assessment/scores/{team_mate.pk}/").status_code == 404


def test_a_draft_is_shown_only_to_the_assessing_level(world, client):
    build_ledger(world)
    made = scheme(world, "grid_worker", GOOD)
    draft = services.do_open_period(world.users[Role.DISTRICT_OPERATOR], made, "2025-06-01", now=NOW)
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(f"/insight/assessment/periods/{draft.pk}/").status_code == 404
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get(f"/insight/assessment/periods/{draft.pk}/").status_code == 200


def test_the_drill_down_links_each_record(world, client, published):
    ledger, periods = published
    gridder = world.users[Role.GRID_WORKER]
    client.force_login(gridder)
    score = Score.objects.get(period=periods["grid_worker"], user=gridder)
    page = client.get(f"/insight/assessment/scores/{score.pk}/?indicator=on_time_rate").content.decode()
    for key in "AB":
        assert f'href="/cases/{ledger["cases"][key].pk}/"' in page
    assert f'data-rank="{score.rank}"' in page and "（共2名）" in page  # their place among both, not the other row
    records = client.get(f"/api/v1/assessment/scores/{score.pk}/records?indicator=on_time_rate").json()
    assert {(r["number"], r["counted"]) for r in records} == {(ledger["cases"]["A"].number, True),
                                                              (ledger["cases"]["B"].number, False)}
    assert client.get(f"/api/v1/assessment/scores/{score.pk}/records?indicator=nope").status_code == 422


def test_an_appeal_through_the_pages(world, client, published):
    ledger, periods = published
    gridder, op = world.users[Role.GRID_WORKER], world.users[Role.DISTRICT_OPERATOR]
    score = Score.objects.get(period=periods["grid_worker"], user=gridder)
    client.force_login(gridder)
    b = ledger["cases"]["B"]
    refused = client.post(f"/insight/assessment/scores/{score.pk}/appeal/", {"kind": "exclusion", "reason": "",
                                                                            "records": [f"case:{b.pk}"]})
    assert refused.status_code == 400 and not Appeal.objects.exists()
    done = client.post(f"/insight/assessment/scores/{score.pk}/appeal/", {"kind": "exclusion", "reason": "产权纠纷",
                                                                         "records": [f"case:{b.pk}"]})
    appeal = Appeal.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/appeals/{appeal.pk}/")
    client.force_login(op)
    stale = client.post(f"/insight/assessment/appeals/{appeal.pk}/accept/", {"version": appeal.version + 5})
    assert stale.status_code == 409 and Appeal.objects.get().state == "submitted"
    accepted = client.post(f"/insight/assessment/appeals/{appeal.pk}/accept/", {"version": appeal.version,
                                                                                "decision": "属实"})
    assert accepted.status_code == 302
    score.refresh_from_db()
    assert score.indicators["on_time_rate"] == {**score.indicators["on_time_rate"], "numerator": 1, "denominator": 1}
    page = client.get(f"/insight/assessment/appeals/{appeal.pk}/").content.decode()
    assert 'data-action="submit"' in page and 'data-action="accept"' in page


def test_the_api_runs_a_period_and_refuses_once_frozen(world, client, published):
    _ledger, periods = published
    period = periods["community"]
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.post(f"/api/v1/assessment/periods/{period.pk}/actions/finalise").status_code == 200
    for action in ("compute", "publish", "finalise"):
        response = client.post(f"/api/v1/assessment/periods/{period.pk}/actions/{action}")
        assert response.status_code == 409, action
    assert client.post(f"/api/v1/assessment/periods/{period.pk}/actions/nope").status_code == 422
    assert Period.objects.get(pk=period.pk).state == "finalised"
    score = Score.objects.filter(period=period).first()
    response = client.post(f"/api/v1/assessment/periods/{period.pk}/spot-checks",
                           {"target": score.target_key, "score": "80", "note": "x"})
    assert response.status_code == 409


def test_the_files_open_inside_the_area(world, client, published):
    _ledger, periods = published
    period = periods["grid_worker"]
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = client.get(f"/insight/assessment/periods/{period.pk}/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    labels = {r[1] for r in rows[2:]}
    assert labels == {s.label for s in Score.objects.visible_to(world.users[Role.STREET_OPERATOR]).filter(
        period=period)}
    assert world.outsiders[Role.GRID_WORKER].username not in "".join(labels)
    payroll = client.get(f"/insight/assessment/periods/{period.pk}/allowances/?format=xlsx")
    assert payroll.status_code == 200 and payroll["Content-Type"].startswith("application/vnd.openxml")
    assert client.get(f"/api/v1/assessment/periods/{period.pk}/report.docx").status_code == 409  # not finalised
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get(f"/api/v1/assessment/periods/{period.pk}/payroll.xlsx").status_code == 403
    other_street = Score.objects.get(period=periods["community"], region=world.communities[2])
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert client.get(f"/insight/assessment/scores/{other_street.pk}/?format=xlsx").status_code == 404
    far = _setup_far(world)
    for url in (f"/insight/assessment/periods/{far.pk}/?format=xlsx",
                f"/insight/assessment/periods/{far.pk}/?format=docx",
                f"/insight/assessment/periods/{far.pk}/allowances/?format=xlsx"):
        assert client.get(url).status_code == 404, url


def test_the_menu_and_the_year_best(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    page = client.get("/insight/assessment/").content.decode()
    assert 'id="nav-assessment"' in page
    assert client.get("/api/v1/assessment/top-grid-workers?year=1999").status_code == 422
    client.force_login(world.users[Role.MEDIATOR])
    assert client.get("/insight/assessment/").status_code == 403


def _setup_far(world):
    """A published period of a second district's scheme: outside every user of the shared world."""
    from wangge.areas.models import Level
    from wangge.testing import make_region

    far = make_region("510108", "成华区", Level.DISTRICT, world.city)
    made = services.do_save_scheme(None, name="外区社区考核", region=far, target_type="community", indicators=GOOD)
    admin = world.users[Role.ADMINISTRATOR]
    return services.do_publish(admin, services.do_open_period(admin, made, "2025-06-01", now=NOW))


def test_every_kind_of_record_links_to_its_page(world, published):
    from django.urls import reverse

    from wangge.insight.assessment.reading import record_rows

    ledger, _periods = published
    op = world.users[Role.DISTRICT_OPERATOR]
    dispute, alert, person = ledger["disputes"][0], ledger["alerts"][0], ledger["people"][0]
    rows = record_rows(op, [("dispute", dispute.pk, True), ("alert", alert.pk, False), ("person", person.pk, True)])
    assert [r["url"] for r in rows] == [reverse("mediation:detail", args=[dispute.pk]),
                                        reverse("sensing:alert", args=[alert.pk]), reverse("person", args=[person.pk])]
    assert rows[0]["number"] == dispute.number and rows[1]["counted"] is False
    # Outside the reader's area a record is named by its id only, never its title or page.
    outside = record_rows(world.users[Role.COMMUNITY_OPERATOR], [("dispute", ledger["disputes"][2].pk, True)])
    assert outside[0]["url"] == "" and outside[0]["title"] == ""


def test_a_spot_check_through_its_page(world, client, published, settings, tmp_path):
    from wangge.insight.assessment.models import SpotCheck
    from wangge.insight.assessment.tests.test_flow import photo

    settings.MEDIA_ROOT = str(tmp_path)
    _ledger, periods = published
    period = periods["grid_worker"]
    gridder = world.users[Role.GRID_WORKER]
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    url = f"/insight/assessment/periods/{period.pk}/spot-check/"
    before = Score.objects.get(period=period, user=gridder).total
    refused = client.post(url, {"target": f"u{gridder.pk}", "score": "80", "note": "台账不全"})  # no photo
    assert refused.status_code == 400 and 'data-error-for="evidence"' in refused.content.decode()
    assert not SpotCheck.objects.exists() and Score.objects.get(period=period, user=gridder).total == before
    done = client.post(url, {"target": f"u{gridder.pk}", "score": "80", "note": "台账不全", "evidence": photo()})
    assert done.status_code == 302
    mine = Score.objects.get(period=period, user=gridder)
    assert mine.indicators["spot_check"]["points"] == 80.0 and mine.total != before
    client.force_login(world.users[Role.STREET_OPERATOR])  # assessed by the district: may not check
    assert client.get(url).status_code == 403


def test_who_hears_of_an_appeal(world, published, django_capture_on_commit_callbacks):
    from wangge.core.models import Notification

    _ledger, periods = published
    gridder, op = world.users[Role.GRID_WORKER], world.users[Role.DISTRICT_OPERATOR]
    score = Score.objects.get(period=periods["grid_worker"], user=gridder)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.do_submit_appeal(gridder, score, reason="请复核")
    assert Notification.objects.filter(recipient=op, kind="appeal_submitted").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.do_act(op, appeal, "reject", expected_version=appeal.version, decision="无误")
    note = Notification.objects.get(recipient=gridder, kind="appeal_decided")
    assert appeal.number in note.title and note.body == "无误"


def test_every_table_downloads(world, client, published):
    _ledger, periods = published
    gridder = world.users[Role.GRID_WORKER]
    services.do_submit_appeal(gridder, Score.objects.get(period=periods["grid_worker"], user=gridder), reason="复核")
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    period = periods["grid_worker"]
    for url, first in ((f"/insight/assessment/schemes/{period.scheme_id}/?format=xlsx", period.scheme.name),
                       ("/insight/assessment/appeals/?format=xlsx", None),
                       (f"/insight/assessment/periods/{period.pk}/spot-check/?format=xlsx", None),
                       ("/insight/assessment/?format=xlsx", None),
                       (f"/insight/assessment/scores/{Score.objects.filter(period=period).first().pk}/?format=xlsx",
                        None)):
        response = client.get(url)
        assert response.status_code == 200, url
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert rows, url
        if first:
            assert first in rows[0][0]
    appeals = list(load_workbook(io.BytesIO(client.get("/insight/assessment/appeals/?format=xlsx").content))
                   .active.iter_rows(values_only=True))
    assert appeals[1][0] == Appeal.objects.get().number


def test_a_community_appeals_its_own_score_and_the_district_decides(world, client, published):
    ledger, periods = published
    community_op, street_op = world.users[Role.COMMUNITY_OPERATOR], world.users[Role.STREET_OPERATOR]
    score = Score.objects.get(period=periods["community"], region=world.communities[0])
    with pytest.raises(services.NotAllowed):  # the street sees it, but it is the community's
        services.do_submit_appeal(street_op, score, reason="复核")
    appeal = services.do_submit_appeal(community_op, score, kind="exclusion", reason="产权单位原因",
                                       records=[{"kind": "case", "id": ledger["cases"]["B"].pk}])
    with pytest.raises(services.OperationError) as refused:  # the street is not the assessing level
        services.do_act(street_op, appeal, "accept", expected_version=appeal.version)
    assert refused.value.reason == "guard"
    appeal = services.do_act(world.users[Role.DISTRICT_OPERATOR], appeal, "accept", expected_version=appeal.version)
    score.refresh_from_db()
    assert score.indicators["on_time_rate"]["denominator"] == 1 and appeal.total_after == score.total


def test_evidence_photos_are_shown_only_to_those_who_see_the_score(world, client, published, settings, tmp_path):
    from wangge.insight.assessment.models import Evidence
    from wangge.insight.assessment.tests.test_flow import photo

    settings.MEDIA_ROOT = str(tmp_path)
    _ledger, periods = published
    period = periods["grid_worker"]
    gridder = world.users[Role.GRID_WORKER]
    services.do_spot_check(world.users[Role.DISTRICT_OPERATOR], period, f"u{gridder.pk}", score="70",
                           note="走访台账缺两户", files=[photo()])
    evidence = Evidence.objects.get()
    url = f"/insight/assessment/evidence/{evidence.pk}/"
    for user, status in ((gridder, 200), (world.users[Role.STREET_OPERATOR], 200),
                         (world.users[Role.DISTRICT_OPERATOR], 200), (world.outsiders[Role.GRID_WORKER], 404),
                         (world.outsiders[Role.STREET_OPERATOR], 404), (world.users[Role.MEDIATOR], 403)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user.username
        if status == 200:
            assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG, re-encoded
    client.force_login(gridder)
    score = Score.objects.get(period=period, user=gridder)
    page = client.get(f"/insight/assessment/scores/{score.pk}/?indicator=spot_check").content.decode()
    assert f'href="{url}"' in page


def test_the_pages_speak_chinese_and_english(world, client, published, settings):
    _ledger, periods = published
    period = periods["grid_worker"]
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    chinese = client.get(f"/insight/assessment/periods/{period.pk}/").content.decode()
    assert "排名" in chinese and "通报排名" not in chinese and "重新计算" in chinese  # published: no publish button
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/insight/assessment/periods/{period.pk}/").content.decode()
    assert "Ranking" in english and "Recompute" in english and "排名" not in english
    score = Score.objects.filter(period=period).first()
    english = client.get(f"/insight/assessment/scores/{score.pk}/").content.decode()
    assert "Indicators" in english and "On-time closure rate" in english
