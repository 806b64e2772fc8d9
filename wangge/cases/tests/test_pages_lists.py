"""The workbench lists: the queue (filters, sort, paging, bulk dispatch), the supervision board (filled by the
poller alone), the department inbox and a grid worker's own cases."""
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from django.utils.http import urlencode

from wangge.cases import poller
from wangge.cases.models import Case, CaseEvent, State
from wangge.cases.testing import act, case_in, category, report
from wangge.cases.tests.test_pages_case import forms_on
from wangge.core.models import Department
from wangge.core.roles import Role
from wangge.testing import pager_link

pytestmark = pytest.mark.django_db

OP, DEPT, GRID = Role.DISTRICT_OPERATOR, Role.DEPARTMENT_HANDLER, Role.GRID_WORKER


def _listed(response) -> set[int]:
    import re

    return {int(pk) for pk in re.findall(r'<li class="case-item"[^>]*? data-case="(\d+)"', response.content.decode())}


def _away(world, title="外街道事件", **extra):
    from wangge.cases import services

    lng, lat = world.grid_center(world.grids[4])
    return services.do_report_case(world.users[OP], category=category(), title=title, lng=lng,
                                   lat=lat, **extra)


# ------------------------------------------------------------------ the queue


def test_queue_lists_only_the_users_area(world, client):
    home, away = report(world), _away(world)
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = client.get("/cases/")
    assert response.status_code == 200
    assert home.pk in _listed(response) and away.pk not in _listed(response)
    assert "外街道事件" not in response.content.decode()
    client.force_login(world.users[OP])
    assert {home.pk, away.pk} <= _listed(client.get("/cases/"))


def test_queue_filters(world, client):
    registered = case_in(world, "registered")
    dispatched = case_in(world, "dispatched")
    hotline = _away(world, title="热线来电噪音", channel="hotline_12345", reporter_name="李女士",
                    reporter_phone="13700001111")
    client.force_login(world.users[OP])
    assert _listed(client.get("/cases/?state=registered")) == {registered.pk}
    assert _listed(client.get("/cases/?channel=hotline_12345")) == {hotline.pk}
    assert _listed(client.get("/cases/?q=热线来电")) == {hotline.pk}
    assert _listed(client.get(f"/cases/?q={dispatched.number}")) == {dispatched.pk}
    assert _listed(client.get(f"/cases/?q={hotline.tracking_code.lower()}")) == {hotline.pk}
    assert _listed(client.get(f"/cases/?area={world.streets[1].code}")) == {hotline.pk}
    assert _listed(client.get(f"/cases/?area={world.grids[0].code}")) == {registered.pk, dispatched.pk}
    assert _listed(client.get(f"/cases/?category={registered.category_id}&major=01")) >= {registered.pk}
    assert _listed(client.get("/cases/?major=99")) == set()
    # Overdue and unsigned follow the deadlines.
    Case.objects.filter(pk=dispatched.pk).update(accept_by=timezone.now() - timedelta(hours=1),
                                                 handle_by=timezone.now() - timedelta(hours=1))
    assert _listed(client.get("/cases/?unsigned=1")) == {dispatched.pk}
    assert _listed(client.get("/cases/?overdue=1")) == {dispatched.pk}
    # Sorting by deadline puts the overdue one first.
    page = client.get("/cases/?sort=deadline").content.decode()
    assert page.index(f'data-case="{dispatched.pk}"') < page.index(f'data-case="{registered.pk}"')
    assert client.get("/cases/?sort=priority&state=open").status_code == 200


