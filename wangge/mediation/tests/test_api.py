"""The disputes API: the ledger and its filters, one dispute whole (masked personal data), registering (also
from a case and by a court's referral), workflow actions with their error codes, committees and mediators.
Bad input answers 4xx and changes nothing: each refusal test checks both halves."""
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.mediation import services
from wangge.mediation.models import (
    Agreement,
    Dispute,
    DisputeCounter,
    DisputeEvent,
    Party,
    PetitionProgress,
    Referral,
    Session,
    State,
)
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, letter, register, soon
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db

JSON = "application/json"
PHONE, ID_NUMBER = "13912345678", make_id_number("19900101", 7)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def m(world):
    return build_mediation(world)


def login(client, user):
    client.force_login(user)
    return user


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type=JSON)


def items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def loc_of(response) -> list:
    assert response.status_code == 422, response.content
    return response.json()["detail"][0]["loc"]


def field_of(response) -> str:
    return loc_of(response)[-1]


def snapshot():
    """Everything a refused request must leave as it was."""
    return (list(Dispute.objects.order_by("pk").values_list("pk", "state", "version", "committee", "mediator")),
            DisputeEvent.objects.count(), Party.objects.count(), Session.objects.count(), Agreement.objects.count(),
            list(Agreement.objects.values_list("confirmation", "performance")), Referral.objects.count(),
            PetitionProgress.objects.count(), AuditEntry.objects.count(),
            list(DisputeCounter.objects.values_list("day", "last")))


def body(world, n=0, **extra):
    lng, lat = world.grid_center(world.grids[n])
    return {"title": "楼上漏水纠纷", "type": "neighbour", "source": "grid", "lng": lng, "lat": lat,
            "parties": [{"name": "甲某", "phone": PHONE, "id_number": ID_NUMBER},
                        {"name": "乙某", "role": "respondent"}], **extra}


def away(world):
    """A dispute in the other street (grid 4), registered by that street's grid worker."""
    lng, lat = world.grid_center(world.grids[4])
    return services.do_register_dispute(world.outsiders[Role.GRID_WORKER], title="噪音纠纷", type="neighbour",
                                        source="grid", lng=lng, lat=lat, parties=[{"name": "丙某"}])


def refer(world, m):
    lng, lat = world.grid_center(world.grids[0])
    return services.do_refer(m.court_handler, letter=letter(), letter_number="（2026）川0107诉前调7号",
                             title="买卖合同纠纷", type="consumer", lng=lng, lat=lat,
                             parties=[{"name": "某商贸公司", "kind": "organisation"}])


# --- the ledger ---------------------------------------------------------------------------------

def test_list_is_scoped_by_area_committee_and_court(world, m, client):
    home, other, referred = register(world), away(world), refer(world, m)
    login(client, world.users[Role.GRID_WORKER])
    assert {d["id"] for d in items(client.get("/api/v1/disputes"))} == {home.pk, referred.pk}
    login(client, world.outsiders[Role.GRID_WORKER])
    assert {d["id"] for d in items(client.get("/api/v1/disputes"))} == {other.pk}
    login(client, world.users[Role.MEDIATOR])  # community 0's committee: the grid 0 dispute only
    assert {d["id"] for d in items(client.get("/api/v1/disputes"))} == {home.pk}
    login(client, world.outsiders[Role.MEDIATOR])
    assert {d["id"] for d in items(client.get("/api/v1/disputes"))} == {other.pk}
    login(client, m.court_handler)  # the court sees what it referred
    assert {d["id"] for d in items(client.get("/api/v1/disputes"))} == {referred.pk}
    login(client, world.users[Role.DEPARTMENT_HANDLER])
    assert items(client.get("/api/v1/disputes")) == []
    login(client, world.users[Role.SYSTEM])
    assert client.get("/api/v1/disputes").status_code == 403
    client.logout()
    assert client.get("/api/v1/disputes").status_code == 401


