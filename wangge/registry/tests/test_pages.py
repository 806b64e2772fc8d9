"""The registry's pages for every role: browse, search, reveal, a grid worker's phone pages
and an operator's desk pages. Reads are scoped (outside answers 404), numbers are masked in
every body, and bad input shows the error by its field and writes nothing."""
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.models import House, Household, Person, Residence, Tag, Visit, VisitPhoto
from wangge.testing import build_registry, make_id_number, pager_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg(world):
    data = build_registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    today = timezone.localdate()
    head = data["home"]["head"]
    services.do_tag_person(admin, head, Tag.objects.get(code="elder_living_alone"), since=today - timedelta(days=20))
    services.do_tag_person(admin, head, Tag.objects.get(code="community_correction"), since=today - timedelta(days=2))
    services.do_tag_person(admin, data["home"]["member"], Tag.objects.get(code="veteran"),
                           since=today - timedelta(days=1))
    return data


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path


def _login(client, world, role, outsider=False):
    client.force_login((world.outsiders if outsider else world.users)[role])
    return client


def _body(response) -> str:
    return response.content.decode()


def _assert_masked(body: str):
    """Not one ID number or phone in the clear."""
    for person in Person.objects.all():
        assert person.id_number not in body, f"plain ID number of {person.name}"
        if person.phone:
            assert person.phone not in body, f"plain phone of {person.name}"


def _assert_error_by(body: str, field: str):
    """The field's message sits right after the field it is about (no other input in between)."""
    start = body.index(f'name="{field}"')
    end = body.index(f'id="id_{field}_error"')
    assert start < end and 'name="' not in body[start + 1:end], body[start:end + 60]


