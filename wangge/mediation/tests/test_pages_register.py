"""登记 and 转为矛盾纠纷: a good form registers through services.do_register_dispute; bad input (the form's own
checks and the operation's) answers 400 with the message by its field and saves nothing."""
import pytest

from wangge.core.roles import Role
from wangge.mediation.models import Dispute, Party
from wangge.mediation.testing import build_mediation
from wangge.testing import build_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def m(world):
    return build_mediation(world)


def _form(world, **extra):
    lng, lat = world.grid_center(world.grids[0])
    data = {"title": "装修噪音纠纷", "type": "neighbour", "source": "grid", "summary": "楼上夜间装修",
            "lng": lng, "lat": lat, "amount": "", "risk": "low", "risk_reasons": "",
            "party-0-role": "applicant", "party-0-kind": "person", "party-0-name": "甲某",
            "party-0-phone": "13912345678",
            "party-1-role": "respondent", "party-1-kind": "person", "party-1-name": "乙某"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_a_grid_worker_registers_a_dispute(client, world, m):
    client.force_login(world.users[Role.GRID_WORKER])
    assert client.get("/mediation/new/").status_code == 200
    response = client.post("/mediation/new/", _form(world, amount="3000", risk_reasons="有过激言行\n\n多次报警"))
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/mediation/{dispute.pk}/"
    assert dispute.grid == world.grids[0] and dispute.committee == m.committee_of(world.communities[0])
    assert dispute.risk_reasons == ["有过激言行", "多次报警"] and dispute.amount == 3000
    parties = list(dispute.parties.order_by("id").values_list("name", "role", "phone"))
    assert parties == [("甲某", "applicant", "13912345678"), ("乙某", "respondent", "")]


def test_a_grid_instead_of_a_point_and_a_petition_with_its_leader(client, world, m):
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    leader = world.users[Role.COMMUNITY_OPERATOR]
    response = client.post("/mediation/new/", _form(world, lng="", lat="", grid=world.grids[1].code,
                                                     is_petition="on", leader=str(leader.pk)))
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.grid == world.grids[1] and dispute.is_petition and dispute.leader == leader


@pytest.mark.parametrize("change, field, message", [
    ({"title": ""}, "id_title_error", ""),
    ({"type": "nonsense"}, "id_type_error", ""),
    ({"lng": "", "lat": ""}, "id_lng_error", "请在地图上选点或选择网格"),
    ({"lng": "", "lat": "", "grid": "510107002002002"}, "id_grid_error", ""),  # another street's grid
    ({"amount": "-5"}, "id_amount_error", "金额不能为负数"),
    ({"party-0-phone": "12345"}, "party-0-phone_error", ""),
    ({"party-0-id_number": "510107199001010011"}, "party-0-id_number_error", "校验位错误"),
    ({"party-0-name": "", "party-0-phone": "", "party-1-name": ""}, "parties_error", "至少登记一名当事人"),
    ({"leader_name": "张书记"}, "id_is_petition_error", "信访事项"),
])
def test_bad_input_is_shown_by_its_field_and_nothing_is_saved(client, world, m, change, field, message):
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.post("/mediation/new/", _form(world, **change))
    body = response.content.decode()
    assert response.status_code == 400, body[:2000]
    assert f'id="{field}"' in body and message in body
    assert "未保存" in body
    assert not Dispute.objects.exists() and not Party.objects.exists()


def test_a_point_outside_the_area_is_refused(client, world, m):
    client.force_login(world.users[Role.GRID_WORKER])
    lng, lat = world.grid_center(world.grids[4])
    response = client.post("/mediation/new/", _form(world, lng=lng, lat=lat))
    assert response.status_code == 400 and 'id="id_lng_error"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_roles_that_do_not_register_get_403(client, world, m):
    for user in (world.users[Role.DEPARTMENT_HANDLER], world.users[Role.SYSTEM], m.court_handler,
                 world.users[Role.ADMINISTRATOR]):
        client.force_login(user)
        assert client.get("/mediation/new/").status_code == 403, user.username
        assert client.post("/mediation/new/", _form(world)).status_code == 403, user.username
    assert not Dispute.objects.exists()


def test_parties_from_the_registry_within_the_area(client, world, m):
    people = build_registry(world)
    home, away = people["home"]["head"], people["away"]["head"]
    client.force_login(world.users[Role.GRID_WORKER])
    found = client.get("/mediation/new/parties/", {"q": "户主", "row": "0"}).content.decode()
    assert f'data-pk="{home.pk}"' in found and f'data-pk="{away.pk}"' not in found
    assert home.id_number not in found  # masked
    response = client.post("/mediation/new/", _form(world, **{"party-0-person": str(away.pk), "party-0-name": ""}))
    assert response.status_code == 400 and "当事人不在辖区内" in response.content.decode()
    assert not Dispute.objects.exists()
    response = client.post("/mediation/new/", _form(world, **{"party-0-person": str(home.pk), "party-0-name": ""}))
    assert response.status_code == 302
    party = Dispute.objects.get().parties.get(role="applicant")
    assert party.person == home and party.name == home.name and party.id_number == home.id_number


def test_a_mediator_registers_but_searches_no_registry(client, world, m):
    build_registry(world)
    client.force_login(world.users[Role.MEDIATOR])
    assert 'name="q"' not in client.get("/mediation/new/").content.decode()
    found = client.get("/mediation/new/parties/", {"q": "户主", "row": "0"}).content.decode()
    assert "data-pk" not in found


# --- 转为矛盾纠纷 from a case of the 矛盾纠纷 class -----------------------------------------------------

def _case(world, major="11"):
    from wangge.cases import services as cases
    from wangge.cases.models import Category

    category = Category.objects.filter(major__code=major).order_by("code").first()
    lng, lat = world.grid_center(world.grids[0])
    return cases.do_report_case(world.users[Role.GRID_WORKER], category=category, title="邻居占用楼道", lng=lng,
                                lat=lat)


def test_a_dispute_class_case_becomes_a_dispute_from_its_page(client, world, m):
    case = _case(world)
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="to-dispute-form"' in page and f'action="/mediation/from-case/{case.pk}/"' in page
    response = client.post(f"/mediation/from-case/{case.pk}/", {"type": "nonsense"})
    assert response.status_code == 422 and "未知纠纷类型" in response.content.decode()
    assert not Dispute.objects.exists()
    response = client.post(f"/mediation/from-case/{case.pk}/", {"type": "neighbour"})
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/mediation/{dispute.pk}/"
    assert dispute.case == case and dispute.type == "neighbour"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="to-dispute-form"' not in page and f'href="/mediation/{dispute.pk}/"' in page
    assert client.post(f"/mediation/from-case/{case.pk}/", {"type": "neighbour"}).status_code == 422
    assert Dispute.objects.count() == 1


def test_other_cases_offer_no_button_and_outside_cases_404(client, world, m):
    case = _case(world, major="01")
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    assert 'id="to-dispute-form"' not in client.get(f"/cases/{case.pk}/").content.decode()
    assert client.post(f"/mediation/from-case/{case.pk}/", {"type": "other"}).status_code == 422
    dispute_case = _case(world)
    client.force_login(world.outsiders[Role.COMMUNITY_OPERATOR])
    assert client.post(f"/mediation/from-case/{dispute_case.pk}/", {"type": "other"}).status_code == 404
    client.force_login(world.users[Role.DEPARTMENT_HANDLER])
    assert client.post(f"/mediation/from-case/{dispute_case.pk}/", {"type": "other"}).status_code == 403
    assert not Dispute.objects.exists()
