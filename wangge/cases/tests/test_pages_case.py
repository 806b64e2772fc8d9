"""The case page and its action forms: every allowed action is a form per the contract (data-action, hidden
version, parameter names, one submit button); each form's POST moves the case, and each bad input (missing
or wrong parameter, stale version, wrong role, outside the area) is refused with its status and changes
nothing."""
import io
from html.parser import HTMLParser

import pytest
from PIL import Image

from wangge.cases.models import CaseEvent, CasePhoto, State
from wangge.cases.testing import PARAMS, act, case_in, category, report
from wangge.core.roles import Role

pytestmark = pytest.mark.django_db

OP, DEPT, GRID = Role.DISTRICT_OPERATOR, Role.DEPARTMENT_HANDLER, Role.GRID_WORKER


class _Forms(HTMLParser):
    """Every <form data-action> on a page: its action URL, its input names, its version, its buttons."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-action" in attrs:
            self.current = {"action": attrs.get("action"), "method": attrs.get("method"), "names": [],
                            "version": None, "buttons": 0, "enctype": attrs.get("enctype", "")}
            self.forms[attrs["data-action"]] = self.current
        elif self.current is not None:
            if tag in ("input", "select", "textarea") and attrs.get("name"):
                self.current["names"].append(attrs["name"])
                if attrs["name"] == "version" and attrs.get("type") == "hidden":
                    self.current["version"] = attrs.get("value")
            if tag == "button" and attrs.get("type", "submit") == "submit":
                self.current["buttons"] += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def forms_on(html: str) -> dict:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="PNG")
    out.seek(0)
    out.name = "feedback.png"
    return out


def _other_case(world):
    return report(world)


# (variant, who acts, action, good params, bad params or None, state after, input names on the form)
ACTIONS = [
    ("reported", OP, "register", {"note": "属实"}, None, State.REGISTERED, {"note"}),
    ("reported", OP, "reject", PARAMS["reject"], {"reason": ""}, State.REJECTED, {"reason"}),
    ("reported", GRID, "self_resolve", PARAMS["self_resolve"], {"resolution": " "}, State.CLOSED, {"resolution"}),
    ("reported", GRID, "escalate", {"reason": "需社区协调"}, None, State.REPORTED, {"reason"}),
    ("reported", OP, "merge", "original", {"into": ""}, State.MERGED, {"into"}),
    ("registered", OP, "dispatch", "department", {"department": "abc"}, State.DISPATCHED,
     {"department", "region", "note"}),
    ("dispatched", DEPT, "accept", {}, None, State.ACCEPTED, set()),
    ("dispatched", DEPT, "return", PARAMS["return"], {"reason": ""}, State.REGISTERED, {"reason"}),
    ("dispatched", OP, "supervise", PARAMS["supervise"], {"note": ""}, State.DISPATCHED, {"note"}),
    ("dispatched", OP, "urge", PARAMS["urge"], {"note": ""}, State.DISPATCHED, {"note"}),
    ("accepted", DEPT, "request_extension", PARAMS["request_extension"], {"days": "0", "reason": "x"},
     State.ACCEPTED, {"days", "reason"}),
    ("accepted", DEPT, "handle", PARAMS["handle"], {"feedback": ""}, State.HANDLED, {"feedback", "photos"}),
    ("accepted_pending", OP, "approve_extension", {"note": "同意"}, None, State.ACCEPTED, {"note"}),
    ("accepted_pending", OP, "deny_extension", PARAMS["deny_extension"], {"reason": ""}, State.ACCEPTED, {"reason"}),
    ("handled", OP, "verify_close", {"note": "核查属实"}, None, State.CLOSED, {"note", "photos"}),
    ("handled", OP, "verify_rework", PARAMS["verify_rework"], {"reason": ""}, State.DISPATCHED, {"reason", "photos"}),
    ("closed", OP, "rate", {"rating": "satisfied", "note": "回访满意"}, {"rating": "great"}, State.CLOSED,
     {"rating", "note"}),
]


def _snapshot(case):
    case.refresh_from_db()
    return (case.state, case.version, CaseEvent.objects.filter(case=case).count())


def _good_params(world, case, good):
    if good == "original":
        return {"into": str(_other_case(world).pk)}
    if good == "department":
        return {"department": str(world.department.pk)}
    return {k: str(v) for k, v in good.items()}


@pytest.mark.parametrize("variant,role,action,good,bad,after,names", ACTIONS, ids=[a[2] for a in ACTIONS])
def test_action_form_contract_and_post(world, client, variant, role, action, good, bad, after, names):
    case = case_in(world, variant)
    user = world.users[role]
    client.force_login(user)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    form = forms_on(page.content.decode())[action]
    assert form["action"] == f"/cases/{case.pk}/act/{action}/" and form["method"] == "post"
    assert form["version"] == str(case.version)
    assert set(form["names"]) - {"csrfmiddlewaretoken", "version", "next"} == names
    assert form["buttons"] == 1
    if "photos" in names:
        assert form["enctype"] == "multipart/form-data"

    if bad is not None:
        before = _snapshot(case)
        refused = client.post(f"/cases/{case.pk}/act/{action}/", {"version": case.version, **bad})
        assert refused.status_code == 422
        assert "未完成" in refused.content.decode() and "事件未作任何改动" in refused.content.decode()
        assert _snapshot(case) == before

    params = _good_params(world, case, good)
    response = client.post(f"/cases/{case.pk}/act/{action}/", {"version": case.version, **params})
    assert response.status_code == 302
    expected = "/cases/inbox/" if (action, role) == ("return", DEPT) else f"/cases/{case.pk}/"
    assert response["Location"] == expected
    case.refresh_from_db()
    assert case.state == after
    assert CaseEvent.objects.filter(case=case, action=action, actor=user).exists()
    shown = client.get(response["Location"]).content.decode()
    assert "完成" in shown  # the flash message


def test_stale_version_is_a_conflict_and_changes_nothing(world, client):
    case = case_in(world, "dispatched")
    client.force_login(world.users[DEPT])
    stale = case.version
    act(world.users[OP], case, "urge", note="请尽快")  # someone else acts first
    before = _snapshot(case)
    response = client.post(f"/cases/{case.pk}/act/accept/", {"version": stale})
    assert response.status_code == 409
    assert "已被他人修改，请刷新后重试" in response.content.decode()
    assert _snapshot(case) == before


def test_missing_version_is_refused(world, client):
    case = case_in(world, "reported")
    client.force_login(world.users[OP])
    before = _snapshot(case)
    response = client.post(f"/cases/{case.pk}/act/register/", {})
    assert response.status_code == 422 and "版本号" in response.content.decode()
    assert _snapshot(case) == before


def test_action_not_allowed_to_the_role_or_in_the_state(world, client):
    case = case_in(world, "reported")
    client.force_login(world.users[DEPT])  # a department handler does not see an undispatched case at all
    assert client.post(f"/cases/{case.pk}/act/register/", {"version": case.version}).status_code == 404
    client.force_login(world.users[GRID])
    before = _snapshot(case)
    response = client.post(f"/cases/{case.pk}/act/register/", {"version": case.version})
    assert response.status_code == 403 and "角色" in response.content.decode()
    client.force_login(world.users[OP])
    response = client.post(f"/cases/{case.pk}/act/accept/", {"version": case.version})
    # the same status the API answers for the same refusal (wangge/core/refusals.py): a state refusal is a 409
    assert response.status_code == 409 and "状态" in response.content.decode()
    assert _snapshot(case) == before


def test_unknown_action_and_outside_area_answer_404(world, client):
    case = case_in(world, "reported")
    client.force_login(world.users[OP])
    assert client.post(f"/cases/{case.pk}/act/delete/", {"version": case.version}).status_code == 404
    client.force_login(world.outsiders[Role.STREET_OPERATOR])
    before = _snapshot(case)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/act/register/", {"version": case.version}).status_code == 404
    assert _snapshot(case) == before


def test_act_needs_post_and_login(world, client):
    case = case_in(world, "reported")
    assert client.post(f"/cases/{case.pk}/act/register/", {"version": case.version}).status_code == 302  # to login
    client.force_login(world.users[OP])
    assert client.get(f"/cases/{case.pk}/act/register/").status_code == 405
    assert _snapshot(case)[0] == State.REPORTED


def test_dispatch_to_a_lower_level_and_both_chosen(world, client):
    case = case_in(world, "registered")
    client.force_login(world.users[OP])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert world.communities[0].name in page and world.grids[0].name in page  # lower levels holding the case
    before = _snapshot(case)
    both = client.post(f"/cases/{case.pk}/act/dispatch/", {"version": case.version, "department": world.department.pk,
                                                             "region": world.grids[0].pk})
    assert both.status_code == 422 and "只选其一" in both.content.decode()
    outside = client.post(f"/cases/{case.pk}/act/dispatch/", {"version": case.version,
                                                                "region": world.grids[4].pk})
    assert outside.status_code == 422
    assert _snapshot(case) == before
    ok = client.post(f"/cases/{case.pk}/act/dispatch/", {"version": case.version, "region": world.grids[0].pk})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.assignee_region == world.grids[0]


def test_dispatch_by_catalogue_when_no_department_is_chosen(world, client):
    case = case_in(world, "registered")
    client.force_login(world.users[OP])
    response = client.post(f"/cases/{case.pk}/act/dispatch/", {"version": case.version, "department": "",
                                                                 "region": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee_department == world.department


def test_merge_into_a_case_outside_the_area_is_refused(world, client):
    case = case_in(world, "reported")
    street_op = world.users[Role.STREET_OPERATOR]
    client.force_login(world.outsiders[Role.STREET_OPERATOR])
    client.force_login(street_op)
    lng, lat = world.grid_center(world.grids[4])
    from wangge.cases import services
    far = services.do_report_case(world.users[OP], category=case.category, title="外街道事件", lng=lng, lat=lat)
    before = _snapshot(case)
    response = client.post(f"/cases/{case.pk}/act/merge/", {"version": case.version, "into": far.number})
    assert response.status_code == 422 and "不在辖区内" in response.content.decode()
    assert "外街道事件" not in response.content.decode()
    assert _snapshot(case) == before


def test_handle_with_photos_keeps_them_and_a_bad_photo_changes_nothing(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = case_in(world, "accepted")
    client.force_login(world.users[DEPT])
    before = _snapshot(case)
    bad = io.BytesIO(b"not an image at all")
    bad.name = "x.jpg"
    refused = client.post(f"/cases/{case.pk}/act/handle/", {"version": case.version, "feedback": "已清理",
                                                             "photos": [bad]})
    assert refused.status_code == 422 and "图片" in refused.content.decode()
    assert _snapshot(case) == before and not CasePhoto.objects.filter(case=case).exists()
    ok = client.post(f"/cases/{case.pk}/act/handle/", {"version": case.version, "feedback": "已清理",
                                                        "photos": [_png()]})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.state == State.HANDLED
    photo = CasePhoto.objects.get(case=case)
    assert photo.stage == "handle"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/photos/{photo.pk}/" in page


def test_case_page_shows_header_timeline_map_and_masked_phone(world, client):
    from wangge.cases import services

    lng, lat = world.grid_center(world.grids[0])
    op = world.users[OP]
    case = services.do_report_case(op, category=category(), title="12345 来电：噪音扰民",
                                   description="夜间施工", lng=lng, lat=lat, channel="hotline_12345",
                                   reporter_name="张先生", reporter_phone="13912345678", external_id="GD-1")
    act(op, case, "register", note="属实")
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert case.number in html and case.tracking_code in html and "12345热线" in html
    assert "张先生" in html and "139****5678" in html and "13912345678" not in html
    # The district operator is not the community operator's to name: the timeline says the role instead.
    assert "district_op" not in html and "上报" in html and "立案" in html and "属实" in html
    # The point map (Leaflet) around the case's grid, with the case's point; no ECharts.
    assert f'data-case-map-for="case-map" data-code="{world.grids[0].code}"' in html
    assert f'data-point="[{lng:f}, {lat:f}]"' in html
    assert "vendor/leaflet/leaflet.js" in html and "wangge/pointmap.js" in html and "echarts" not in html
    assert "在期限内" in html
    assert html.index('data-event="report"') < html.index('data-event="register"')  # newest last


def test_case_page_needs_cases_view(world, client):
    case = case_in(world, "reported")
    client.force_login(world.users[Role.MEDIATOR])
    assert client.get(f"/cases/{case.pk}/").status_code == 403


def test_department_handler_sees_only_cases_dispatched_to_the_department(world, client):
    waiting = case_in(world, "registered")
    sent = case_in(world, "dispatched")
    client.force_login(world.users[DEPT])
    assert client.get(f"/cases/{waiting.pk}/").status_code == 404
    page = client.get(f"/cases/{sent.pk}/")
    assert page.status_code == 200
    assert set(forms_on(page.content.decode())) == {"accept", "return"}


def test_register_and_dispatch_in_one_step_with_instructions(world, client):

    case = case_in(world, "reported")
    client.force_login(world.users[OP])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    forms = forms_on(html)
    assert list(forms)[0] == "register_dispatch"  # the usual next step first
    assert set(forms["register_dispatch"]["names"]) - {"csrfmiddlewaretoken", "version", "next"} == \
        {"department", "region", "note"}
    assert "立案并派遣" in html and "派遣意见" in html
    before = _snapshot(case)
    refused = client.post(f"/cases/{case.pk}/act/register_dispatch/",
                          {"version": case.version, "department": "abc"})
    assert refused.status_code == 422 and "事件未作任何改动" in refused.content.decode()
    assert _snapshot(case) == before  # not even registered
    done = client.post(f"/cases/{case.pk}/act/register_dispatch/", {
        "version": case.version, "department": str(world.department.pk), "note": "请今日内到场"})
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.registered_at and case.assignee_department == world.department
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "note"))
    assert events[-2:] == [("register", ""), ("dispatch", "请今日内到场")]


def test_the_usual_action_comes_first_for_a_department(world, client):
    case = case_in(world, "accepted")
    client.force_login(world.users[DEPT])
    assert list(forms_on(client.get(f"/cases/{case.pk}/").content.decode()))[0] == "handle"