def test_list_filters(world, m, client):
    op = world.users[Role.DISTRICT_OPERATOR]
    plain = register(world)
    petition = register(world, is_petition=True, title="征地补偿信访", type="demolition")
    mediating = dispute_in(world, m, "mediating")
    risky = register(world, title="劳资纠纷", type="labour", source="police", criminal_risk=True,
                     parties=[{"name": "王某"}, {"name": "某建筑公司", "kind": "organisation", "role": "respondent"}])
    referred = refer(world, m)
    old = register(world, now=timezone.now() - timedelta(days=60), title="陈年纠纷")
    login(client, op)

    def ids(query):
        return {d["id"] for d in items(client.get(f"/api/v1/disputes?limit=100&{query}"))}

    everything = {plain.pk, petition.pk, mediating.pk, risky.pk, referred.pk, old.pk}
    assert ids("") == everything
    assert ids("state=mediating") == {mediating.pk}
    assert ids("state=registered,mediating") == everything
    assert ids("type=labour") == {risky.pk}
    assert ids("source=court") == {referred.pk}
    assert ids("source=police") == {risky.pk}
    assert ids("level=district") == {referred.pk}
    assert ids(f"committee={m.committees['office'].pk}") == {referred.pk}
    assert ids(f"committee={m.committee_of(world.communities[0]).pk}") == everything - {referred.pk}
    assert ids(f"mediator={m.mediators['mediator_1'].pk}") == {mediating.pk}
    assert ids("risk=high") == {risky.pk}
    assert ids("petition=true") == {petition.pk}
    assert ids(f"q={risky.number}") == {risky.pk}
    assert ids("q=征地") == {petition.pk}
    assert ids("q=某建筑公司") == {risky.pk}  # a party's name
    today = timezone.localdate()
    assert ids(f"reported_from={today - timedelta(days=1)}") == everything - {old.pk}
    assert ids(f"reported_to={today - timedelta(days=30)}") == {old.pk}
    assert ids(f"reported_from={today}&reported_to={today}") == everything - {old.pk}
    assert ids("overdue=true") == {old.pk}  # 60 days old, still open past its level's 15 working days
    listed = next(d for d in items(client.get("/api/v1/disputes?overdue=true")))
    assert listed["overdue"] is True and listed["number"] == old.number
    ordered = [d["id"] for d in items(client.get("/api/v1/disputes?ordering=reported_at&limit=100"))]
    assert ordered[0] == old.pk
    page = client.get("/api/v1/disputes?limit=2&offset=0").json()
    assert page["count"] == 6 and len(page["items"]) == 2
    for bad, field in (("state=asleep", "state"), ("type=alien", "type"), ("source=fax", "source"),
                       ("level=planet", "level"), ("risk=extreme", "risk"), ("ordering=title", "ordering"),
                       ("reported_from=yesterday", "reported_from"), ("committee=abc", "committee")):
        assert field_of(client.get(f"/api/v1/disputes?{bad}")) == field, bad


# --- one dispute --------------------------------------------------------------------------------

