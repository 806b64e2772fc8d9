"""调解组织与调解员名录: committees and mediators are added, edited and retired by operations that need
`mediation.edit_committees` and stay in the actor's area (a street operator in their street, the district
operator in the district). Each test checks both halves: good input changes things with an audit row; bad
input, a missing permission or a target outside the area answers 4xx and changes nothing."""
import json

import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, NotAllowed, OperationError
from wangge.mediation import services
from wangge.mediation import services_directory as directory
from wangge.mediation.models import Committee, CommitteeKind, Level, Mediator, Membership
from wangge.mediation.testing import build_mediation, register
from wangge.testing import make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def m(world):
    return build_mediation(world)


def snapshot():
    """Everything a refused request must leave as it was."""
    committees = list(Committee.objects.order_by("id").values())
    mediators = list(Mediator.objects.order_by("id").values("id", "name", "region_id", "active", "user_id", "title"))
    memberships = list(Membership.objects.order_by("id").values())
    return committees, mediators, memberships, AuditEntry.objects.count()


def committee_values(world, **extra):
    return {"name": "测试社区1-2物业纠纷调解委员会", "kind": CommitteeKind.INDUSTRY, "level": Level.INDUSTRY,
            "region": world.district.code, "dispute_types": ["property_management"], "phone": "028-85551234",
            "address": "武侯大道1号", **extra}


def last_audit(operation):
    return AuditEntry.objects.filter(operation=operation).order_by("-id").first()


# ------------------------------------------------------------------ operations: committees


def test_the_district_operator_adds_a_committee_with_an_audit_row(world, m):
    op = world.users[Role.DISTRICT_OPERATOR]
    committee = directory.do_create_committee(op, **committee_values(world))
    assert (committee.kind, committee.level, committee.region, committee.active) == (
        CommitteeKind.INDUSTRY, Level.INDUSTRY, world.district, True)
    assert committee.dispute_types == ["property_management"] and committee.phone == "028-85551234"
    entry = last_audit("mediation.create_committee")
    assert entry.actor == op and entry.object_id == str(committee.pk)


def test_a_street_operator_adds_committees_in_their_street_only(world, m):
    op = world.users[Role.STREET_OPERATOR]
    inside = directory.do_create_committee(op, name="第二调委会", level=Level.COMMUNITY,
                                           region=world.communities[1].code)
    assert inside.region == world.communities[1]
    before = snapshot()
    for region in (world.communities[2], world.district):  # the other street's community; the district above
        with pytest.raises(FieldErrors) as refused:
            directory.do_create_committee(op, name="越界调委会", level=Level.COMMUNITY, region=region.code)
        assert set(refused.value.errors) == {"region"}
    assert snapshot() == before


def test_bad_committee_input_names_every_field_and_writes_nothing(world, m):
    op = world.users[Role.DISTRICT_OPERATOR]
    before = snapshot()
    with pytest.raises(FieldErrors) as refused:
        directory.do_create_committee(op, name=" ", kind="club", level="planet", region="999999",
                                      dispute_types=["gossip"], phone="12345", address="x" * 201)
    assert set(refused.value.errors) == {"name", "kind", "level", "region", "dispute_types", "phone", "address"}
    shapes = [({"kind": CommitteeKind.PEOPLES, "level": Level.INDUSTRY}, "level"),
              ({"kind": CommitteeKind.INDUSTRY, "level": Level.DISTRICT}, "level"),
              ({"kind": CommitteeKind.OFFICE, "level": Level.STREET, "region": world.streets[0].code}, "level"),
              ({"kind": CommitteeKind.PEOPLES, "level": Level.STREET, "region": world.communities[0].code}, "region")]
    for changes, field in shapes:
        with pytest.raises(FieldErrors) as refused:
            directory.do_create_committee(op, **committee_values(world, **changes))
        assert set(refused.value.errors) == {field}, changes
    with pytest.raises(FieldErrors) as refused:
        directory.do_create_committee(op, **committee_values(world), colour="red")
    assert set(refused.value.errors) == {"colour"}
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.COMMUNITY_OPERATOR, Role.GRID_WORKER, Role.MEDIATOR,
                                  Role.DEPARTMENT_HANDLER])