def _png(colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


# ------------------------------------------------------------------ browse


def test_grid_worker_browses_grid_buildings_house_and_person(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    home = reg["home"]
    grid = world.grids[0]

    page = client.get(f"/grids/{grid.code}/buildings/")
    assert page.status_code == 200
    body = _body(page)
    assert "1栋" in body and "幸福路1号" in body and f'href="/buildings/{home["building"].pk}/"' in body
    assert re.search(r"<b>1</b>\s*\S+\s*</span>\s*<span><b>2</b>", body)  # 1 house, 2 residents

    body = _body(client.get(f"/buildings/{home['building'].pk}/"))
    assert f'href="/houses/{home["house"].pk}/"' in body and "101" in body and "出租" in body

    body = _body(client.get(f"/houses/{home['house'].pk}/"))
    assert "home户主" in body and "home家人" in body and "配偶" in body
    assert "510107********" in body
    _assert_masked(body)

    page = client.get(f"/people/{home['head'].pk}/")
    assert page.status_code == 200
    body = _body(page)
    assert "home户主" in body and "男" in body and "汉族" in body
    assert "510107********" + home["head"].id_number[-4:] in body
    assert "138****1111" in body
    assert "独居老人" in body and "社区矫正人员" in body  # a grid worker keeps special groups
    assert "幸福路1号" in body  # residence history
    assert 'id="history-list"' in body
    _assert_masked(body)


def test_grid_page_links_to_its_buildings(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get("/"))
    assert f'href="/grids/{world.grids[0].code}/buildings/"' in body
    assert 'class="mainnav"' in body and 'href="/people/search/"' in body and 'href="/visits/due/"' in body


def test_buildings_of_the_whole_area(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    response = client.get("/buildings/")
    assert response.status_code == 200 and response.context["grid"] == world.grids[0]
    assert "测试网格1-1-1幸福路1号" in _body(response) and "测试网格2-1-1" not in _body(response)
    _login(client, world, Role.DISTRICT_OPERATOR)
    body = _body(client.get("/buildings/?q=幸福路"))
    assert "测试网格1-1-1幸福路1号" in body and "测试网格2-1-1幸福路1号" in body


def test_another_grid_answers_404(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    away = reg["away"]
    for url in (f"/grids/{world.grids[4].code}/buildings/", f"/buildings/{away['building'].pk}/",
                f"/houses/{away['house'].pk}/", f"/people/{away['head'].pk}/",
                f"/people/{away['head'].pk}/move/", f"/people/{away['head'].pk}/visits/new/",
                f"/buildings/{away['building'].pk}/households/new/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "away户主" not in _body(response)


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_HANDLER])
def test_base_data_is_not_for_mediators_and_handlers(world, reg, client, role):
    """They reach people through their own work, not by browsing the registry."""
    _login(client, world, role)
    home = reg["home"]
    for url in ("/buildings/", f"/grids/{world.grids[0].code}/buildings/", "/people/", "/people/search/?q=home",
                "/population/", f"/regions/{world.communities[0].code}/population/"):
        assert client.get(url).status_code == 403, url
    for url in (f"/buildings/{home['building'].pk}/", f"/houses/{home['house'].pk}/", f"/people/{home['head'].pk}/"):
        assert client.get(url).status_code == 404, url
    body = _body(client.get(f"/regions/{world.grids[0].code}/"))
    assert 'href="/people/"' not in body and 'id="grid-links"' not in body and 'href="/buildings/"' not in body
    body = _body(client.get(f"/regions/{world.communities[0].code}/"))
    assert 'data-layer="population"' not in body and 'data-layer="households"' in body


@pytest.mark.usefixtures("registry_readers_without_special")
def test_mediator_does_not_see_special_groups(world, reg, client):
    _login(client, world, Role.MEDIATOR)
    head = reg["home"]["head"]
    for url in (f"/people/{head.pk}/", f"/houses/{reg['home']['house'].pk}/", "/people/",
                "/people/?tag=community_correction", "/people/search/?q=home",
                f"/regions/{world.communities[0].code}/population/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        body = _body(response)
        assert "社区矫正" not in body and "community_correction" not in body, url
    assert "独居老人" in _body(client.get(f"/people/{head.pk}/"))
    # A filter by a group they may not see is dropped (and never echoed back in the address).
    assert client.get("/people/?tag=community_correction&kind=registered")["Location"] == "/people/?kind=registered"


def test_staff_outside_the_area_are_named_by_role_only(world, reg, client):
    """The history says an administrator changed it; the administrator's name is not the grid worker's to know."""
    head = reg["home"]["head"]
    services.do_update_person(world.users[Role.ADMINISTRATOR], head, {"phone": "13900001234"})
    head.history.filter(history_type="~").update(history_user=world.users[Role.ADMINISTRATOR])
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get(f"/people/{head.pk}/"))
    assert "管理员" in body or "Administrator" in body
    assert "139****1234" in body and "13900001234" not in body
    assert not re.search(r"(?<!\w)admin(?!\w)", body)


# ------------------------------------------------------------------ masked everywhere


@pytest.mark.usefixtures("registry_readers_without_special")
@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.COMMUNITY_OPERATOR,
                                  Role.GRID_WORKER, Role.MEDIATOR])
def test_numbers_are_masked_on_every_page(world, reg, client, role):
    _login(client, world, role)
    home = reg["home"]
    head = home["head"]
    urls = [
        f"/grids/{world.grids[0].code}/buildings/", f"/buildings/{home['building'].pk}/",
        f"/houses/{home['house'].pk}/", f"/people/{head.pk}/", f"/people/{home['member'].pk}/",
        "/people/", "/people/?kind=registered", f"/people/search/?q={head.id_number[-4:]}", "/people/search/?q=home",
        f"/regions/{world.grids[0].code}/population/",
    ]
    if role != Role.MEDIATOR:
        urls += ["/visits/due/", f"/people/{head.pk}/move/", f"/buildings/{home['building'].pk}/households/new/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_masked(_body(response))
    for number in (head.id_number, "13800001111"):
        response = client.post("/people/search/", {"q": number})
        assert response.status_code == 200
        assert f'href="/people/{head.pk}/"' in _body(response)
        _assert_masked(_body(response))


# ------------------------------------------------------------------ search


@pytest.mark.parametrize("query", ["home户主", "户主", "幸福路", "13800001111", "full", "tail"])
def test_search_finds_by_name_address_phone_and_id(world, reg, client, query):
    head = reg["home"]["head"]
    query = {"full": head.id_number, "tail": head.id_number[-4:]}.get(query, query)
    _login(client, world, Role.GRID_WORKER)
    response = client.post("/people/search/", {"q": query})
    body = _body(response)
    assert f'href="/people/{head.pk}/"' in body
    assert "away" not in body  # the other street's people are never found
    _assert_masked(body)


def test_a_number_never_goes_into_the_address(world, reg, client, monkeypatch):
    from wangge.registry import views

    head = reg["home"]["head"]
    _login(client, world, Role.GRID_WORKER)
    response = client.get("/people/search/", {"q": head.id_number})
    assert response.status_code == 302 and response["Location"] == "/people/search/"
    body = _body(client.get("/people/search/"))
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body
    # The pages of a search by number post again; the number waits in the session.
    services.do_register_person(world.users[Role.ADMINISTRATOR], {"name": "同号", "id_number": make_id_number(seq=5),
                                                                 "phone": "13800001111"},
                                house=reg["home"]["house"])
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    first = client.post("/people/search/", {"q": "13800001111"})
    assert 'name="again"' in _body(first) and "13800001111" not in _body(first)
    assert "13800001111" not in first.context["page"].next_cursor  # the cursor holds the name and id only
    second = client.post("/people/search/", {"again": "1", "after": first.context["page"].next_cursor})
    assert f'name="after" value="{first.context["page"].next_cursor}"' in _body(first)
    names = [p.name for p in [*first.context["page"].object_list, *second.context["page"].object_list]]
    assert sorted(names) == sorted(["home户主", "同号"])


def test_search_is_scoped_for_operators_too(world, reg, client):
    _login(client, world, Role.STREET_OPERATOR, outsider=True)
    body = _body(client.get("/people/search/", {"q": "户主"}))
    assert "away户主" in body and "home户主" not in body


# ------------------------------------------------------------------ reveal


def test_reveal_needs_a_reason_and_is_logged(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    url = f"/people/{head.pk}/reveal/id_number/"

    refused = client.post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    body = _body(refused)
    assert "field-error" in body and "reason" in body and head.id_number not in body
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()

    shown = client.post(url, {"reason": "入户核实身份"}, HTTP_HX_REQUEST="true")
    assert shown.status_code == 200
    assert head.id_number in _body(shown)
    entry = AuditEntry.objects.get(operation="core.reveal")
    assert entry.actor == world.users[Role.GRID_WORKER]
    assert entry.object_id == str(head.pk) and entry.details == {"field": "id_number", "reason": "入户核实身份"}

    phone = client.post(f"/people/{head.pk}/reveal/phone/", {"reason": "联系本人"}, HTTP_HX_REQUEST="true")
    assert "13800001111" in _body(phone)
    assert AuditEntry.objects.filter(operation="core.reveal").count() == 2


def test_reveal_without_javascript_shows_the_whole_page(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    refused = client.post(f"/people/{head.pk}/reveal/id_number/", {"reason": " "})
    assert refused.status_code == 400 and "registry/person.html" in [t.name for t in refused.templates]
    posted = client.post(f"/people/{head.pk}/reveal/id_number/", {"reason": "核实"})
    # Post/redirect/get: the browser leaves the POST, so a refresh neither reveals nor logs again.
    assert posted.status_code == 302 and posted["Location"] == f"/people/{head.pk}/#reveal-id_number"
    shown = client.get(posted["Location"])
    assert shown.status_code == 200 and head.id_number in _body(shown)
    assert "13800001111" not in _body(shown)  # only the one field asked for
    assert head.id_number not in _body(client.get(f"/people/{head.pk}/"))  # the refresh: masked again
    assert AuditEntry.objects.filter(operation="core.reveal").count() == 1


def test_reveal_of_another_grids_person_is_404_and_not_logged(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    away = reg["away"]["head"]
    response = client.post(f"/people/{away.pk}/reveal/id_number/", {"reason": "好奇"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 404 and away.id_number not in _body(response)
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()
    assert client.get(f"/people/{reg['home']['head'].pk}/reveal/id_number/").status_code == 405


def test_nothing_to_reveal_is_not_logged(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    member = reg["home"]["member"]  # no phone recorded
    response = client.post(f"/people/{member.pk}/reveal/phone/", {"reason": "联系"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert client.post(f"/people/{member.pk}/reveal/birth_date/", {"reason": "看看"}).status_code == 404
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()


def test_reveal_form_is_on_the_person_page_with_csrf(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get(f"/people/{reg['home']['head'].pk}/"))
    assert body.count('hx-post="/people/') == 2 and body.count("csrfmiddlewaretoken") >= 3


# ------------------------------------------------------------------ add a household


def _household_post(building_house="new", head_id=None, members=()):
    data = {
        "house-house": building_house, "house-unit": "2", "house-number": "201", "house-use": "rented",
        "head-name": "新户主", "head-id_number": head_id or make_id_number("19920808", 301),
        "head-phone": "13911112222",
        "head-ethnicity": "01", "head-kind": "floating",
        "members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "12",
    }
    for i, (name, number, relation) in enumerate(members):
        data.update({f"members-{i}-name": name, f"members-{i}-id_number": number, f"members-{i}-phone": "",
                     f"members-{i}-ethnicity": "01", f"members-{i}-kind": "floating",
                     f"members-{i}-relation": relation})
    return data


def _counts():
    return (Person.objects.count(), House.objects.count(), Household.objects.count(), Residence.objects.count(),
            AuditEntry.objects.count())


def test_add_household_with_a_new_house(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    building = reg["home"]["building"]
    assert client.get(f"/buildings/{building.pk}/households/new/").status_code == 200
    response = client.post(f"/buildings/{building.pk}/households/new/", _household_post(
        members=[("新配偶", make_id_number("19930909", 302), "spouse"), ("新孩子", make_id_number("20150101", 303),
                                                                       "child")]))
    assert response.status_code == 302
    house = House.objects.get(building=building, unit="2", number="201")
    assert response["Location"] == f"/houses/{house.pk}/"
    household = Household.objects.get(house=house)
    people = {p.name: p for p in Person.objects.filter(house=house)}
    assert household.head == people["新户主"]
    assert {p.name: p.relation for p in people.values()} == {"新户主": "head", "新配偶": "spouse", "新孩子": "child"}
    assert all(p.household == household and p.grid == world.grids[0] for p in people.values())
    assert people["新孩子"].sex == "M" and people["新孩子"].birth_date.year == 2015
    body = _body(client.get(response["Location"]))
    assert "新户主" in body and "household" in body
    _assert_masked(body)


def test_add_household_in_an_existing_house(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    home = reg["home"]
    response = client.post(f"/buildings/{home['building'].pk}/households/new/",
                           _household_post(building_house=str(home["house"].pk)))
    assert response.status_code == 302 and response["Location"] == f"/houses/{home['house'].pk}/"
    assert Household.objects.filter(house=home["house"]).count() == 2


@pytest.mark.parametrize("bad", ["head", "member", "duplicate", "registered", "phone"])
def test_add_household_with_a_bad_field_shows_the_error_and_writes_nothing(world, reg, client, bad):
    _login(client, world, Role.GRID_WORKER)
    building = reg["home"]["building"]
    good_head = make_id_number("19920808", 301)
    wrong = good_head[:-1] + ("0" if good_head[-1] != "0" else "1")
    member = ("新配偶", make_id_number("19930909", 302), "spouse")
    post = {
        "head": _household_post(head_id=wrong, members=[member]),
        "member": _household_post(members=[member, ("坏号码", "510107201501011234", "child")]),
        "duplicate": _household_post(members=[("重复", good_head, "child")]),
        "registered": _household_post(head_id=reg["away"]["head"].id_number),
        "phone": {**_household_post(members=[member]), "head-phone": "12345"},
    }[bad]
    before = _counts()
    response = client.post(f"/buildings/{building.pk}/households/new/", post)
    assert response.status_code == 400
    assert _counts() == before
    body = _body(response)
    field = {"head": "head-id_number", "member": "members-1-id_number", "duplicate": "members-0-id_number",
             "registered": "head-id_number", "phone": "head-phone"}[bad]
    _assert_error_by(body, field)
    assert "新户主" in body  # what was typed is kept
    if bad == "registered":
        assert reg["away"]["head"].id_number not in body.replace(f'value="{reg["away"]["head"].id_number}"', "")


def test_add_household_house_number_taken_writes_nothing(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    post = {**_household_post(), "house-unit": "1", "house-number": "101"}
    before = _counts()
    response = client.post(f"/buildings/{reg['home']['building'].pk}/households/new/", post)
    assert response.status_code == 400 and _counts() == before
    assert "该房屋已存在" in _body(response)


# ------------------------------------------------------------------ move a person


def test_move_person_keeps_history(world, reg, client):
    admin = world.users[Role.ADMINISTRATOR]
    home = reg["home"]
    target = services.do_create_house(admin, home["building"], unit="1", number="102", use="owner")
    member = home["member"]
    _login(client, world, Role.GRID_WORKER)
    chooser = _body(client.get(f"/people/{member.pk}/move/"))
    assert f'href="?building={home["building"].pk}"' in chooser
    form = _body(client.get(f"/people/{member.pk}/move/", {"building": home["building"].pk}))
    assert f'value="{target.pk}"' in form

    response = client.post(f"/people/{member.pk}/move/", {"action": "move", "building": home["building"].pk,
                                                          "house": target.pk, "household": "", "relation": ""})
    assert response.status_code == 302 and response["Location"] == f"/people/{member.pk}/"
    member.refresh_from_db()
    assert member.house == target and member.household is None
    residences = list(Residence.objects.filter(person=member).order_by("id"))
    assert [(r.house_id, r.moved_out is not None) for r in residences] == [(home["house"].pk, True), (target.pk, False)]
    assert member.history.count() >= 3
    body = _body(client.get(f"/people/{member.pk}/"))
    assert "1单元102" in body and "1单元101" in body  # both residences
    assert "AuditEntry" not in body
    assert AuditEntry.objects.filter(operation="registry.move_person", object_id=str(member.pk)).exists()


def test_move_into_a_household_needs_a_relation(world, reg, client):
    home = reg["home"]
    admin = world.users[Role.ADMINISTRATOR]
    lodger = services.do_register_person(admin, {"name": "租客", "id_number": make_id_number("19930303", 401)},
                                         house=services.do_create_house(admin, home["building"], number="103"))
    _login(client, world, Role.GRID_WORKER)
    post = {"action": "move", "building": home["building"].pk, "house": home["house"].pk,
            "household": home["household"].pk, "relation": ""}
    response = client.post(f"/people/{lodger.pk}/move/", post)
    assert response.status_code == 400 and 'id="id_relation_error"' in _body(response)
    lodger.refresh_from_db()
    assert lodger.house.number == "103"
    response = client.post(f"/people/{lodger.pk}/move/", {**post, "relation": "tenant"})
    assert response.status_code == 302
    lodger.refresh_from_db()
    assert lodger.household == home["household"] and lodger.relation == "tenant"


def test_move_out_of_the_district(world, reg, client):
    member = reg["home"]["member"]
    _login(client, world, Role.GRID_WORKER)
    response = client.post(f"/people/{member.pk}/move/", {"action": "out", "when": ""})
    assert response.status_code == 302 and response["Location"] == f"/houses/{reg['home']['house'].pk}/"
    member.refresh_from_db()
    assert member.grid is None and member.moved_out == timezone.localdate()
    assert Residence.objects.get(person=member).moved_out == timezone.localdate()
    assert client.get(f"/people/{member.pk}/").status_code == 404  # in nobody's grid now


def test_move_to_a_house_of_another_grid_is_refused(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    member = reg["home"]["member"]
    away = reg["away"]
    response = client.post(f"/people/{member.pk}/move/", {"action": "move", "building": away["building"].pk,
                                                          "house": away["house"].pk})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.house == reg["home"]["house"]


# ------------------------------------------------------------------ visits


def test_log_a_visit_with_photo_and_position(world, reg, client, media):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    page = _body(client.get(f"/people/{head.pk}/visits/new/"))
    assert 'accept="image/*"' in page and 'capture="environment"' in page and 'name="lng"' in page
    assert 'enctype="multipart/form-data"' in page
    lng, lat = world.grid_center(world.grids[0])
    photo = io.BytesIO(_png())
    photo.name = "door.png"
    response = client.post(f"/people/{head.pk}/visits/new/", {"notes": "身体状况良好", "lng": lng, "lat": lat,
                                                              "crs": "wgs84", "photos": [photo]})
    assert response.status_code == 302 and response["Location"] == f"/people/{head.pk}/"
    visit = Visit.objects.get(person=head)
    assert visit.in_grid is True and visit.worker == world.users[Role.GRID_WORKER] and visit.notes == "身体状况良好"
    saved = VisitPhoto.objects.get(visit=visit)
    body = _body(client.get(f"/people/{head.pk}/"))
    assert "身体状况良好" in body and f"/visits/photos/{saved.pk}/" in body
    served = client.get(f"/visits/photos/{saved.pk}/")
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    _login(client, world, Role.GRID_WORKER, outsider=True)
    assert client.get(f"/visits/photos/{saved.pk}/").status_code == 404


def test_visit_outside_the_grid_is_kept_and_flagged(world, reg, client, media):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    lng, lat = world.grid_center(world.grids[1])
    response = client.post(f"/people/{head.pk}/visits/new/", {"notes": "", "lng": lng, "lat": lat, "crs": "wgs84"},
                           follow=True)
    assert Visit.objects.get(person=head).in_grid is False
    assert "outside the person" in _body(response) or "不在" in _body(response) or "网格外" in _body(response)


@pytest.mark.parametrize("name,content", [("notes.txt", b"not an image at all"), ("fake.jpg", b"GIF89a..."),
                                          ("big.png", None)])
def test_visit_with_a_non_image_photo_is_refused(world, reg, client, media, name, content):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    if content is None:
        content = _png() + b"\0" * (services.MAX_PHOTO_BYTES + 1)
    upload = io.BytesIO(content)
    upload.name = name
    before = AuditEntry.objects.count()
    response = client.post(f"/people/{head.pk}/visits/new/", {"notes": "走访", "photos": [upload]})
    assert response.status_code == 400
    body = _body(response)
    assert 'id="id_photos_error"' in body and name in body
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists() and AuditEntry.objects.count() == before


def test_visit_in_the_future_is_refused(world, reg, client, media):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/people/{head.pk}/visits/new/", {"visited_at": later})
    assert response.status_code == 400 and 'id="id_visited_at_error"' in _body(response)
    assert not Visit.objects.exists()


def test_visits_due_lists_overdue_first(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    response = client.get("/visits/due/")
    assert response.status_code == 200
    body = _body(response)
    head, member = reg["home"]["head"], reg["home"]["member"]
    assert f'href="/people/{head.pk}/"' in body
    assert "is-overdue" in body  # 独居老人 every 7 days, tagged 20 days ago, never visited
    order = [int(pk) for pk in re.findall(r'href="/people/(\d+)/"', body)]
    assert order.index(head.pk) < order.index(member.pk) if member.pk in order else True
    assert "away" not in body
    _assert_masked(body)


# ------------------------------------------------------------------ desk: people list and counts


def test_people_list_filters_and_scope(world, reg, client):
    _login(client, world, Role.STREET_OPERATOR)
    body = _body(client.get("/people/"))
    assert "home户主" in body and "home家人" in body and "away户主" not in body
    body = _body(client.get("/people/", {"tag": "veteran"}))
    assert "home家人" in body and "home户主" not in body
    body = _body(client.get("/people/", {"kind": "floating"}))
    assert "home户主" not in body
    body = _body(client.get("/people/", {"grid": world.grids[1].code}))
    assert "home户主" not in body
    response = client.get("/people/", {"grid": world.grids[4].code})  # outside the area
    assert response.status_code == 404 and world.grids[4].name not in _body(response)
    _assert_masked(body)


def test_people_list_paginates(world, reg, client, monkeypatch):
    from wangge.registry import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    _login(client, world, Role.COMMUNITY_OPERATOR)
    first_page = client.get("/people/", {"kind": "registered"})
    link = pager_link(first_page, "next")
    assert link.startswith("?kind=registered&after=")
    first, second = _body(first_page), _body(client.get("/people/" + link))
    assert ("home户主" in first) != ("home户主" in second)


def test_people_filter_by_area_at_any_level(world, reg, client):
    _login(client, world, Role.STREET_OPERATOR)
    community = world.communities[0]
    inside = _body(client.get("/people/", {"area": community.code}))
    assert "home户主" in inside and 'class="area-trail"' in inside
    assert f'<option value="{world.grids[0].code}">' in inside  # one level further down
    # An older link's ?grid= becomes ?area=; an area outside the user's answers 404.
    old = client.get("/people/", {"grid": world.grids[0].code})
    assert old.status_code == 302 and old["Location"] == f"/people/?area={world.grids[0].code}"
    assert client.get("/people/", {"area": world.streets[1].code}).status_code == 404


def test_population_counts_for_the_users_region(world, reg, client):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    response = client.get("/population/")
    assert response.status_code == 302 and response["Location"] == f"/regions/{world.communities[0].code}/population/"
    response = client.get(response["Location"])
    counts = response.context["counts"]
    assert counts["people"] == 2 and counts["rented_houses"] == 1 and counts["people_in_rented_houses"] == 2
    rows = {row["region"].code: row for row in response.context["rows"]}
    assert rows[world.grids[0].code]["population"] == 2 and rows[world.grids[0].code]["care"] == 2
    assert rows[world.grids[1].code]["population"] == 0
    assert client.get(f"/regions/{world.streets[0].code}/population/").status_code == 404


# ------------------------------------------------------------------ desk: import and export


def _csv(*rows) -> io.BytesIO:
    from wangge.registry.importing import HEADERS

    lines = [",".join(HEADERS[:10])] + [",".join(r) for r in rows]
    upload = io.BytesIO(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    upload.name = "people.csv"
    return upload


def _row(name, number, address, building="1栋", unit="1", house="101", relation=""):
    return [name, number, "汉族", "", "户籍", address, building, unit, house, relation]


def test_import_of_a_bad_file_writes_nothing_and_reports(world, reg, client, media):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    address = reg["home"]["building"].address
    good = make_id_number("19910101", 501)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = _counts()
    response = client.post("/people/import/", {"file": _csv(_row("好人", good, address), _row("坏号", bad, address),
                                                                 _row("远方", make_id_number("19910101", 502),
                                                                      reg["away"]["building"].address))})
    assert response.status_code == 400
    body = _body(response)
    assert 'id="import-errors"' in body and "commit-form" not in body
    table = body[body.index('id="import-errors"'):]
    assert re.search(r'<td class="num">3</td><td>公民身份号码</td><td>[^<]*校验位错误', table)
    assert re.search(r'<td class="num">4</td><td>楼栋地址</td>', table)  # a building outside the area
    assert _counts() == before
    token = response.context["token"]
    report = client.get(f"/people/import/{token}/errors.xlsx")
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(report.content)).active
    lines = [row for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == ("行号", "列", "原因") and {r[0] for r in lines[1:]} == {3, 4}
    commit = client.post(f"/people/import/{token}/commit/")
    assert commit.status_code == 400 and _counts() == before


def test_import_preview_then_commit(world, reg, client, media):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    address = reg["home"]["building"].address
    upload = _csv(_row("导入户主", make_id_number("19910101", 511), address, house="301", relation="户主"),
                  _row("导入配偶", make_id_number("19910202", 512), address, house="301", relation="配偶"))
    before = Person.objects.count()
    preview = client.post("/people/import/", {"file": upload})
    assert preview.status_code == 200 and Person.objects.count() == before
    assert preview.context["result"].created == 2 and 'id="commit-form"' in _body(preview)
    token = preview.context["token"]
    done = client.post(f"/people/import/{token}/commit/")
    assert done.status_code == 200 and 'id="import-result"' in _body(done)
    assert Person.objects.count() == before + 2
    assert Person.objects.get(name="导入配偶").household.head.name == "导入户主"
    assert client.post(f"/people/import/{token}/commit/").status_code == 404  # used up


def test_import_token_belongs_to_its_session(world, reg, client, media):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    preview = client.post("/people/import/", {"file": _csv(_row("某人", make_id_number("19910101", 521),
                                                                    reg["home"]["building"].address))})
    token = preview.context["token"]
    client.logout()
    _login(client, world, Role.DISTRICT_OPERATOR)
    assert client.post(f"/people/import/{token}/commit/").status_code == 404
    assert client.get(f"/people/import/{token}/errors.xlsx").status_code == 404


def test_import_refuses_other_file_types(world, reg, client, media):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    upload = io.BytesIO(b"MZ...")
    upload.name = "virus.exe"
    response = client.post("/people/import/", {"file": upload})
    assert response.status_code == 400 and 'id="id_file_error"' in _body(response)


def test_import_template_download(world, client):
    _login(client, world, Role.STREET_OPERATOR)
    response = client.get("/people/import/template/")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert client.get("/people/import/template/?format=csv").content.decode("utf-8-sig").startswith("姓名,公民身份号码")


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER])
def test_import_and_export_are_for_operators(world, reg, client, role, media):
    _login(client, world, role)
    assert client.get("/people/import/").status_code == 403
    assert client.post("/people/export/", {"format": "csv"}).status_code == 403
    assert "people_export" not in _body(client.get("/people/")) and 'action="/people/export/"' not in _body(
        client.get("/people/"))


def test_export_is_masked_and_scoped(world, reg, client):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    response = client.post("/people/export/", {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "home户主" in text and "away户主" not in text
    _assert_masked(text)
    entry = AuditEntry.objects.get(operation="registry.export_people")
    assert entry.details["unmasked"] is False and entry.details["count"] == 2


def test_unmasked_export_only_for_an_administrator_with_a_reason(world, reg, client):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    response = client.post("/people/export/", {"format": "csv", "unmasked": "on", "reason": "核对"})
    assert response.status_code == 400 and "只有管理员可以导出未脱敏数据" in _body(response)
    _login(client, world, Role.ADMINISTRATOR)
    response = client.post("/people/export/", {"format": "csv", "unmasked": "on", "reason": ""})
    assert response.status_code == 400 and 'id="id_reason_error"' in _body(response)
    assert not AuditEntry.objects.filter(operation="registry.export_people").exists()
    response = client.post("/people/export/", {"format": "xlsx", "unmasked": "on", "reason": "公安协查"})
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    numbers = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert reg["home"]["head"].id_number in numbers
    entry = AuditEntry.objects.get(operation="registry.export_people")
    assert entry.details["unmasked"] is True and entry.details["reason"] == "公安协查"


# ------------------------------------------------------------------ permissions and forms


@pytest.mark.usefixtures("registry_readers_without_special")
@pytest.mark.parametrize("role,url,expected", [
    (Role.MEDIATOR, "household_new", 403),
    (Role.MEDIATOR, "move", 403),
    (Role.MEDIATOR, "visit", 403),
    (Role.MEDIATOR, "due", 403),
    (Role.DISTRICT_OPERATOR, "visit", 403),  # visits are for grid workers and community operators
    (Role.COMMUNITY_OPERATOR, "visit", 200),
    (Role.DISTRICT_OPERATOR, "move", 200),
])
def test_pages_by_permission(world, reg, client, role, url, expected):
    _login(client, world, role)
    home = reg["home"]
    path = {"household_new": f"/buildings/{home['building'].pk}/households/new/",
            "move": f"/people/{home['head'].pk}/move/", "visit": f"/people/{home['head'].pk}/visits/new/",
            "due": "/visits/due/"}[url]
    assert client.get(path).status_code == expected


def test_every_form_carries_a_csrf_token(world, reg, client, media):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    home = reg["home"]
    for url in (f"/buildings/{home['building'].pk}/households/new/", f"/people/{home['head'].pk}/move/",
                f"/people/{home['head'].pk}/visits/new/", "/people/import/", "/people/", f"/people/{home['head'].pk}/"):
        body = _body(client.get(url))
        posts = len(re.findall(r'<form[^>]*method="post"', body))
        assert posts and body.count('name="csrfmiddlewaretoken"') >= posts, url


def test_csrf_is_enforced(world, reg):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.GRID_WORKER])
    head = reg["home"]["head"]
    assert client.post(f"/people/{head.pk}/reveal/id_number/", {"reason": "核实"}).status_code == 403
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()


def test_english_pages(world, reg, client):
    head = reg["home"]["head"]
    Person.objects.filter(pk=head.pk).update(ethnicity="04")
    _login(client, world, Role.GRID_WORKER)
    client.cookies["django_language"] = "en"
    body = _body(client.get(f"/people/{head.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Show full number" in body and "查看完整号码" not in body
    # a coded value reads in the reader's language: GB/T 3304's English name here, its Chinese name in Chinese
    assert "<dd>Tibetan</dd>" in body and "藏族" not in body
    client.cookies["django_language"] = "zh-hans"
    assert "<dd>藏族</dd>" in _body(client.get(f"/people/{head.pk}/"))


def test_chinese_pages(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get(f"/people/{reg['home']['head'].pk}/"))
    assert "查看完整号码" in body and "走访记录" in body and "变更记录" in body


def test_people_list_says_more_than_the_limit_instead_of_counting_everyone(world, reg, client, monkeypatch):
    from wangge.registry import views

    monkeypatch.setattr(views, "COUNT_LIMIT", 1)
    _login(client, world, Role.COMMUNITY_OPERATOR)
    assert "超过 1 人" in _body(client.get("/people/"))
    monkeypatch.setattr(views, "COUNT_LIMIT", 10_000)
    assert "超过" not in _body(client.get("/people/"))