def test_detail_masks_parties_and_shows_the_whole_story(world, m, client):
    op, med = world.users[Role.COMMUNITY_OPERATOR], world.users[Role.MEDIATOR]
    dispute = register(world, is_petition=True, parties=[{"name": "甲某", "phone": PHONE, "id_number": ID_NUMBER},
                                                        {"name": "乙某", "role": "respondent"}])
    dispute = act(med, dispute, "record_progress", text="已约谈双方")
    dispute = act(med, dispute, "accept")
    dispute = act(med, dispute, "schedule_session", starts_at=soon(), place="社区调解室")
    session = Session.objects.get(dispute=dispute)
    dispute = act(med, dispute, "record_session", session=session.pk, record="双方陈述意见")
    dispute = act(med, dispute, "agree", terms="乙方赔偿甲方3000元", amount="3000.50")
    dispute = act(op, dispute, "apply_confirmation", court=m.court.pk)
    dispute = act(m.court_handler, dispute, "confirm", note="裁定有效")
    dispute = act(op, dispute, "follow_up", performance="partly", note="已付一半")
    login(client, op)
    response = client.get(f"/api/v1/disputes/{dispute.pk}")
    assert response.status_code == 200
    data = response.json()
    text = json.dumps(data, ensure_ascii=False)
    assert PHONE not in text and ID_NUMBER not in text
    first = data["parties"][0]
    assert (first["name"], first["phone"], first["id_number"]) == ("甲某", "139****5678", ID_NUMBER[:6] + "********"
                                                                   + ID_NUMBER[-4:])
    assert [p["role"] for p in data["parties"]] == ["applicant", "respondent"]
    assert data["state"] == "agreed" and data["version"] == dispute.version
    assert data["committee_name"] == m.committee_of(world.communities[0]).name
    assert data["mediator"] == m.mediators["mediator_1"].pk and data["mediator_name"] == "mediator_1"
    [shown] = data["sessions"]
    assert (shown["id"], shown["state"], shown["record"], shown["place"]) == (session.pk, "held", "双方陈述意见",
                                                                             "社区调解室")
    agreement = data["agreement"]
    assert agreement["amount"] == "3000.50" and agreement["terms"] == "乙方赔偿甲方3000元"
    assert (agreement["confirmation"], agreement["confirmation_court"]) == ("confirmed", "区人民法院")
    assert agreement["confirmation_note"] == "裁定有效" and agreement["performance"] == "partly"
    assert [(f["performance"], f["note"], f["by"]) for f in agreement["follow_ups"]] == [("partly", "已付一半",
                                                                                          "community_op")]
    assert [(p["text"], p["by"]) for p in data["progress"]] == [("已约谈双方", "mediator_1")]
    assert data["referral"] is None
    assert [e["action"] for e in data["events"]] == [
        "register", "record_progress", "accept", "schedule_session", "record_session", "agree",
        "apply_confirmation", "confirm", "follow_up"]
    assert data["events"][0]["actor"] == "gridder" and data["created_by"] == "gridder"
    # the court's handler is not the community operator's to know by name: the role is shown
    assert data["events"][7]["actor"] == "职能部门处置人员"
    assert set(data["allowed_actions"]) == {"follow_up", "rate"}


def test_detail_of_a_referral_and_who_sees_it(world, m, client):
    referred = refer(world, m)
    login(client, m.court_handler)
    data = client.get(f"/api/v1/disputes/{referred.pk}").json()
    assert data["referral"]["court"] == "区人民法院" and data["referral"]["letter_number"] == "（2026）川0107诉前调7号"
    assert data["referral"]["letter_name"].endswith(".pdf") and data["referral"]["outcome"] == ""
    assert data["allowed_actions"] == []  # it is the 多调办's to route
    login(client, world.users[Role.DISTRICT_OPERATOR])
    data = client.get(f"/api/v1/disputes/{referred.pk}").json()
    assert "route" in data["allowed_actions"] and data["committee_name"] == "区多元化解办公室"


def test_detail_outside_the_area_is_404(world, m, client):
    dispute = register(world)
    for user in (world.outsiders[Role.STREET_OPERATOR], world.outsiders[Role.GRID_WORKER],
                 world.outsiders[Role.MEDIATOR], world.users[Role.DEPARTMENT_HANDLER], m.court_handler):
        login(client, user)
        assert client.get(f"/api/v1/disputes/{dispute.pk}").status_code == 404, user.username
    login(client, world.users[Role.DISTRICT_OPERATOR])
    assert client.get(f"/api/v1/disputes/{dispute.pk + 999}").status_code == 404
    # only numbers are ids: other words under /disputes/ are left to the routes that own them
    assert client.get("/api/v1/disputes/no-such-page").status_code == 404
    login(client, world.users[Role.SYSTEM])
    assert client.get(f"/api/v1/disputes/{dispute.pk}").status_code == 403


# --- registering --------------------------------------------------------------------------------

def test_grid_worker_registers_with_a_registry_person(world, m, client):
    people = build_registry(world)
    login(client, world.users[Role.GRID_WORKER])
    response = post(client, "/api/v1/disputes", body(world, amount="12000", risk_reasons=["双方情绪激动"],
                                                     parties=[{"person": people["home"]["head"].pk},
                                                              {"name": "乙某", "role": "respondent"}]))
    assert response.status_code == 201, response.content
    data = response.json()
    dispute = Dispute.objects.get(pk=data["id"])
    assert (data["number"], data["state"], data["level"], data["grid"]) == (dispute.number, "registered",
                                                                           "community", world.grids[0].code)
    assert data["committee"] == m.committee_of(world.communities[0]).pk and data["due_by"]
    assert dispute.amount == 12000 and dispute.created_by == world.users[Role.GRID_WORKER]
    head = Party.objects.get(dispute=dispute, role="applicant")
    assert head.person == people["home"]["head"] and head.phone == "13800001111"  # taken from the registry
    detail = client.get(f"/api/v1/disputes/{dispute.pk}").json()
    assert detail["parties"][0]["phone"] == "138****1111"