def test_queue_area_outside_answers_404(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert client.get(f"/cases/?area={world.streets[1].code}").status_code == 404
    assert client.get("/cases/?area=999").status_code == 404


def test_queue_pages(world, client, monkeypatch):
    from wangge.cases import views_lists

    monkeypatch.setattr(views_lists, "PAGE_SIZE", 2)
    cases = [report(world) for _ in range(3)]
    client.force_login(world.users[OP])
    first_page = client.get("/cases/")
    second_page = client.get("/cases/" + pager_link(first_page, "next"))
    first, second = _listed(first_page), _listed(second_page)
    assert len(first) == 2 and len(second) == 1 and first | second == {c.pk for c in cases}
    assert pager_link(second_page, "next") is None
    assert _listed(client.get("/cases/" + pager_link(second_page, "prev"))) == first
    # Newest first: the first page holds the two reported last.
    assert first == {cases[1].pk, cases[2].pk}
    # A cursor that is not ours (edited, truncated) shows the first page, not an error.
    assert _listed(client.get("/cases/?after=not-a-cursor")) == first
    assert _listed(client.get("/cases/?after=W1sidiIsIngiXV0")) == first  # right shape, wrong length


def test_queue_area_picker_walks_down_one_level(world, client):
    client.force_login(world.users[OP])
    page = client.get("/cases/").content.decode()
    assert f'<option value="{world.streets[0].code}">' in page and world.grids[0].code not in page
    page = client.get(f"/cases/?area={world.streets[0].code}&state=open").content.decode()
    community = world.grids[0].parent
    assert f'<option value="{community.code}">' in page and 'class="area-trail"' in page
    trail = page[page.index('class="area-trail"'):page.index("</nav>", page.index('class="area-trail"'))]
    assert world.streets[0].name in trail and world.streets[0].code not in trail  # the chosen step is not a link


def test_queue_is_refused_without_cases_view(world, client):
    client.force_login(world.users[Role.MEDIATOR])
    assert client.get("/cases/").status_code == 403


def _bulk(client, cases, target, **extra):
    data = {"case": [c.pk for c in cases], "target": target, **extra}
    for c in cases:
        data[f"version_{c.pk}"] = c.version
    return client.post("/cases/", data)


def test_bulk_dispatch_to_a_department(world, client):
    cases = [case_in(world, "registered") for _ in range(2)]
    client.force_login(world.users[OP])
    page = client.get("/cases/").content.decode()
    assert 'id="bulk-form"' in page and f'name="version_{cases[0].pk}"' in page and "城管局" in page
    response = _bulk(client, cases, str(world.department.pk))
    assert response.status_code == 302
    for c in cases:
        c.refresh_from_db()
        assert c.state == State.DISPATCHED and c.assignee_department == world.department
    shown = client.get(response["Location"]).content.decode()
    assert "已派遣 2 件" in shown


def test_bulk_dispatch_by_catalogue_reports_each_failure(world, client):
    fresh, stale, wrong_state = case_in(world, "registered"), case_in(world, "registered"), report(world)
    old_version = stale.version
    act(world.users[OP], stale, "escalate")  # someone moves it first: the operator's version is stale
    stale.version = old_version
    client.force_login(world.users[OP])
    response = _bulk(client, [fresh, stale, wrong_state], "catalogue")
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert fresh.state == State.DISPATCHED and fresh.assignee_department == world.department
    for c, was in ((stale, State.REPORTED), (wrong_state, State.REPORTED)):
        c.refresh_from_db()
        assert c.state == was and not CaseEvent.objects.filter(case=c, action="dispatch").exists()
    shown = client.get(response["Location"]).content.decode()
    assert "已派遣 1 件" in shown
    assert f"{stale.number} 未派遣：已被他人修改，请刷新后重试" in shown
    assert f"{wrong_state.number} 未派遣：当前状态不能派遣" in shown


def test_bulk_dispatch_bad_input_changes_nothing(world, client):
    case = case_in(world, "registered")
    client.force_login(world.users[OP])
    nothing = client.post("/cases/", {"target": "catalogue"})
    assert nothing.status_code == 400 and "请勾选" in nothing.content.decode()
    no_target = _bulk(client, [case], "")
    assert no_target.status_code == 400 and "请选择承办部门" in no_target.content.decode()
    far_district = Department.objects.create(code="XX", name="外区部门",
                                             region=world.province)  # serves above: allowed
    other = _bulk(client, [case], "999999")
    assert other.status_code == 400
    case.refresh_from_db()
    assert case.state == State.REGISTERED
    assert far_district.name in client.get("/cases/").content.decode()


def test_bulk_dispatch_outside_the_area_or_by_a_non_operator(world, client):
    away = _away(world)
    act(world.users[OP], away, "register")
    away.refresh_from_db()
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = _bulk(client, [away], "catalogue")
    assert response.status_code == 302
    away.refresh_from_db()
    assert away.state == State.REGISTERED
    assert f"#{away.pk} 未派遣：事件不存在或不在辖区内" in client.get(response["Location"]).content.decode()
    client.force_login(world.users[GRID])
    home = case_in(world, "registered")
    assert _bulk(client, [home], "catalogue").status_code == 403
    home.refresh_from_db()
    assert home.state == State.REGISTERED


# ------------------------------------------------------------------ the supervision board


def test_board_shows_what_the_poller_flagged_by_itself(world, client):
    unsigned = case_in(world, "dispatched")
    overdue = case_in(world, "accepted")
    quiet = case_in(world, "dispatched")
    past = timezone.now() - timedelta(hours=2)
    Case.objects.filter(pk=unsigned.pk).update(accept_by=past)
    Case.objects.filter(pk=overdue.pk).update(handle_by=past)
    client.force_login(world.users[OP])
    before = client.get("/cases/supervision/").content.decode()
    assert f'data-case="{unsigned.pk}"' not in before
    poller.poll()
    response = client.get("/cases/supervision/")
    assert response.status_code == 200
    html = response.content.decode()
    unsigned_part = html[html.index('id="unsigned"'):html.index('id="overdue"')]
    overdue_part = html[html.index('id="overdue"'):html.index('id="returned"')]
    assert f'data-case="{unsigned.pk}"' in unsigned_part and f'data-case="{quiet.pk}"' not in unsigned_part
    assert f'data-case="{overdue.pk}"' in overdue_part
    assert "超时未签收" in html and "超期未办结" in html
    forms = forms_on(unsigned_part)
    assert {"supervise", "urge"} <= set(forms)


def test_board_sections_returned_reworked_and_extension(world, client):
    returned = case_in(world, "dispatched")
    act(world.users[DEPT], returned, "return", reason="非本部门")
    reworked = case_in(world, "handled")
    act(world.users[OP], reworked, "verify_rework", reason="仍有垃圾")
    pending = case_in(world, "accepted_pending")
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    html = client.get("/cases/supervision/").content.decode()

    def part(key, nxt):
        return html[html.index(f'id="{key}"'):html.index(f'id="{nxt}"') if nxt else None]

    assert f'data-case="{returned.pk}"' in part("returned", "reworked")
    assert f'data-case="{reworked.pk}"' in part("reworked", "extension")
    extension = part("extension", None)
    assert f'data-case="{pending.pk}"' in extension
    assert {"approve_extension", "deny_extension"} <= set(forms_on(extension))
    assert 'data-count="returned"><strong>1</strong>' in html
    # Each row says why it is there: the return reason, the rework reason, the extension's reason.
    reason = '<p class="case-reason" data-reason="{}"><span class="label">{}</span>{}</p>'
    assert reason.format("returned", "退回原因", "非本部门") in part("returned", "reworked")
    assert reason.format("reworked", "返工原因", "仍有垃圾") in part("reworked", "extension")
    assert reason.format("extension", "延期理由", "需协调产权单位") in extension
    # counts read as counts: one return is "1 time" in English, "1 次" in Chinese
    assert "退回 1 次" in part("returned", "reworked") and "返工 1 次" in part("reworked", "extension")
    client.cookies["django_language"] = "en"
    html = client.get("/cases/supervision/").content.decode()
    assert "Returned 1 time" in html and "Reworked 1 time" in html and "1 times" not in html


def test_board_section_pages_through_the_rest(world, client, monkeypatch):
    from wangge.cases import views_lists

    monkeypatch.setattr(views_lists, "BOARD_OVERVIEW", 2)
    monkeypatch.setattr(views_lists, "BOARD_PAGE", 2)
    late = [case_in(world, "dispatched") for _ in range(5)]
    past = timezone.now() - timedelta(hours=2)
    for n, case in enumerate(late):
        Case.objects.filter(pk=case.pk).update(accept_by=past + timedelta(minutes=n))
    poller.poll()
    client.force_login(world.users[OP])
    overview = client.get("/cases/supervision/").content.decode()
    assert 'data-count="unsigned"><strong>5</strong>' in overview and 'data-more="unsigned"' in overview
    assert [c.pk for c in late if f'data-case="{c.pk}"' in overview] == [late[0].pk, late[1].pk]  # soonest due
    seen, page = [], client.get("/cases/supervision/", {"section": "unsigned"})
    while True:
        html = page.content.decode()
        assert 'id="overdue"' not in html  # one section at a time
        seen += [c.pk for c in late if f'data-case="{c.pk}"' in html]
        link = pager_link(page, "next")
        if link is None:
            break
        assert link.startswith("?section=unsigned&after=")
        page = client.get("/cases/supervision/" + link)
    assert seen == [c.pk for c in late]
    # An action from a later page comes back to that page.
    here = "/cases/supervision/" + pager_link(client.get("/cases/supervision/", {"section": "unsigned"}), "next")
    case = Case.objects.get(pk=late[2].pk)
    done = client.post(f"/cases/{case.pk}/act/urge/", {"version": case.version, "note": "请尽快签收",
                                                       "next": f"{here}#case-{case.pk}"})
    assert done.status_code == 302 and done["Location"] == f"{here}#case-{case.pk}"


def test_board_supervise_goes_back_to_the_board(world, client):
    case = case_in(world, "dispatched")
    Case.objects.filter(pk=case.pk).update(accept_by=timezone.now() - timedelta(hours=1))
    poller.poll()
    case.refresh_from_db()
    client.force_login(world.users[OP])
    response = client.post(f"/cases/{case.pk}/act/supervise/", {"version": case.version, "note": "限今日签收",
                                                                  "next": "/cases/supervision/"})
    assert response.status_code == 302 and response["Location"] == "/cases/supervision/"
    case.refresh_from_db()
    assert case.supervise_count == 1
    empty = client.post(f"/cases/{case.pk}/act/urge/", {"version": case.version, "note": "",
                                                         "next": "/cases/supervision/"})
    assert empty.status_code == 422


def test_board_is_for_operators(world, client):
    for role in (GRID, DEPT, Role.MEDIATOR):
        client.force_login(world.users[role])
        assert client.get("/cases/supervision/").status_code == 403


def test_board_is_scoped(world, client):
    away = _away(world)
    act(world.users[OP], away, "register")
    act(world.users[OP], away, "dispatch")
    Case.objects.filter(pk=away.pk).update(accept_by=timezone.now() - timedelta(hours=1))
    poller.poll()
    client.force_login(world.users[Role.STREET_OPERATOR])
    html = client.get("/cases/supervision/").content.decode()
    assert f'data-case="{away.pk}"' not in html and "外街道事件" not in html


# ------------------------------------------------------------------ the inbox


def test_department_inbox_accept_then_handle_and_extension(world, client):
    to_accept = case_in(world, "dispatched")
    to_handle = case_in(world, "accepted")
    not_ours = case_in(world, "registered")
    Case.objects.filter(pk=to_handle.pk).update(handle_by=timezone.now() - timedelta(hours=3))
    client.force_login(world.users[DEPT])
    response = client.get("/cases/inbox/")
    assert response.status_code == 200
    html = response.content.decode()
    accept_part = html[html.index('id="to-accept"'):html.index('id="to-handle"')]
    handle_part = html[html.index('id="to-handle"'):]
    assert f'data-case="{to_accept.pk}"' in accept_part and {"accept", "return"} <= set(forms_on(accept_part))
    assert f'data-case="{to_handle.pk}"' in handle_part and "已超期" in handle_part
    assert {"handle", "request_extension"} <= set(forms_on(handle_part))
    assert f'data-case="{not_ours.pk}"' not in html and "剩余" in accept_part

    ok = client.post(f"/cases/{to_accept.pk}/act/accept/", {"version": to_accept.version, "next": "/cases/inbox/"})
    assert ok.status_code == 302 and ok["Location"] == "/cases/inbox/"
    to_accept.refresh_from_db()
    assert to_accept.state == State.ACCEPTED

    bad = client.post(f"/cases/{to_handle.pk}/act/request_extension/",
                      {"version": to_handle.version, "days": "99", "reason": "协调", "next": "/cases/inbox/"})
    assert bad.status_code == 422
    to_handle.refresh_from_db()
    assert to_handle.extension_requested_days is None
    good = client.post(f"/cases/{to_handle.pk}/act/request_extension/",
                       {"version": to_handle.version, "days": "3", "reason": "协调", "next": "/cases/inbox/"})
    assert good.status_code == 302
    to_handle.refresh_from_db()
    assert to_handle.extension_requested_days == 3


def test_inbox_search_finds_a_case_and_the_action_comes_back_to_it(world, client):
    wanted = case_in(world, "dispatched")
    Case.objects.filter(pk=wanted.pk).update(title="窨井盖缺失", address="幸福路 8 号")
    others = [case_in(world, "dispatched") for _ in range(3)]
    client.force_login(world.users[DEPT])
    for q in (wanted.number, "窨井盖", "幸福路 8"):
        html = client.get("/cases/inbox/", {"q": q}).content.decode()
        assert f'data-case="{wanted.pk}"' in html, q
        assert not any(f'data-case="{c.pk}"' in html for c in others), q
        assert 'data-count="accept"><strong>1</strong>' in html
    html = client.get("/cases/inbox/", {"q": "窨井盖"}).content.decode()
    # The usual action first, the rare one folded; each form leads back to this very row of this very search.
    row = html[html.index(f'id="case-{wanted.pk}"'):]
    row = row[:row.index("</li>")]
    assert list(forms_on(row)) == ["accept", "return"] and row.index('data-action="accept"') < row.index("<details")
    assert 'name="next" value="/cases/inbox/?q=%E7%AA%A8%E4%BA%95%E7%9B%96#case-{}"'.format(wanted.pk) in row
    back = f"/cases/inbox/?q=%E7%AA%A8%E4%BA%95%E7%9B%96#case-{wanted.pk}"
    done = client.post(f"/cases/{wanted.pk}/act/accept/", {"version": wanted.version, "next": back})
    assert done.status_code == 302 and done["Location"] == back
    assert client.get("/cases/inbox/", {"q": "没有这个"}).content.decode().count("没有找到。") == 2


def test_inbox_tabs_are_counted_and_paged(world, client, monkeypatch):
    from wangge.cases import views_lists

    monkeypatch.setattr(views_lists, "INBOX_PAGE", 2)
    dispatched = [case_in(world, "dispatched") for _ in range(3)]
    accepted = case_in(world, "accepted")
    client.force_login(world.users[DEPT])
    html = client.get("/cases/inbox/").content.decode()
    assert 'data-count="accept"><strong>3</strong>' in html and 'data-count="handle"><strong>1</strong>' in html
    assert sum(f'data-case="{c.pk}"' in html for c in dispatched) == 2 and 'data-more="accept"' in html
    first_page = client.get("/cases/inbox/", {"tab": "accept"})
    assert pager_link(first_page, "next").startswith("?tab=accept&after=")
    first = first_page.content.decode()
    second = client.get("/cases/inbox/" + pager_link(first_page, "next")).content.decode()
    shown = [c.pk for c in dispatched if f'data-case="{c.pk}"' in first] + \
            [c.pk for c in dispatched if f'data-case="{c.pk}"' in second]
    assert sorted(shown) == sorted(c.pk for c in dispatched)
    assert f'data-case="{accepted.pk}"' not in first and 'id="to-handle"' not in first


def test_lower_level_assignee_sees_the_case_in_the_inbox(world, client):
    case = case_in(world, "registered")
    act(world.users[OP], case, "dispatch", region=world.communities[0])
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    html = client.get("/cases/inbox/").content.decode()
    assert f'data-case="{case.pk}"' in html
    client.force_login(world.users[DEPT])
    assert f'data-case="{case.pk}"' not in client.get("/cases/inbox/").content.decode()


# ------------------------------------------------------------------ my cases


def test_mine_shows_my_reports_my_tasks_and_my_grid(world, client):
    mine = report(world)
    task = case_in(world, "registered")
    act(world.users[OP], task, "dispatch", region=world.grids[0])
    away = _away(world)
    client.force_login(world.users[GRID])
    response = client.get("/cases/mine/")
    assert response.status_code == 200
    html = response.content.decode()
    tasks = html[html.index('id="my-tasks"'):html.index('id="my-reports"')]
    assert f'data-case="{task.pk}"' in tasks and f'data-case="{mine.pk}"' not in tasks
    reports = html[html.index('id="my-reports"'):html.index('id="area-open"')]
    assert f'data-case="{mine.pk}"' in reports
    assert f'data-case="{away.pk}"' not in html
    client.force_login(world.users[DEPT])
    assert client.get("/cases/mine/").status_code == 403


def test_nav_links_by_role(world, client):
    client.force_login(world.users[GRID])
    html = client.get("/cases/mine/").content.decode()
    assert 'href="/cases/report/"' in html and 'href="/cases/supervision/"' not in html
    client.force_login(world.users[OP])
    html = client.get("/cases/").content.decode()
    assert 'href="/cases/supervision/"' in html and 'href="/cases/inbox/"' in html


def test_operator_lands_on_the_queue_with_its_tabs_counted(world, client):
    reported, registered = report(world), case_in(world, "registered")
    handled = case_in(world, "handled")
    late = case_in(world, "accepted")
    Case.objects.filter(pk=late.pk).update(handle_by=timezone.now() - timedelta(hours=1))
    client.force_login(world.users[OP])
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/cases/"
    html = client.get("/cases/").content.decode()
    for key, n in (("reported", 1), ("registered", 1), ("handled", 1), ("overdue", 1), ("open", 4)):
        assert f'data-count="{key}"><strong>{n}</strong>' in html
    tab = client.get("/cases/", {"state": "handled"}).content.decode()
    assert 'class="is-current"><a href="?state=handled" data-count="handled" aria-current="page">' in tab
    assert _listed(client.get("/cases/", {"state": "handled"})) == {handled.pk}
    assert _listed(client.get("/cases/", {"overdue": "1"})) == {late.pk}
    assert {reported.pk, registered.pk} <= _listed(client.get("/cases/", {"state": "open"}))
    # In a chosen area the tabs count that area's cases, and keep it.
    elsewhere = client.get("/cases/", {"area": world.streets[1].code}).content.decode()
    assert 'data-count="reported"><strong>0</strong>' in elsewhere
    assert f'href="?state=reported&amp;area={world.streets[1].code}"' in elsewhere


def test_a_case_opened_from_the_queue_leads_back_to_the_same_page_and_row(world, client, monkeypatch):
    from wangge.cases import views_lists

    monkeypatch.setattr(views_lists, "PAGE_SIZE", 1)
    cases = [case_in(world, "registered") for _ in range(2)]
    client.force_login(world.users[OP])
    second = "/cases/" + pager_link(client.get("/cases/", {"state": "registered"}), "next")
    listed = client.get(second).content.decode()
    shown = cases[0]  # newest first: the second page holds the older one
    assert f'href="/cases/{shown.pk}/?from={quote(second, safe="/")}"' in listed
    page = client.get(f"/cases/{shown.pk}/", {"from": second}).content.decode()
    assert f'href="{second}#case-{shown.pk}"'.replace("&", "&amp;") in page
    # An action keeps the way back; a refused one too.
    shown.refresh_from_db()
    done = client.post(f"/cases/{shown.pk}/act/dispatch/", {
        "version": shown.version, "department": world.department.pk, "from": second,
        "next": f"/cases/{shown.pk}/?{urlencode({'from': second})}"})
    assert done.status_code == 302 and "from=" in done["Location"]
    assert f'href="{second}#case-{shown.pk}"'.replace("&", "&amp;") in client.get(done["Location"]).content.decode()
    # Only a path on this site is a way back.
    assert 'id="back-to-list"' not in client.get(f"/cases/{shown.pk}/", {"from": "https://evil.example/"}).content.decode()
    assert 'id="back-to-list"' not in client.get(f"/cases/{shown.pk}/", {"from": "//evil.example/"}).content.decode()


def test_queue_filters_by_the_date_reported(world, client):
    old, new = report(world), report(world)
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=40))
    client.force_login(world.users[OP])
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert _listed(client.get("/cases/", {"from": day})) == {new.pk}
    assert _listed(client.get("/cases/", {"to": day})) == {old.pk}
    # Not a date: the filter is left out (every case), never an error page.
    assert _listed(client.get("/cases/", {"from": "2026-13-45"})) == {old.pk, new.pk}


def test_board_narrows_to_an_area(world, client):
    late = case_in(world, "dispatched")
    Case.objects.filter(pk=late.pk).update(accept_by=timezone.now() - timedelta(hours=2))
    poller.poll()
    client.force_login(world.users[OP])
    inside = client.get("/cases/supervision/", {"area": world.streets[0].code}).content.decode()
    assert f'data-case="{late.pk}"' in inside and 'data-count="unsigned"><strong>1</strong>' in inside
    outside = client.get("/cases/supervision/", {"area": world.streets[1].code}).content.decode()
    assert f'data-case="{late.pk}"' not in outside and 'data-count="unsigned"><strong>0</strong>' in outside
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert client.get("/cases/supervision/", {"area": world.streets[1].code}).status_code == 404
