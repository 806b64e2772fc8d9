"""Stored early warnings: raised once per (kind, key) while open, the lifecycle table walked whole, handing down as
a case, the API's filters and refusals (nothing changed), and the worker's claim."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.cases.models import Case
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.core.workflow import ConflictError, WorkflowError
from wangge.insight import poller
from wangge.insight.models import EarlyWarning, WarningEvent, WarningState
from wangge.insight.services import do_act, store_findings
from wangge.insight.tests.testing import hotspot_finding, raise_hotspot
from wangge.insight.workflow import FLOW, TRANSITIONS

pytestmark = pytest.mark.django_db

OP = Role.DISTRICT_OPERATOR


def test_a_finding_found_again_while_open_refreshes_the_warning(world):
    grid = world.grids[0]
    assert store_findings([hotspot_finding(grid)]) == {"warnings_raised": 1, "warnings_seen_again": 0}
    assert store_findings([hotspot_finding(grid, observed=12)]) == {"warnings_raised": 0, "warnings_seen_again": 1}
    store_findings([hotspot_finding(grid, observed=12)])
    warning = EarlyWarning.objects.get()
    assert (warning.times_seen, warning.details["observed"], warning.path) == (3, 12, grid.path)
    # Raised once, and "found again" only when the numbers moved.
    assert list(WarningEvent.objects.values_list("action", flat=True)) == ["raise", "repeat"]
    assert AuditEntry.objects.filter(operation="insight.warning.raise").count() == 1


def test_after_close_the_same_finding_raises_a_new_warning(world):
    warning = raise_hotspot(world.grids[0])
    do_act(world.users[OP], warning, "close", expected_version=warning.version, note="已安排整治")
    store_findings([hotspot_finding(world.grids[0])])
    assert EarlyWarning.objects.count() == 2
    assert EarlyWarning.objects.filter(state=WarningState.ACTIVE).count() == 1


PARAMS = {"acknowledge": {"note": "已阅"}, "comment": {"note": "夜市摊点集中"}, "close": {"note": "已整治"},
          "hand_down": {"category": "04001", "note": "请街道牵头整治"}}


def _params(world, action, warning):
    if action == "assign":
        return {"assignee": world.users[Role.STREET_OPERATOR].pk}
    return PARAMS[action]


@pytest.mark.parametrize("state,action", sorted(TRANSITIONS))
def test_every_transition_of_the_table(world, state, action):
    """Each (state, action) of the table, taken by a district operator from a warning brought to `state`."""
    warning = raise_hotspot(world.grids[0])
    op = world.users[OP]
    if state == WarningState.ACKNOWLEDGED:
        warning = do_act(op, warning, "acknowledge", expected_version=warning.version)
    elif state == WarningState.CLOSED:
        warning = do_act(op, warning, "close", expected_version=warning.version, note="误报")
    done = do_act(op, warning, action, expected_version=warning.version, **_params(world, action, warning))
    expected = TRANSITIONS[(state, action)].to_state or state
    assert done.state == expected
    assert WarningEvent.objects.filter(warning=done, action=action).count() == 1
    assert AuditEntry.objects.filter(operation=f"insight.warning.{action}", object_id=str(done.pk)).exists()
    if action == "assign":
        assert done.assignee == world.users[Role.STREET_OPERATOR]
    if action == "acknowledge":
        assert done.acknowledged_by == op and done.acknowledged_at is not None


def test_actions_not_in_the_table_are_refused_and_change_nothing(world):
    warning = raise_hotspot(world.grids[0])
    op = world.users[OP]
    warning = do_act(op, warning, "close", expected_version=warning.version, note="误报")
    for action in ("acknowledge", "assign", "close", "hand_down"):
        with pytest.raises(WorkflowError) as refused:
            do_act(op, warning, action, expected_version=warning.version, **_params(world, action, warning))
        assert refused.value.reason == "state"
    warning.refresh_from_db()
    assert warning.state == WarningState.CLOSED and Case.objects.count() == 0


def test_roles_outside_and_stale_versions(world):
    warning = raise_hotspot(world.grids[0])
    with pytest.raises(WorkflowError) as refused:  # a grid worker does not read warnings at all
        do_act(world.users[Role.GRID_WORKER], warning, "acknowledge", expected_version=warning.version)
    assert refused.value.reason == "area"
    with pytest.raises(WorkflowError) as refused:  # another street's operator: outside their area
        do_act(world.outsiders[Role.STREET_OPERATOR], warning, "acknowledge", expected_version=warning.version)
    assert refused.value.reason == "area"
    with pytest.raises(WorkflowError) as refused:  # administrators keep configuration; they report no cases
        do_act(world.users[Role.ADMINISTRATOR], warning, "hand_down", expected_version=warning.version,
               **PARAMS["hand_down"])
    assert refused.value.reason == "role"
    with pytest.raises(ConflictError):
        do_act(world.users[OP], warning, "acknowledge", expected_version=warning.version + 5)
    warning.refresh_from_db()
    assert warning.state == WarningState.ACTIVE and warning.version == 1


def test_bad_input_changes_nothing(world):
    warning = raise_hotspot(world.grids[0])
    op = world.users[OP]
    for action, params, field in (("assign", {"assignee": world.outsiders[Role.STREET_OPERATOR].pk}, "assignee"),
                                  ("assign", {"assignee": world.users[Role.GRID_WORKER].pk}, "assignee"),
                                  ("close", {"note": ""}, "note"), ("hand_down", {"category": ""}, "category"),
                                  ("hand_down", {"category": "99999"}, "category")):
        with pytest.raises(OperationError) as refused:
            do_act(op, warning, action, expected_version=warning.version, **params)
        assert refused.value.field == field
    warning.refresh_from_db()
    assert (warning.state, warning.version, warning.assignee, Case.objects.count()) == ("active", 1, None, 0)
    assert WarningEvent.objects.filter(warning=warning).count() == 1  # the raise only


def test_hand_down_makes_a_case_in_the_warning_s_grid_linked_both_ways(world):
    warning = raise_hotspot(world.grids[0])
    done = do_act(world.users[OP], warning, "hand_down", expected_version=warning.version, **PARAMS["hand_down"])
    case = Case.objects.get()
    assert done.state == WarningState.CLOSED and done.case == case
    assert case.grid == world.grids[0] and case.external_id == warning.number
    assert warning.number in case.description and case.early_warnings.get() == done
    event = WarningEvent.objects.get(warning=done, action="hand_down")
    assert event.details == {"case": case.number}


def test_api_lists_filters_and_refuses_bad_input(world, client):
    warning = raise_hotspot(world.grids[0])
    raise_hotspot(world.grids[5], category="01")
    client.force_login(world.users[Role.STREET_OPERATOR])
    listed = client.get("/api/v1/insight/warnings").json()
    assert [w["id"] for w in listed["items"]] == [warning.pk]  # the other street's warning is not theirs
    assert client.get(f"/api/v1/insight/warnings/{warning.pk + 1}").status_code == 404
    client.force_login(world.users[OP])
    assert client.get("/api/v1/insight/warnings?category=04").json()["count"] == 1
    for query, field in (("kind=bogus", "kind"), ("category=zz", "category"), ("source=case&category=neighbour",
                                                                                "category"),
                         ("from=2026-05-01&to=2026-04-01", "to"), ("from=2025-01-01&to=2026-03-01", "from"),
                         ("from=0001-01-01", "from"), ("to=9999-12-31", "to")):
        answer = client.get(f"/api/v1/insight/warnings?{query}")
        assert answer.status_code == 422, query
        assert answer.json()["detail"][0]["loc"] == ["query", field]
    page = client.get(f"/insight/warnings/?{'from=2026-05-01&to=2026-04-01'}")
    assert page.status_code == 400 and b'data-field="to"' in page.content


def test_api_acts_with_the_version_and_refuses_closed_and_stale(world, client):
    warning = raise_hotspot(world.grids[0])
    client.force_login(world.users[OP])
    url = f"/api/v1/insight/warnings/{warning.pk}/actions"
    answer = client.post(f"{url}/acknowledge", {"version": 1}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["state"] == "acknowledged"
    stale = client.post(f"{url}/close", {"version": 1, "note": "x"}, content_type="application/json")
    assert stale.status_code == 409
    closed = client.post(f"{url}/close", {"version": 2, "note": "已整治"}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = client.post(f"{url}/acknowledge", {"version": 3}, content_type="application/json")
    assert again.status_code == 409
    warning.refresh_from_db()
    assert (warning.state, warning.version) == ("closed", 3)


def test_the_warning_page_explains_and_acts(world, client):
    warning = raise_hotspot(world.grids[0], neighbour=world.grids[1])
    client.force_login(world.users[OP])
    page = client.get(f"/insight/warnings/{warning.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "4.2" in text and "0.0011" in text and "测试网格1-1-2" in text and 'id="act-acknowledge"' in text
    done = client.post(f"/insight/warnings/{warning.pk}/act/acknowledge/", {"version": "1"})
    assert done.status_code == 302
    warning.refresh_from_db()
    assert warning.state == WarningState.ACKNOWLEDGED
    stale = client.post(f"/insight/warnings/{warning.pk}/act/close/", {"version": "1", "note": "x"})
    assert stale.status_code == 409
    warning.refresh_from_db()
    assert warning.state == WarningState.ACKNOWLEDGED


def test_the_worker_claims_the_analysis_once_an_hour(world):
    now = timezone.now()
    assert poller.claim("warnings", now, poller.ANALYSIS_EVERY)
    assert not poller.claim("warnings", now + timedelta(minutes=5), poller.ANALYSIS_EVERY)  # a second worker
    assert poller.claim("warnings", now + timedelta(minutes=61), poller.ANALYSIS_EVERY)
    assert poller.claim("report:2026-11", now, None) and not poller.claim("report:2026-11", now, None)


def test_the_analysis_run_stores_a_repeat_place_from_the_cases(world):
    from wangge.cases.testing import report
    from wangge.insight import analysis

    for _ in range(3):
        report(world, address="测试路1号")
    counts = analysis.run()
    assert counts["warnings_raised"] >= 1
    warning = EarlyWarning.objects.get(kind="repeat_place")
    assert warning.details["observed"] == 3 and len(warning.records) == 3
    assert warning.grid == world.grids[0]
    assert analysis.run()["warnings_raised"] == 0  # found again, not raised again
    assert FLOW.allowed_actions(warning, world.users[OP])


def test_the_concentration_curve_reads_the_rollups_of_the_area(world, client):
    from wangge.cases.testing import case_in, report
    from wangge.insight import rollups

    for _ in range(3):
        report(world)  # grid 0
    lng, lat = world.grid_center(world.grids[4])
    from wangge.cases import services as case_services
    from wangge.cases.testing import category

    case_services.do_report_case(world.users[OP], category=category(), title="其他街道", lng=lng, lat=lat,
                                 channel="hotline_12345")
    case_in(world, "merged")  # a duplicate merged into another: one incident, not two
    rollups.rebuild()
    client.force_login(world.users[OP])
    curve = client.get("/api/v1/insight/concentration?source=case&category=01").json()
    assert (curve["grids"], curve["incidents"]) == (8, 5)  # 3 + 1 + the merge's target (the merged one is not)
    assert curve["points"][0] == [0.0, 0.0] and curve["points"][-1] == [1.0, 1.0]
    assert curve["half_share"] == 0.125 and curve["grids_for_half"] == 1  # grid 0 holds 4 of 5
    client.force_login(world.users[Role.STREET_OPERATOR])
    mine = client.get("/api/v1/insight/concentration?source=case").json()
    assert (mine["area"]["code"], mine["grids"], mine["incidents"]) == (world.streets[0].code, 4, 4)
    assert client.get(f"/api/v1/insight/concentration?area={world.streets[1].code}").status_code == 404
    assert client.get("/api/v1/insight/concentration?source=case&category=zz").status_code == 422


def test_hand_down_from_the_page_with_the_category_picked(world, client):
    from wangge.cases.testing import category

    warning = raise_hotspot(world.grids[0])
    client.force_login(world.users[Role.STREET_OPERATOR])
    page = client.get(f"/insight/warnings/{warning.pk}/")
    assert f'value="{category().pk}"'.encode() in page.content  # the categories offered
    missing = client.post(f"/insight/warnings/{warning.pk}/act/hand_down/", {"version": "1", "category": ""})
    assert missing.status_code == 422 and Case.objects.count() == 0
    done = client.post(f"/insight/warnings/{warning.pk}/act/hand_down/",
                       {"version": "1", "category": str(category().pk), "note": "请社区牵头"})
    assert done.status_code == 302
    warning.refresh_from_db()
    case = Case.objects.get()
    assert warning.case == case and warning.state == WarningState.CLOSED and case.category == category()
    assert client.get(f"/insight/warnings/{warning.pk}/").content.count(case.number.encode()) >= 1


def test_the_filtered_list_behind_each_source(world, client):
    from wangge.insight.analysis import Finding

    grid = world.grids[0]
    details = {"observed": 3, "window_from": "2026-11-01T00:00:00+08:00", "window_to": "2026-11-29T00:00:00+08:00"}
    store_findings([Finding("repeat_place", "dispute:1", "dispute", "neighbour", [grid.pk], grid.pk, "medium",
                            details, region_id=grid.pk),
                    Finding("hotspot", "alert:door_forced:x", "alert", "door_forced", [grid.pk], grid.pk, "medium",
                            details, region_id=grid.pk)])
    client.force_login(world.users[OP])
    for warning, expected in ((EarlyWarning.objects.get(source="dispute"),
                               f"/mediation/?area={grid.code}&amp;type=neighbour&amp;from=2026-11-01&amp;to=2026-11-29"),
                              (EarlyWarning.objects.get(source="alert"),
                               f"/sensing/alerts/?area={grid.code}&amp;state=all&amp;type=door_forced")):
        page = client.get(f"/insight/warnings/{warning.pk}/").content.decode()
        assert f'href="{expected}"' in page
        listed = client.get(expected.replace("&amp;", "&"))
        assert listed.status_code == 200


def test_the_board_marks_warnings_the_last_run_did_not_find_again(world, client):
    old = raise_hotspot(world.grids[0])
    later = timezone.now() + timedelta(hours=2)
    poller.claim("warnings", later, poller.ANALYSIS_EVERY)  # a run after it was raised, which did not find it
    store_findings([hotspot_finding(world.grids[1])], later)
    fresh = EarlyWarning.objects.get(grid=world.grids[1])
    client.force_login(world.users[OP])
    page = client.get("/insight/warnings/")
    text = page.content.decode()
    own = text[text.index(f'id="warning-{old.pk}"'):]
    assert "data-not-found" in own[:own.index("</li>")]
    theirs = text[text.index(f'id="warning-{fresh.pk}"'):]
    assert "data-not-found" not in theirs[:theirs.index("</li>")]
    assert 'id="last-run"' in text


def test_the_board_exports_the_warnings_as_filtered(world, client):
    from io import BytesIO

    from openpyxl import load_workbook

    home, away = raise_hotspot(world.grids[0]), raise_hotspot(world.grids[4])
    client.force_login(world.users[Role.STREET_OPERATOR])  # street 1: grid 0, not grid 4
    response = client.get("/insight/warnings/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [home.number]
    assert away.number not in str(rows)
    entry = AuditEntry.objects.get(operation="insight.warnings_export")
    assert entry.actor == world.users[Role.STREET_OPERATOR] and entry.details["rows"] == 1
    refused = client.get("/insight/warnings/export.xlsx", {"kind": "nonsense"})
    assert refused.status_code == 400 and b"kind" in refused.content
    assert AuditEntry.objects.filter(operation="insight.warnings_export").count() == 1


def test_the_board_puts_high_severity_first_unless_asked_for_the_latest(world, client):
    from wangge.insight.models import WarningSeverity

    assert sorted(WarningSeverity.values)[0] == WarningSeverity.HIGH  # the order the board's sort relies on
    high = raise_hotspot(world.grids[0])
    medium = raise_hotspot(world.grids[1])
    EarlyWarning.objects.filter(pk=medium.pk).update(severity=WarningSeverity.MEDIUM,
                                                     last_seen=timezone.now() + timedelta(hours=1))
    client.force_login(world.users[OP])

    def order(**params):
        text = client.get("/insight/warnings/", params).content.decode()
        return sorted((high.pk, medium.pk), key=lambda pk: text.index(f'id="warning-{pk}"'))

    assert order() == [high.pk, medium.pk]
    assert order(sort="recent") == [medium.pk, high.pk]
    refused = client.get("/insight/warnings/", {"sort": "nonsense"})
    assert refused.status_code == 400 and "sort" in refused.content.decode()


def test_a_warnings_line_follows_the_readers_language(world, client):
    import re

    warning = raise_hotspot(world.grids[0])
    assert "热点" in warning.title  # stored in the platform's language, for exports, reports and the timeline
    english = f"in {world.grids[0].name}: 9 in 28 days"
    client.force_login(world.users[OP])
    client.cookies["django_language"] = "en"
    board = client.get("/insight/warnings/").content.decode()
    assert "Hot spot of " in board and english in board and warning.title not in board
    page = client.get(f"/insight/warnings/{warning.pk}/").content.decode()
    heading = re.search(r'<h1 id="warning-title">(.*?)</h1>', page).group(1)
    assert heading.startswith("Hot spot of ") and heading.endswith(english)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/insight/warnings/{warning.pk}/").content.decode()
    assert re.search(r'<h1 id="warning-title">(.*?)</h1>', page).group(1) == warning.title


def test_the_warnings_of_one_analysis_read_strongest_first(world, client):
    """One run raises three hot spots of one severity: the board and the API list them by their z score, not in
    the order the analysis happened to find them."""
    weak, strong, middling = (hotspot_finding(world.grids[n], z=z) for n, z in ((0, 2.1), (1, 5.3), (2, 3.4)))
    store_findings([weak, strong, middling])
    by_key = {w.key: w for w in EarlyWarning.objects.all()}
    assert [by_key[f.key].strength for f in (weak, strong, middling)] == [2.1, 5.3, 3.4]
    expected = [by_key[f.key].pk for f in (strong, middling, weak)]
    client.force_login(world.users[OP])
    html = client.get("/insight/warnings/").content.decode()
    assert sorted(expected, key=lambda pk: html.index(f'id="warning-{pk}"')) == expected
    listed = [w["id"] for w in client.get("/api/v1/insight/warnings").json()["items"]]
    assert listed == expected
    # found again stronger, the order follows
    store_findings([hotspot_finding(world.grids[0], z=9.9), strong, middling])
    html = client.get("/insight/warnings/").content.decode()
    again = [by_key[f.key].pk for f in (weak, strong, middling)]
    assert sorted(again, key=lambda pk: html.index(f'id="warning-{pk}"')) == again


def test_the_board_pages_through_warnings_of_one_run_by_strength(world, client):
    """35 warnings of one analysis (more than a page of 30), some equally strong: each is on exactly one page."""
    import re

    findings = [hotspot_finding(world.grids[n % len(world.grids)], key_suffix=f"-{n}", z=round(2 + (n % 7) / 3, 4))
                for n in range(35)]
    store_findings(findings)
    client.force_login(world.users[OP])
    html = client.get("/insight/warnings/").content.decode()
    first = re.findall(r'id="warning-(\d+)"', html)
    cursor = re.search(r'[?&]wafter=([^&"]+)', html).group(1)
    second = re.findall(r'id="warning-(\d+)"', client.get(f"/insight/warnings/?wafter={cursor}").content.decode())
    assert len(first) == 30 and len(second) == 5
    assert sorted(map(int, first + second)) == sorted(EarlyWarning.objects.values_list("pk", flat=True))
    strengths = dict(EarlyWarning.objects.values_list("pk", "strength"))
    shown = [strengths[int(pk)] for pk in first + second]
    assert shown == sorted(shown, reverse=True)