def test_register_by_grid_code_with_many_parties_is_high_risk(world, m, client):
    login(client, world.users[Role.STREET_OPERATOR])
    parties = [{"name": f"业主{i}"} for i in range(5)] + [{"name": "某物业公司", "kind": "organisation",
                                                           "role": "respondent"}]
    response = post(client, "/api/v1/disputes", body(world, 1, lng=None, lat=None, grid=world.grids[1].code,
                                                     type="property_management", parties=parties))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["risk"] == "high" and data["level"] == "street"
    assert data["committee"] == m.committee_of(world.streets[0]).pk


@pytest.mark.parametrize("change,loc", [
    ({"amount": "-5"}, ["body", "amount"]),
    ({"amount": "五千"}, ["body", "amount"]),
    ({"amount": -5}, ["body", "amount"]),
    ({"title": ""}, ["body", "title"]),
    ({"type": "alien"}, ["body", "type"]),
    ({"source": "fax"}, ["body", "source"]),
    ({"parties": []}, ["body", "parties"]),
    ({"parties": [{"role": "applicant"}]}, ["body", "parties", 0, "name"]),
    ({"parties": [{"name": "甲某", "phone": "call me"}]}, ["body", "parties", 0, "phone"]),
    ({"parties": [{"name": "甲某", "id_number": "510107199001011230"}]}, ["body", "parties", 0, "id_number"]),
    ({"lng": 120.0, "lat": 30.0}, ["body", "location"]),  # outside the district
    ({"lng": None, "lat": None}, ["body", "location"]),
    ({"grid": "510107999999999", "lng": None, "lat": None}, ["body", "grid"]),
    ({"level": "planet"}, ["body", "level"]),
    ({"committee": 999999}, ["body", "committee"]),
    ({"risk": "extreme"}, ["body", "risk"]),
    ({"is_petition": True, "leader": 999999}, ["body", "leader"]),
])
def test_bad_registration_is_422_and_stores_nothing(world, m, client, change, loc):
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    before = snapshot()
    assert loc_of(post(client, "/api/v1/disputes", body(world, **change))) == loc
    assert snapshot() == before


def test_parties_and_places_outside_the_callers_area_are_refused(world, m, client):
    people = build_registry(world)
    login(client, world.users[Role.GRID_WORKER])
    before = snapshot()
    outside_person = [{"name": "甲某"}, {"person": people["away"]["head"].pk, "role": "respondent"}]
    assert loc_of(post(client, "/api/v1/disputes", body(world, parties=outside_person))) == \
        ["body", "parties", 1, "person"]
    assert loc_of(post(client, "/api/v1/disputes", body(world, parties=[{"person": 999999}]))) == \
        ["body", "parties", 0, "person"]
    assert field_of(post(client, "/api/v1/disputes", body(world, 4))) == "location"
    assert field_of(post(client, "/api/v1/disputes", body(world, lng=None, lat=None,
                                                          grid=world.grids[4].code))) == "grid"
    assert field_of(post(client, "/api/v1/disputes", body(world, lng=None, lat=None,
                                                          region=world.streets[1].code))) == "region"
    # a leader in charge from the other street neither oversees grid 0 nor is the grid worker's to name
    assert field_of(post(client, "/api/v1/disputes", body(
        world, is_petition=True, leader=world.outsiders[Role.STREET_OPERATOR].pk))) == "leader"
    # another community's committee does not serve grid 0
    assert field_of(post(client, "/api/v1/disputes", body(
        world, committee=m.committee_of(world.communities[2]).pk))) == "committee"
    assert snapshot() == before


def test_who_may_register(world, m, client):
    before = snapshot()
    for user in (world.users[Role.DEPARTMENT_HANDLER], world.users[Role.SYSTEM], world.users[Role.ADMINISTRATOR],
                 m.court_handler):
        login(client, user)
        assert post(client, "/api/v1/disputes", body(world)).status_code == 403, user.username
    assert snapshot() == before
    login(client, world.users[Role.MEDIATOR])
    assert post(client, "/api/v1/disputes", body(world)).status_code == 201