def test_without_the_permission_nothing_is_written(world, m, role):
    before = snapshot()
    user = world.users[role]
    with pytest.raises(NotAllowed):
        directory.do_create_committee(user, **committee_values(world))
    with pytest.raises(NotAllowed):
        directory.do_update_committee(user, m.committee_of(world.communities[0]), name="改名")
    with pytest.raises(NotAllowed):
        directory.do_retire_committee(user, m.committee_of(world.communities[0]))
    with pytest.raises(NotAllowed):
        directory.do_create_mediator(user, name="新调解员", region=world.communities[0].code)
    with pytest.raises(NotAllowed):
        directory.do_retire_mediator(user, m.mediators["pool"])
    assert snapshot() == before


def test_editing_a_committee_records_what_changed(world, m):
    op = world.users[Role.STREET_OPERATOR]
    committee = m.committee_of(world.communities[0])
    directory.do_update_committee(op, committee, phone="028-85550000", address="社区服务中心")
    committee.refresh_from_db()
    assert (committee.phone, committee.address) == ("028-85550000", "社区服务中心")
    assert last_audit("mediation.update_committee").details["fields"] == ["address", "phone"]
    count = AuditEntry.objects.count()
    directory.do_update_committee(op, committee, phone="028-85550000")  # nothing changes: no row
    assert AuditEntry.objects.count() == count


def test_a_committee_outside_the_area_cannot_be_edited_or_retired(world, m):
    op = world.users[Role.STREET_OPERATOR]
    away = m.committee_of(world.communities[2])
    before = snapshot()
    with pytest.raises(OperationError) as refused:
        directory.do_update_committee(op, away, name="改名")
    assert refused.value.field == "committee"
    with pytest.raises(OperationError):
        directory.do_retire_committee(op, away)
    with pytest.raises(OperationError):  # moving one's own committee out of the area
        directory.do_update_committee(op, m.committee_of(world.communities[0]), region=world.communities[2].code)
    assert snapshot() == before


def test_a_retired_committee_keeps_its_disputes_and_takes_no_new_ones(world, m):
    op = world.users[Role.DISTRICT_OPERATOR]
    home = m.committee_of(world.communities[0])
    dispute = register(world)
    assert dispute.committee == home
    directory.do_retire_committee(op, home)
    home.refresh_from_db()
    dispute.refresh_from_db()
    assert home.active is False and dispute.committee == home  # kept for the record
    assert last_audit("mediation.retire_committee").object_id == str(home.pk)
    assert services.default_committee(Level.COMMUNITY, world.grids[0]) is None
    assert register(world).committee is None
    before = snapshot()
    with pytest.raises(OperationError):
        directory.do_retire_committee(op, home)
    assert snapshot() == before


# ------------------------------------------------------------------ operations: mediators


def test_mediators_are_added_edited_and_retired(world, m):
    op = world.users[Role.STREET_OPERATOR]
    account = make_user("mediator_new", Role.MEDIATOR, region=world.communities[1])
    c0, c1 = m.committee_of(world.communities[0]), m.committee_of(world.communities[1])
    mediator = directory.do_create_mediator(op, name="王调解", region=world.communities[1].code, phone="13900001111",
                                            title="兼职", expertise=["neighbour"], languages="普通话，四川话",
                                            committees=[c1.pk], user=account.pk)
    assert (mediator.user, mediator.languages, mediator.phone) == (account, ["普通话", "四川话"], "13900001111")
    assert list(mediator.committees.all()) == [c1]
    assert last_audit("mediation.create_mediator").details["committees"] == [c1.pk]

    directory.do_update_mediator(op, mediator, committees=[c0.pk, c1.pk], title="专职")
    mediator.refresh_from_db()
    assert set(mediator.committees.all()) == {c0, c1} and mediator.title == "专职"
    assert last_audit("mediation.update_mediator").details["fields"] == ["committees", "title"]

    dispute = register(world)
    assert mediator in services.eligible_mediators(dispute)
    directory.do_retire_mediator(op, mediator)
    mediator.refresh_from_db()
    assert mediator.active is False and mediator not in services.eligible_mediators(dispute)
    assert Membership.objects.filter(mediator=mediator).count() == 2  # kept for the record
    assert last_audit("mediation.retire_mediator").object_id == str(mediator.pk)


