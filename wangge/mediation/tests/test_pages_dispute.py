"""The dispute page and its action forms: every allowed action is a form per the contract (data-action, hidden
version, parameter names, one submit button); a POST moves the dispute through services.do_act, and each
refusal (bad input, stale version, wrong role, outside the area) answers its status and changes nothing."""
from html.parser import HTMLParser

import pytest
from django.urls import NoReverseMatch, reverse

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.mediation import workflow
from wangge.mediation.models import Dispute, DisputeEvent, Session, State
from wangge.mediation.testing import PARAMS, build_mediation, dispute_in, register, soon

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13912345678", "510107199001010018"


class _Forms(HTMLParser):
    """Every <form data-action> on a page: its action URL, its input names, its version, its buttons."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-action" in attrs:
            self.current = {"action": attrs.get("action"), "names": [], "version": None, "buttons": 0}
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


def forms_on(response):
    parser = _Forms()
    parser.feed(response.content.decode())
    return parser.forms


@pytest.fixture
def m(world):
    return build_mediation(world)


def _url(dispute, action=None):
    return f"/mediation/{dispute.pk}/" + (f"act/{action}/" if action else "")


def _post(client, dispute, action, **data):
    dispute.refresh_from_db()
    return client.post(_url(dispute, action), {"version": dispute.version, **data})


@pytest.mark.parametrize("variant", ["registered", "accepted", "mediating", "agreed", "agreed_applied", "petition"])
def test_every_allowed_action_has_a_form_by_the_contract(client, world, m, variant):
    dispute = dispute_in(world, m, variant)
    for user in (world.users[Role.MEDIATOR], world.users[Role.COMMUNITY_OPERATOR], m.court_handler):
        if not Dispute.objects.visible_to(user).filter(pk=dispute.pk).exists():
            continue
        client.force_login(user)
        response = client.get(_url(dispute))
        assert response.status_code == 200
        forms = forms_on(response)
        dispute.refresh_from_db()
        assert set(forms) == set(workflow.allowed_actions(dispute, user)), (variant, user.username)
        for action, form in forms.items():
            assert form["action"] == _url(dispute, action)
            assert form["version"] == str(dispute.version) and form["buttons"] == 1
            assert set(workflow.FLOW.params(action)) <= set(form["names"]), action


def test_parties_are_masked_and_the_page_shows_what_the_dispute_has(client, world, m):
    dispute = register(world, parties=[{"name": "甲某", "phone": PHONE, "id_number": ID_NUMBER},
                                       {"name": "乙某", "role": "respondent"}], amount="1200")
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    body = client.get(_url(dispute)).content.decode()
    assert PHONE not in body and ID_NUMBER not in body
    assert "139****5678" in body and "510107********0018" in body
    for text in (dispute.number, "楼上漏水纠纷", "邻里纠纷", "网格排查", "社区",
                 m.committee_of(world.communities[0]).name, "1,200.00 元", "申请人", "被申请人", "登记"):
        assert text in body, text


def test_outside_the_area_answers_404_and_a_role_without_view_403(client, world, m):
    dispute = register(world)
    for user in (world.outsiders[Role.COMMUNITY_OPERATOR], world.outsiders[Role.MEDIATOR],
                 world.outsiders[Role.GRID_WORKER], world.users[Role.DEPARTMENT_HANDLER]):
        client.force_login(user)
        assert client.get(_url(dispute)).status_code == 404, user.username
        assert _post(client, dispute, "withdraw", reason="x").status_code == 404, user.username
    client.force_login(world.users[Role.SYSTEM])
    assert client.get(_url(dispute)).status_code == 403
    dispute.refresh_from_db()
    assert dispute.state == State.REGISTERED and dispute.version == 1


def test_a_mediator_takes_a_dispute_to_an_agreement_on_the_page(client, world, m):
    dispute = register(world)
    client.force_login(world.users[Role.MEDIATOR])
    response = _post(client, dispute, "accept", note="")
    assert response.status_code == 302 and response["Location"] == _url(dispute)
    starts = soon().strftime("%Y-%m-%dT%H:%M")
    assert _post(client, dispute, "schedule_session", starts_at=starts, place="社区调解室").status_code == 302
    session = Session.objects.get(dispute=dispute)
    assert _post(client, dispute, "record_session", session=session.pk, record="双方陈述").status_code == 302
    assert _post(client, dispute, "agree", terms="赔偿500元", amount="500", perform_by="").status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == State.AGREED and dispute.mediator == m.mediators["mediator_1"]
    assert dispute.agreement.amount == 500
    body = client.get(_url(dispute)).content.decode()
    assert "赔偿500元" in body and "调解成功" in body and "已召开" in body


def test_bad_input_is_refused_with_its_field_and_changes_nothing(client, world, m):
    dispute = dispute_in(world, m, "accepted")
    client.force_login(world.users[Role.MEDIATOR])
    before = (dispute.version, DisputeEvent.objects.count(), Session.objects.count())
    response = _post(client, dispute, "schedule_session", starts_at="2001-01-01T09:00", place="社区调解室")
    assert response.status_code == 422
    assert "调解时间不能早于现在" in response.content.decode()
    response = _post(client, dispute, "schedule_session", starts_at="不是时间", place="社区调解室")
    assert response.status_code == 422 and "时间格式" in response.content.decode()
    dispute.refresh_from_db()
    assert (dispute.version, DisputeEvent.objects.count(), Session.objects.count()) == before
    assert dispute.state == State.ACCEPTED
    # the good half: the same form with a time to come
    assert _post(client, dispute, "schedule_session", starts_at=soon().strftime("%Y-%m-%dT%H:%M"),
                 place="社区调解室").status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == State.MEDIATING


def test_a_stale_version_is_a_conflict_and_changes_nothing(client, world, m):
    dispute = register(world)
    client.force_login(world.users[Role.MEDIATOR])
    response = client.post(_url(dispute, "accept"), {"version": dispute.version + 5})
    assert response.status_code == 409
    assert "已被他人修改" in response.content.decode()
    response = client.post(_url(dispute, "accept"), {})
    assert response.status_code == 422 and "缺少版本号" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.state == State.REGISTERED and dispute.version == 1


def test_a_role_the_table_refuses_gets_403_and_nothing_changes(client, world, m):
    dispute = register(world)
    client.force_login(world.users[Role.GRID_WORKER])  # sees it (its grid), may not accept
    assert "accept" not in forms_on(client.get(_url(dispute)))
    response = _post(client, dispute, "accept")
    assert response.status_code == 403 and "当前角色不能执行此操作" in response.content.decode()
    client.force_login(world.users[Role.MEDIATOR])
    response = _post(client, dispute, "agree", terms="x")  # registered: no agreement yet
    assert response.status_code == 409  # not in this state: the API's status too (core/refusals.py)
    assert client.post(_url(dispute, "no_such_action"), {"version": 1}).status_code == 404
    dispute.refresh_from_db()
    assert dispute.state == State.REGISTERED and dispute.version == 1


def test_route_offers_the_committees_serving_the_dispute(client, world, m, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from wangge.mediation import services
    from wangge.mediation.testing import letter

    lng, lat = world.grid_center(world.grids[0])
    dispute = services.do_refer(m.court_handler, letter=letter(), letter_number="诉前调1号", title="合同纠纷",
                                type="consumer", lng=lng, lat=lat, parties=[{"name": "丙某"}])
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    body = client.get(_url(dispute)).content.decode()
    assert m.committee_of(world.communities[0]).name in body
    assert m.committee_of(world.communities[2]).name not in body  # does not serve grid 0
    assert m.committees["medical"].name not in body  # does not take consumer disputes
    response = _post(client, dispute, "route", committee=m.committees["medical"].pk)
    assert response.status_code == 422 and "不受理此类纠纷" in response.content.decode()
    response = _post(client, dispute, "route", committee=m.committee_of(world.communities[0]).pk)
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.committee == m.committee_of(world.communities[0])
    assert client.get(f"/mediation/{dispute.pk}/letter/").status_code == 200
    client.force_login(world.outsiders[Role.MEDIATOR])
    assert client.get(f"/mediation/{dispute.pk}/letter/").status_code == 404


def test_the_agreement_document_link_only_when_its_page_exists(client, world, m):
    dispute = dispute_in(world, m, "agreed")
    client.force_login(world.users[Role.MEDIATOR])
    body = client.get(_url(dispute)).content.decode()
    try:
        url = reverse("mediation:agreement_doc", args=[dispute.pk])
    except NoReverseMatch:
        assert 'id="agreement-doc"' not in body
    else:
        assert f'href="{url}"' in body


def test_revealing_a_partys_phone_needs_a_reason_and_is_logged(client, world, m):
    dispute = register(world, parties=[{"name": "甲某", "phone": PHONE}])
    party = dispute.parties.get()
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    url = f"/mediation/{dispute.pk}/parties/{party.pk}/reveal/phone/"
    response = client.post(url, {"reason": ""})
    assert response.status_code == 422 and PHONE not in response.content.decode()
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()
    response = client.post(url, {"reason": "通知当事人参加调解"})
    # Post/redirect/get: the browser leaves the POST, so a refresh does not reveal (and log) again.
    assert response.status_code == 302 and response["Location"] == f"/mediation/{dispute.pk}/#party-{party.pk}"
    assert PHONE in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(operation="core.reveal", details__reason="通知当事人参加调解").count() == 1
    assert PHONE not in client.get(f"/mediation/{dispute.pk}/").content.decode()  # the refresh: masked again
    assert AuditEntry.objects.filter(operation="core.reveal").count() == 1
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.post(url, {"reason": "看看"}).status_code == 403


def test_a_court_handler_confirms_and_the_page_says_so(client, world, m):
    dispute = dispute_in(world, m, "agreed_applied")
    client.force_login(m.court_handler)
    assert set(forms_on(client.get(_url(dispute)))) == {"confirm", "refuse_confirmation"}
    response = _post(client, dispute, "refuse_confirmation", note="")
    assert response.status_code == 422 and "请填写说明" in response.content.decode()
    assert _post(client, dispute, "confirm", note=PARAMS["confirm"]["note"]).status_code == 302
    body = client.get(_url(dispute)).content.decode()
    assert "已司法确认" in body and m.court.name in body