# --- from a case --------------------------------------------------------------------------------

def _case(world, code="11001", n=0, user=None):
    from wangge.cases import services as case_services

    lng, lat = world.grid_center(world.grids[n])
    return case_services.do_report_case(user or world.users[Role.GRID_WORKER], category=code, title="邻居占用楼道",
                                        description="堆放杂物引发争吵", lng=lng, lat=lat)


def test_a_dispute_case_becomes_a_dispute_once(world, m, client):
    from wangge.cases.models import CaseEvent

    case, other, not_a_dispute = _case(world), _case(world), _case(world, "01001")
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    response = post(client, f"/api/v1/cases/{case.pk}/dispute", {"type": "neighbour",
                                                                 "parties": [{"name": "甲某"}]})
    assert response.status_code == 201, response.content
    dispute = Dispute.objects.get(pk=response.json()["id"])
    assert dispute.case == case and dispute.title == case.title and dispute.grid == world.grids[0]
    assert CaseEvent.objects.filter(case=case, action="to_dispute").exists()
    assert client.get(f"/api/v1/disputes/{dispute.pk}").json()["case"] == case.number
    before = snapshot()
    assert field_of(post(client, f"/api/v1/cases/{case.pk}/dispute", {"type": "neighbour"})) == "case"
    assert field_of(post(client, f"/api/v1/cases/{not_a_dispute.pk}/dispute", {})) == "case"
    assert field_of(post(client, f"/api/v1/cases/{other.pk}/dispute", {"type": "alien"})) == "type"
    assert field_of(post(client, f"/api/v1/cases/{other.pk}/dispute", {"amount": "-1"})) == "amount"
    assert field_of(post(client, f"/api/v1/cases/{other.pk}/dispute",
                         {"parties": [{"name": "甲某", "phone": "nope"}]})) == "phone"
    assert snapshot() == before


def test_a_case_outside_the_area_is_404(world, m, client):
    case, home = _case(world, n=4, user=world.outsiders[Role.GRID_WORKER]), _case(world)
    before = snapshot()
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    assert post(client, f"/api/v1/cases/{case.pk}/dispute", {}).status_code == 404
    assert post(client, "/api/v1/cases/999999/dispute", {}).status_code == 404
    login(client, world.users[Role.DEPARTMENT_HANDLER])  # sees no case that is not dispatched to it
    assert post(client, f"/api/v1/cases/{home.pk}/dispute", {}).status_code == 404
    assert snapshot() == before


# --- court referrals ----------------------------------------------------------------------------

def referral_form(world, **extra):
    lng, lat = world.grid_center(world.grids[0])
    return {"letter_number": "（2026）川0107诉前调9号", "title": "借款合同纠纷", "type": "consumer",
            "court_case_number": "（2026）川0107民初123号", "lng": lng, "lat": lat,
            "parties": json.dumps([{"name": "赵某"}, {"name": "钱某", "role": "respondent"}]), **extra}


def test_a_court_refers_with_its_letter(world, m, client):
    login(client, m.court_handler)
    response = client.post("/api/v1/referrals", {**referral_form(world), "letter": letter()})
    assert response.status_code == 201, response.content
    data = response.json()
    dispute = Dispute.objects.get(pk=data["id"])
    assert data["committee"] == m.committees["office"].pk and data["level"] == "district"
    assert dispute.source == "court" and dispute.parties.count() == 2
    assert dispute.referral.court == m.court and dispute.referral.letter.read().startswith(b"%PDF")
    # without a place it belongs to the court's region
    form = {k: v for k, v in referral_form(world).items() if k not in ("lng", "lat")}
    response = client.post("/api/v1/referrals", {**form, "letter": letter()})
    assert response.status_code == 201 and response.json()["region"] == world.district.code