def test_bad_mediator_input_names_every_field_and_writes_nothing(world, m):
    op = world.users[Role.STREET_OPERATOR]
    taken = world.users[Role.MEDIATOR]  # already the pool entry mediator_1
    before = snapshot()
    with pytest.raises(FieldErrors) as refused:
        directory.do_create_mediator(op, name="", region=world.grids[0].code, phone="abc", expertise=["gossip"],
                                     languages=["x" * 21], committees=[m.committee_of(world.communities[2]).pk],
                                     user=taken.pk)
    assert set(refused.value.errors) == {"name", "region", "phone", "expertise", "languages", "committees", "user"}
    with pytest.raises(FieldErrors) as refused:
        directory.do_create_mediator(op, name="某人", region=world.communities[0].code,
                                     committees=["99999999999999999999999"], user="nobody")
    assert set(refused.value.errors) == {"committees", "user"}
    with pytest.raises(OperationError):
        directory.do_update_mediator(op, m.mediators[world.outsiders[Role.MEDIATOR].username], name="改名")
    assert snapshot() == before


# ------------------------------------------------------------------ pages


def _body(response):
    return response.content.decode()


def test_the_ledger_links_to_the_directory_for_those_who_keep_it(client, world, m):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert 'id="directory-link"' in _body(client.get("/mediation/"))
    client.force_login(world.users[Role.GRID_WORKER])
    assert 'id="directory-link"' not in _body(client.get("/mediation/"))


def test_the_directory_lists_the_area_only(client, world, m):
    client.force_login(world.users[Role.STREET_OPERATOR])
    body = _body(client.get("/mediation/directory/"))
    for community in world.communities[:2]:
        assert f'data-committee="{m.committee_of(community).pk}"' in body
    for committee in (m.committee_of(world.communities[2]), m.committee_of(world.district), m.committees["office"]):
        assert f'data-committee="{committee.pk}"' not in body
    assert f'data-mediator="{m.mediators["pool"].pk}"' in body
    assert f'data-mediator="{m.mediators[world.outsiders[Role.MEDIATOR].username].pk}"' not in body


@pytest.mark.parametrize("role", [Role.COMMUNITY_OPERATOR, Role.GRID_WORKER, Role.MEDIATOR,
                                  Role.DEPARTMENT_HANDLER])
def test_the_directory_pages_need_the_permission(client, world, m, role):
    client.force_login(world.users[role])
    committee, mediator = m.committee_of(world.communities[0]), m.mediators["pool"]
    for url in ("/mediation/directory/", "/mediation/directory/committees/new/",
                f"/mediation/directory/committees/{committee.pk}/", "/mediation/directory/mediators/new/",
                f"/mediation/directory/mediators/{mediator.pk}/"):
        assert client.get(url).status_code == 403, url
    before = snapshot()
    assert client.post("/mediation/directory/committees/new/", committee_values(world)).status_code == 403
    assert client.post(f"/mediation/directory/committees/{committee.pk}/retire/").status_code == 403
    assert client.post(f"/mediation/directory/mediators/{mediator.pk}/retire/").status_code == 403
    assert snapshot() == before


def test_adding_a_committee_on_the_page(client, world, m):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get("/mediation/directory/committees/new/").status_code == 200
    response = client.post("/mediation/directory/committees/new/", committee_values(world))
    assert response.status_code == 302 and response["Location"] == "/mediation/directory/"
    added = Committee.objects.get(name="测试社区1-2物业纠纷调解委员会")
    assert last_audit("mediation.create_committee").object_id == str(added.pk)
    assert "测试社区1-2物业纠纷调解委员会" in _body(client.get("/mediation/directory/"))


def test_a_bad_committee_on_the_page_shows_the_field_and_saves_nothing(client, world, m):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    before = snapshot()
    response = client.post("/mediation/directory/committees/new/", committee_values(world, phone="12345"))
    assert response.status_code == 400
    assert 'id="id_phone_error"' in _body(response) and "测试社区1-2物业纠纷调解委员会" in _body(response)
    response = client.post("/mediation/directory/committees/new/",
                           committee_values(world, kind=CommitteeKind.PEOPLES))  # a people's one at industry level
    assert response.status_code == 400 and 'id="id_level_error"' in _body(response)
    assert snapshot() == before