@pytest.mark.parametrize("change,field", [
    ({"letter": None}, "letter"),
    ({"letter": "program"}, "letter"),  # not a PDF, an image or a document
    ({"letter_number": ""}, "letter_number"),
    ({"parties": "not json"}, "parties"),
    ({"parties": "[]"}, "parties"),
    ({"type": "alien"}, "type"),
    ({"amount": "-3"}, "amount"),
    ({"lng": "120.0", "lat": "30.0"}, "location"),
])
def test_a_bad_referral_is_422_and_stores_nothing(world, m, client, change, field):
    login(client, m.court_handler)
    form = {**referral_form(world), "letter": letter(), **change}
    if form["letter"] == "program":
        form["letter"] = SimpleUploadedFile("移送函.exe", b"MZ synthetic", content_type="application/octet-stream")
    form = {k: v for k, v in form.items() if v is not None}
    before = snapshot()
    response = client.post("/api/v1/referrals", form)
    assert loc_of(response) == ["form", field]
    assert snapshot() == before


def test_only_a_court_refers(world, m, client):
    before = snapshot()
    for user in (world.users[Role.DEPARTMENT_HANDLER], world.users[Role.DISTRICT_OPERATOR]):
        login(client, user)
        assert client.post("/api/v1/referrals", {**referral_form(world), "letter": letter()}).status_code == 403
    assert snapshot() == before


# --- acting -------------------------------------------------------------------------------------

def action(client, dispute, name, version=None, **params):
    dispute.refresh_from_db()
    version = dispute.version if version is None else version
    return post(client, f"/api/v1/disputes/{dispute.pk}/actions/{name}", {"version": version, **params})


def test_the_whole_mediation_over_the_api(world, m, client):
    dispute = register(world)
    login(client, world.users[Role.MEDIATOR])
    data = action(client, dispute, "accept").json()
    assert data["state"] == "accepted" and data["version"] == dispute.version + 1
    assert data["mediator_name"] == "mediator_1" and "schedule_session" in data["allowed_actions"]
    starts = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    data = action(client, dispute, "schedule_session", starts_at=starts.isoformat(),
                  online_room="https://meet.example.invalid/r/9").json()
    assert data["state"] == "mediating" and data["sessions"][0]["online_room"].endswith("/r/9")
    data = action(client, dispute, "record_session", session=data["sessions"][0]["id"], record="双方同意协商").json()
    assert data["sessions"][0]["state"] == "held"
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    data = action(client, dispute, "assign_mediator", mediator=m.mediators["pool"].pk, chosen_by_parties=True).json()
    assert data["mediator"] == m.mediators["pool"].pk
    perform_by = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = action(client, dispute, "agree", terms="乙方维修管道并赔偿2000元", amount=2000, perform_by=perform_by).json()
    assert data["state"] == "agreed" and data["agreement"]["amount"] == "2000.00"
    assert data["agreement"]["perform_by"] == perform_by and data["closed_at"]
    data = action(client, dispute, "apply_confirmation", court="FY").json()
    assert data["agreement"]["confirmation"] == "applied"
    login(client, m.court_handler)
    data = action(client, dispute, "refuse_confirmation", note="协议内容违法").json()
    assert data["agreement"]["confirmation"] == "refused"
    login(client, world.users[Role.MEDIATOR])
    party = data["parties"][0]["id"]
    data = action(client, dispute, "rate", party=party, rating=5).json()
    assert data["parties"][0]["rating"] == 5
    assert [e["action"] for e in data["events"]] == ["register", "accept", "schedule_session", "record_session",
                                                     "assign_mediator", "agree", "apply_confirmation",
                                                     "refuse_confirmation", "rate"]


def test_route_escalate_and_withdraw(world, m, client):
    referred = refer(world, m)
    login(client, world.users[Role.DISTRICT_OPERATOR])
    target = m.committee_of(world.communities[0])
    data = action(client, referred, "route", committee=target.pk).json()
    assert data["committee"] == target.pk and data["level"] == "community"
    assert data["referral"]["routed_at"]
    login(client, world.users[Role.MEDIATOR])
    data = action(client, referred, "escalate", reason="涉及金额较大").json()
    # the street's committee has it now, out of the community mediator's sight: only what became of it
    assert data == {"id": referred.pk, "number": referred.number, "state": "registered", "level": "street",
                    "version": referred.version + 1, "committee_name": m.committee_of(world.streets[0]).name,
                    "handed_over": True}
    assert client.get(f"/api/v1/disputes/{referred.pk}").status_code == 404
    login(client, world.users[Role.STREET_OPERATOR])
    data = client.get(f"/api/v1/disputes/{referred.pk}").json()
    assert data["committee"] == m.committee_of(world.streets[0]).pk and data["escalation_count"] == 1
    data = action(client, referred, "withdraw", reason="当事人撤诉").json()
    assert data["state"] == "withdrawn" and data["referral"]["outcome"] == "returned"


def remember(dispute):
    dispute.refresh_from_db()
    return dispute


def test_refusals_and_their_codes(world, m, client):
    dispute = remember(register(world))
    before = snapshot()
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    refused = action(client, dispute, "agree", **PARAMS["agree"])  # not mediating yet
    assert refused.status_code == 409 and refused.json()["code"] == "state"
    refused = action(client, dispute, "rate", party=dispute.parties.first().pk, rating=5)
    assert refused.status_code == 409 and refused.json()["code"] == "state"
    refused = action(client, dispute, "fly")
    assert refused.status_code == 409 and refused.json()["code"] == "action"
    refused = action(client, dispute, "escalate", reason="x")  # escalate: fine; record_progress: not a petition
    assert refused.status_code == 200
    dispute = remember(dispute)
    before = snapshot()
    refused = action(client, dispute, "record_progress", text="进展")
    assert refused.status_code == 409 and refused.json()["code"] == "guard"
    refused = action(client, dispute, "accept")  # now the street's: a community operator may not
    assert refused.status_code == 409 and refused.json()["code"] == "guard"
    login(client, world.users[Role.GRID_WORKER])
    refused = action(client, dispute, "withdraw", reason="x")
    assert refused.status_code == 403 and refused.json()["code"] == "role"
    for outsider in (world.outsiders[Role.STREET_OPERATOR], world.outsiders[Role.MEDIATOR],
                     world.users[Role.DEPARTMENT_HANDLER]):
        login(client, outsider)
        assert action(client, dispute, "withdraw", reason="x").status_code == 404
    assert snapshot() == before


def test_bad_action_inputs_are_422_and_change_nothing(world, m, client):
    mediating = remember(dispute_in(world, m, "mediating"))
    agreed = remember(dispute_in(world, m, "agreed"))
    before = snapshot()
    login(client, world.users[Role.MEDIATOR])
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    assert field_of(action(client, mediating, "schedule_session", starts_at=past, place="调解室")) == "starts_at"
    assert field_of(action(client, mediating, "schedule_session", starts_at="明天", place="调解室")) == "starts_at"
    assert field_of(action(client, mediating, "schedule_session", starts_at=soon().isoformat())) == "place"
    for amount in ("-100", -100, "a lot", "1.001"):
        assert field_of(action(client, mediating, "agree", terms="赔偿", amount=amount)) == "amount", amount
    assert field_of(action(client, mediating, "agree", terms="")) == "terms"
    assert field_of(action(client, mediating, "agree", terms="赔偿", perform_by="2000-01-01")) == "perform_by"
    assert field_of(action(client, mediating, "fail")) == "reason"
    assert field_of(action(client, mediating, "record_session", session=999999, record="x")) == "session"
    assert field_of(action(client, mediating, "assign_mediator", mediator=999999)) == "mediator"
    # a mediator of another committee is no choice for this one
    assert field_of(action(client, mediating, "assign_mediator",
                           mediator=m.mediators["mediator_2"].pk)) == "mediator"
    assert field_of(action(client, mediating, "transfer", reason="x", committee=999999)) == "committee"
    assert field_of(action(client, agreed, "apply_confirmation", court="XX")) == "court"
    assert field_of(action(client, agreed, "apply_confirmation")) == "court"  # no referral: name the court
    assert field_of(action(client, agreed, "rate", party=999999, rating=5)) == "party"
    assert field_of(action(client, agreed, "rate", party=agreed.parties.first().pk, rating=9)) == "rating"
    assert field_of(action(client, agreed, "follow_up", performance="pending")) == "performance"
    assert field_of(post(client, f"/api/v1/disputes/{agreed.pk}/actions/follow_up", {"performance": "kept"})) \
        == "version"
    assert snapshot() == before