def test_editing_and_retiring_a_committee_on_the_page(client, world, m):
    client.force_login(world.users[Role.STREET_OPERATOR])
    committee = m.committee_of(world.communities[1])
    url = f"/mediation/directory/committees/{committee.pk}/"
    form = _body(client.get(url))
    assert committee.name in form and 'id="retire-form"' in form
    data = {"name": "新名字调委会", "kind": committee.kind, "level": committee.level,
            "region": committee.region.code, "phone": "", "address": ""}
    assert client.post(url, data).status_code == 302
    committee.refresh_from_db()
    assert committee.name == "新名字调委会" and last_audit("mediation.update_committee").details["fields"] == ["name"]
    response = client.post(f"{url}retire/")
    assert response.status_code == 302
    committee.refresh_from_db()
    assert committee.active is False
    before = snapshot()
    assert client.post(f"{url}retire/").status_code == 409
    assert snapshot() == before


def test_a_committee_or_mediator_outside_the_area_is_404_on_the_pages(client, world, m):
    client.force_login(world.users[Role.STREET_OPERATOR])
    away = m.committee_of(world.communities[2])
    away_mediator = m.mediators[world.outsiders[Role.MEDIATOR].username]
    before = snapshot()
    assert client.get(f"/mediation/directory/committees/{away.pk}/").status_code == 404
    assert client.post(f"/mediation/directory/committees/{away.pk}/", {"name": "x"}).status_code == 404
    assert client.post(f"/mediation/directory/committees/{away.pk}/retire/").status_code == 404
    assert client.get(f"/mediation/directory/mediators/{away_mediator.pk}/").status_code == 404
    assert client.post(f"/mediation/directory/mediators/{away_mediator.pk}/retire/").status_code == 404
    assert snapshot() == before


def test_mediators_on_the_pages_with_the_phone_never_in_the_clear(client, world, m):
    client.force_login(world.users[Role.STREET_OPERATOR])
    c0 = m.committee_of(world.communities[0])
    response = client.post("/mediation/directory/mediators/new/", {
        "name": "李调解", "region": world.communities[0].code, "title": "律师", "phone": "13900002222",
        "expertise": ["labour", "neighbour"], "languages": "普通话", "committees": [str(c0.pk)], "user": ""})
    assert response.status_code == 302
    mediator = Mediator.objects.get(name="李调解")
    assert mediator.phone == "13900002222" and list(mediator.committees.all()) == [c0]
    url = f"/mediation/directory/mediators/{mediator.pk}/"
    form = _body(client.get(url))
    assert "13900002222" not in form and "139****2222" in form
    response = client.post(url, {"name": "李调解", "region": world.communities[0].code, "title": "律师",
                                 "phone": "", "expertise": ["labour"], "languages": "普通话", "committees": []})
    assert response.status_code == 302
    mediator.refresh_from_db()
    assert mediator.phone == "13900002222"  # left empty: kept
    assert mediator.expertise == ["labour"] and not mediator.committees.exists()
    before = snapshot()
    response = client.post(url, {"name": "", "region": world.communities[2].code, "phone": "1"})
    assert response.status_code == 400 and 'id="id_name_error"' in _body(response)
    assert snapshot() == before
    assert client.post(f"{url}retire/").status_code == 302
    mediator.refresh_from_db()
    assert mediator.active is False


# ------------------------------------------------------------------ API


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type=JSON)


def _patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type=JSON)


def test_api_adds_edits_and_retires_a_committee(client, world, m):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = _post(client, "/api/v1/committees", committee_values(world))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["region"] == world.district.code and data["active"] is True
    assert last_audit("mediation.create_committee").object_id == str(data["id"])
    response = _patch(client, f"/api/v1/committees/{data['id']}", {"phone": "028-85559999"})
    assert response.status_code == 200 and response.json()["phone"] == "028-85559999"
    response = client.post(f"/api/v1/committees/{data['id']}/retire")
    assert response.status_code == 200 and response.json()["active"] is False
    listed = {c["id"] for c in client.get("/api/v1/committees").json()}
    assert data["id"] not in listed
    before = snapshot()
    assert client.post(f"/api/v1/committees/{data['id']}/retire").status_code == 409
    assert snapshot() == before