def test_stale_version_is_409_and_changes_nothing(world, m, client):
    """Two people read the dispute at the same version; the first to act wins, the second gets 409."""
    from django.test import Client

    dispute = remember(dispute_in(world, m, "mediating"))
    first, second = Client(), Client()
    first.force_login(world.users[Role.MEDIATOR])
    second.force_login(world.users[Role.COMMUNITY_OPERATOR])
    seen = first.get(f"/api/v1/disputes/{dispute.pk}").json()["version"]
    assert second.get(f"/api/v1/disputes/{dispute.pk}").json()["version"] == seen
    won = post(first, f"/api/v1/disputes/{dispute.pk}/actions/agree", {"version": seen, **PARAMS["agree"]})
    assert won.status_code == 200 and won.json()["state"] == "agreed"
    before = snapshot()
    lost = post(second, f"/api/v1/disputes/{dispute.pk}/actions/fail", {"version": seen, **PARAMS["fail"]})
    assert lost.status_code == 409 and lost.json()["code"] == "version"
    assert snapshot() == before
    assert Dispute.objects.get(pk=dispute.pk).state == State.AGREED
    assert Agreement.objects.filter(dispute=dispute).count() == 1


# --- committees and mediators -------------------------------------------------------------------

def test_committees_are_scoped_and_offered_for_a_dispute(world, m, client):
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    names = {c["name"] for c in client.get("/api/v1/committees").json()}
    assert names == {m.committee_of(world.communities[0]).name}
    login(client, world.users[Role.DISTRICT_OPERATOR])
    listed = client.get("/api/v1/committees").json()
    assert len(listed) == len(m.committees)
    assert {c["id"] for c in client.get("/api/v1/committees?kind=industry").json()} == {m.committees["medical"].pk}
    assert {c["id"] for c in client.get("/api/v1/committees?level=street").json()} == \
        {m.committee_of(s).pk for s in world.streets}
    medical = {c["id"] for c in client.get("/api/v1/committees?type=medical").json()}
    assert m.committees["medical"].pk in medical
    assert m.committees["medical"].pk not in {c["id"] for c in client.get("/api/v1/committees?type=labour").json()}
    assert field_of(client.get("/api/v1/committees?kind=secret")) == "kind"
    dispute = register(world)
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    offered = {c["id"] for c in client.get(f"/api/v1/committees?dispute={dispute.pk}").json()}
    assert offered == {m.committee_of(world.communities[0]).pk, m.committee_of(world.streets[0]).pk,
                       m.committee_of(world.district).pk}  # the medical committee takes medical disputes only
    login(client, world.outsiders[Role.COMMUNITY_OPERATOR])
    assert client.get(f"/api/v1/committees?dispute={dispute.pk}").status_code == 404
    login(client, world.users[Role.SYSTEM])
    assert client.get("/api/v1/committees").status_code == 403


def test_mediators_are_scoped_masked_and_eligible_for_a_dispute(world, m, client):
    pool = m.mediators["pool"]
    pool.phone = "13700001234"
    pool.save()
    login(client, world.users[Role.COMMUNITY_OPERATOR])
    listed = client.get("/api/v1/mediators").json()
    assert {d["id"] for d in listed} == {m.mediators["mediator_1"].pk, pool.pk}
    shown = next(d for d in listed if d["id"] == pool.pk)
    assert shown["phone"] == "137****1234" and "13700001234" not in json.dumps(listed)
    assert shown["committees"] == [m.committee_of(world.communities[0]).pk] and shown["has_account"] is False
    assert [d["id"] for d in client.get("/api/v1/mediators?type=property_management").json()] == [pool.pk]
    dispute = register(world)
    eligible = client.get(f"/api/v1/mediators?dispute={dispute.pk}").json()
    assert [d["id"] for d in eligible] == [m.mediators["mediator_1"].pk, pool.pk]  # neighbour expertise first
    login(client, world.users[Role.GRID_WORKER])
    # the mediator's account is not the grid worker's to know: named by role, the pool member by name
    names = {d["id"]: d["name"] for d in client.get(f"/api/v1/mediators?dispute={dispute.pk}").json()}
    assert names == {m.mediators["mediator_1"].pk: "调解员", pool.pk: pool.name}
    login(client, world.outsiders[Role.MEDIATOR])
    assert client.get(f"/api/v1/mediators?dispute={dispute.pk}").status_code == 404
    assert {d["id"] for d in client.get("/api/v1/mediators").json()} == {m.mediators["mediator_2"].pk}