def test_api_refusals_change_nothing(client, world, m):
    before = snapshot()
    client.force_login(world.users[Role.GRID_WORKER])
    assert _post(client, "/api/v1/committees", committee_values(world)).status_code == 403
    assert _post(client, "/api/v1/mediators", {"name": "x", "region": world.communities[0].code}).status_code == 403
    committee = m.committee_of(world.communities[0])
    assert _patch(client, f"/api/v1/committees/{committee.pk}", {"name": "x"}).status_code == 403
    client.force_login(world.users[Role.STREET_OPERATOR])
    response = _post(client, "/api/v1/committees", committee_values(world, phone="1", region=world.district.code))
    assert response.status_code == 422
    assert {tuple(d["loc"]) for d in response.json()["detail"]} == {("body", "phone"), ("body", "region")}
    away = m.committee_of(world.communities[2])
    assert _patch(client, f"/api/v1/committees/{away.pk}", {"name": "x"}).status_code == 404
    assert client.post(f"/api/v1/committees/{away.pk}/retire").status_code == 404
    assert _patch(client, "/api/v1/committees/99999999999999999999999", {"name": "x"}).status_code in (404, 422)
    assert _patch(client, f"/api/v1/committees/{committee.pk}", {"level": "planet"}).status_code == 422
    response = _post(client, "/api/v1/mediators", {"name": "x", "region": world.communities[0].code,
                                                   "committees": [away.pk]})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "committees"]
    assert snapshot() == before


def test_api_adds_and_retires_a_mediator(client, world, m):
    client.force_login(world.users[Role.STREET_OPERATOR])
    c1 = m.committee_of(world.communities[1])
    response = _post(client, "/api/v1/mediators", {"name": "张调解", "region": world.communities[1].code,
                                                   "phone": "13900003333", "committees": [c1.pk],
                                                   "expertise": ["neighbour"], "languages": ["普通话"]})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["phone"] == "139****3333" and data["committees"] == [c1.pk] and data["has_account"] is False
    response = _patch(client, f"/api/v1/mediators/{data['id']}", {"committees": []})
    assert response.status_code == 200 and response.json()["committees"] == []
    response = client.post(f"/api/v1/mediators/{data['id']}/retire")
    assert response.status_code == 200 and response.json()["active"] is False
    assert last_audit("mediation.retire_mediator").object_id == str(data["id"])


def test_malformed_api_input_is_a_4xx_never_a_server_error(world, m):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    committee = m.committee_of(world.communities[0])
    before = snapshot()
    bodies = [{"name": "x\u0000y", "level": "community", "region": world.communities[0].code},
              {"name": "x", "level": "community", "region": "5101\u0000"},
              {"name": "x", "level": "community", "region": "²"},
              {"name": "x", "level": "community", "region": world.communities[0].code, "dispute_types": "labour"},
              {"name": "x", "level": "community", "region": world.communities[0].code, "dispute_types": [1, None]},
              {"name": ["x"], "level": {}, "region": 5},
              "not an object", [], None]
    for body in bodies:
        response = client.post("/api/v1/committees", json.dumps(body), content_type=JSON)
        assert 400 <= response.status_code < 500, (body, response.status_code)
    mediators = [{"name": "x", "region": world.communities[0].code, "committees": [2 ** 70]},
                 {"name": "x", "region": world.communities[0].code, "committees": ["abc"]},
                 {"name": "x", "region": world.communities[0].code, "user": 2 ** 70},
                 {"name": "x", "region": world.communities[0].code, "languages": ["普通话\u0000"]}]
    for body in mediators:
        response = client.post("/api/v1/mediators", json.dumps(body), content_type=JSON)
        assert 400 <= response.status_code < 500, (body, response.status_code)
    for url in (f"/api/v1/committees/{2 ** 70}", "/api/v1/committees/abc", f"/api/v1/mediators/{2 ** 70}"):
        assert 400 <= client.patch(url, "{}", content_type=JSON).status_code < 500, url
    for url in (f"/api/v1/committees/{2 ** 70}/retire", f"/api/v1/mediators/{2 ** 70}/retire"):
        assert 400 <= client.post(url).status_code < 500, url
    response = client.post("/api/v1/committees", "{", content_type=JSON)
    assert 400 <= response.status_code < 500
    response = client.patch(f"/api/v1/committees/{committee.pk}", json.dumps({"address": "a\u0000b"}),
                            content_type=JSON)
    assert response.status_code == 422
    assert snapshot() == before
