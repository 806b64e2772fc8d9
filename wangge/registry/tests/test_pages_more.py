"""The registry's remaining pages: organisations, key places, vehicles, a person's groups and
editing a person. Reads are scoped (another grid's record answers 404 and is never listed),
changes go through the do_* operations, bad input shows the error by its field and writes
nothing, and roles without registry.edit get 403."""
import re
from datetime import date

import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.models import Organisation, Person, PersonTag, Place, Tag, Vehicle
from wangge.registry.tests.scope_rows import _credit_code
from wangge.testing import build_registry

pytestmark = pytest.mark.django_db

BAD_USCC = _credit_code(77)[:-1] + ("0" if _credit_code(77)[-1] != "0" else "1")


@pytest.fixture
def reg(world):
    data = build_registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    for n, key in enumerate(("home", "away")):
        grid = data[key]["head"].grid
        data[key]["org"] = services.do_create_organisation(
            admin, name=f"{key}科技公司", uscc=_credit_code(n + 1), kind="non_public_economic",
            address=f"{grid.name}商业街{n}号", grid=grid, legal_person=f"{key}法人")
        data[key]["place"] = services.do_create_place(admin, name=f"{key}小学", kind="school",
                                                      address=f"{grid.name}学府路{n}号", grid=grid)
        data[key]["vehicle"] = services.do_register_vehicle(admin, data[key]["head"], f"川A{n}{n}{n}{n}{n}")
        data[key]["tag"] = services.do_tag_person(admin, data[key]["head"], Tag.objects.get(code="veteran"))
    data["special"] = services.do_tag_person(admin, data["home"]["head"], Tag.objects.get(code="community_correction"))
    return data


def _login(client, world, role):
    client.force_login(world.users[role])
    return client


def _body(response) -> str:
    return response.content.decode()


def _assert_error_by(body: str, field: str):
    """The field's message sits right after the field it is about (no other input in between)."""
    start = body.index(f'name="{field}"')
    end = body.index(f'id="id_{field}_error"')
    assert start < end and 'name="' not in body[start + 1:end], body[start:end + 60]


def _assert_masked(body: str):
    for person in Person.objects.all():
        assert person.id_number not in body
        if person.phone:
            assert person.phone not in body


# ------------------------------------------------------------------ organisations


def test_organisation_list_filters_and_scope(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get("/organisations/"))
    assert "home科技公司" in body and "away科技公司" not in body
    assert f'href="/organisations/{reg["home"]["org"].pk}/"' in body
    assert "home科技公司" not in _body(client.get("/organisations/?kind=social"))
    assert "home科技公司" in _body(client.get("/organisations/?kind=non_public_economic&q=科技"))
    assert "home科技公司" not in _body(client.get("/organisations/?q=没有这个"))
    assert client.get("/organisations/?kind=bogus").status_code == 200  # an unknown kind is ignored
    _login(client, world, Role.DISTRICT_OPERATOR)
    body = _body(client.get("/organisations/?q=科技"))
    assert "home科技公司" in body and "away科技公司" in body


def test_organisation_page(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    org = reg["home"]["org"]
    body = _body(client.get(f"/organisations/{org.pk}/"))
    assert "home科技公司" in body and org.uscc in body and "home法人" in body and "非公有制经济组织" in body


def _org_post(region, **extra):
    return {"name": "新社会组织", "uscc": _credit_code(40), "kind": "social", "address": "幸福路8号",
            "legal_person": "", "staff_count": "12", "grid": region.code, "lng": "", "lat": "", "crs": "wgs84",
            **extra}


def test_create_organisation_in_a_chosen_grid(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get("/organisations/new/"))
    assert "data-geolocate" in body and 'name="lng"' in body and f'value="{world.grids[0].code}"' in body
    assert f'value="{world.grids[4].code}"' not in body  # only the user's grids are offered
    response = client.post("/organisations/new/", _org_post(world.grids[0]))
    org = Organisation.objects.get(uscc=_credit_code(40))
    assert response.status_code == 302 and response["Location"] == f"/organisations/{org.pk}/"
    assert org.grid == world.grids[0] and org.staff_count == 12 and org.kind == "social"
    assert AuditEntry.objects.filter(operation="registry.create_organisation", object_id=str(org.pk)).exists()


def test_create_organisation_located_by_the_phone(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    lng, lat = world.grid_center(world.grids[0])
    response = client.post("/organisations/new/", _org_post(world.grids[0], grid="", lng=str(lng), lat=str(lat)))
    assert response.status_code == 302
    org = Organisation.objects.get(uscc=_credit_code(40))
    assert org.grid == world.grids[0] and org.lng == pytest.approx(lng)


@pytest.mark.parametrize("bad,field", [
    ({"uscc": BAD_USCC}, "uscc"),
    ({"uscc": "12345"}, "uscc"),
    ({"uscc": _credit_code(1)}, "uscc"),  # already registered
    ({"name": ""}, "name"),
    ({"grid": ""}, "grid"),  # no position and no grid
])
def test_create_organisation_bad_input_writes_nothing(world, reg, client, bad, field):
    _login(client, world, Role.GRID_WORKER)
    before = (Organisation.objects.count(), AuditEntry.objects.count())
    response = client.post("/organisations/new/", _org_post(world.grids[0], **bad))
    assert response.status_code == 400
    assert (Organisation.objects.count(), AuditEntry.objects.count()) == before
    _assert_error_by(_body(response), field)


def test_create_organisation_outside_the_area_is_refused(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    # a grid of another street cannot be chosen, and a position there is outside the area
    response = client.post("/organisations/new/", _org_post(world.grids[4]))
    assert response.status_code == 400
    lng, lat = world.grid_center(world.grids[4])
    response = client.post("/organisations/new/", _org_post(world.grids[0], grid="", lng=str(lng), lat=str(lat)))
    assert response.status_code == 400 and "不在辖区内" in _body(response)
    assert not Organisation.objects.filter(uscc=_credit_code(40)).exists()


# ------------------------------------------------------------------ places


def test_place_list_detail_and_create(world, reg, client):
    _login(client, world, Role.COMMUNITY_OPERATOR)
    body = _body(client.get("/places/"))
    assert "home小学" in body and "away小学" not in body
    assert "home小学" not in _body(client.get("/places/?kind=hospital"))
    assert "home小学" in _body(client.get("/places/?kind=school"))
    place = reg["home"]["place"]
    assert "学校" in _body(client.get(f"/places/{place.pk}/"))
    post = {"name": "社区医院", "kind": "hospital", "contact_name": "王医生", "address": "幸福路9号",
            "grid": world.grids[0].code, "lng": "", "lat": "", "crs": "wgs84"}
    response = client.post("/places/new/", post)
    new = Place.objects.get(name="社区医院")
    assert response.status_code == 302 and response["Location"] == f"/places/{new.pk}/"
    assert new.grid == world.grids[0] and new.contact_name == "王医生"


def test_the_place_list_narrows_to_an_area_the_reader_may_see(world, reg, client):
    # The one map's key-places figures open this list filtered to their area.
    _login(client, world, Role.DISTRICT_OPERATOR)
    home_grid, away_grid = reg["home"]["place"].grid, reg["away"]["place"].grid
    assert home_grid.parent_id != away_grid.parent_id  # two communities at least
    everywhere = _body(client.get("/places/"))
    assert "home小学" in everywhere and "away小学" in everywhere
    home_area = home_grid.parent.code
    response = client.get("/places/", {"area": home_area, "kind": "school"})
    body = _body(response)
    assert response.status_code == 200 and "home小学" in body and "away小学" not in body
    body = _body(client.get("/places/", {"area": away_grid.code}))
    assert "away小学" in body and "home小学" not in body
    body = _body(client.get("/organisations/", {"area": away_grid.code}))  # the same list, for organisations
    assert "away科技公司" in body and "home科技公司" not in body
    assert client.get("/places/", {"area": "999999999999"}).status_code == 404
    _login(client, world, Role.COMMUNITY_OPERATOR)  # away's area is not theirs: as if it did not exist
    response = client.get("/places/", {"area": away_grid.code})
    assert response.status_code == 404 and "away小学" not in _body(response)


@pytest.mark.parametrize("bad,field", [({"kind": "palace"}, "kind"), ({"name": ""}, "name"), ({"grid": ""}, "grid")])
def test_create_place_bad_input_writes_nothing(world, reg, client, bad, field):
    _login(client, world, Role.GRID_WORKER)
    post = {"name": "社区医院", "kind": "hospital", "address": "幸福路9号", "grid": world.grids[0].code,
            "lng": "", "lat": "", "crs": "wgs84", **bad}
    before = Place.objects.count()
    response = client.post("/places/new/", post)
    assert response.status_code == 400 and Place.objects.count() == before
    _assert_error_by(_body(response), field)


# ------------------------------------------------------------------ vehicles


def test_vehicle_list_search_and_scope(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get("/vehicles/"))
    assert "川A00000" in body and "川A11111" not in body and "home户主" in body
    assert "川A00000" in _body(client.get("/vehicles/?q=a000"))  # case and part of a plate
    assert "川A00000" not in _body(client.get("/vehicles/?q=B9"))


def test_register_a_vehicle_from_the_person_page(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    body = _body(client.get(f"/people/{head.pk}/"))
    assert f'action="/people/{head.pk}/vehicles/new/"' in body and "川A00000" in body
    response = client.post(f"/people/{head.pk}/vehicles/new/", {"plate": "川a 12345"})
    assert response.status_code == 302 and response["Location"] == f"/people/{head.pk}/"
    vehicle = Vehicle.objects.get(plate="川A12345")
    assert vehicle.owner == head and vehicle.grid == head.grid


@pytest.mark.parametrize("plate", ["ABC", "川A00000", ""])
def test_register_a_bad_plate_writes_nothing(world, reg, client, plate):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    before = Vehicle.objects.count()
    response = client.post(f"/people/{head.pk}/vehicles/new/", {"plate": plate})
    assert response.status_code == 400 and Vehicle.objects.count() == before
    _assert_error_by(_body(response), "plate")


# ------------------------------------------------------------------ groups (tags)


def test_add_a_group_with_date_and_note(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    response = client.post(f"/people/{head.pk}/tags/add/", {"tag": "empty_nest_elder", "since": "2024-03-01",
                                                            "note": "子女在外地"})
    assert response.status_code == 302 and response["Location"] == f"/people/{head.pk}/"
    pt = PersonTag.objects.get(person=head, tag__code="empty_nest_elder")
    assert pt.since == date(2024, 3, 1) and pt.note == "子女在外地"
    body = _body(client.get(f"/people/{head.pk}/"))
    assert "子女在外地" in body and f'href="/person-tags/{pt.pk}/remove/"' in body


@pytest.mark.parametrize("post,field", [({"tag": ""}, "tag"), ({"tag": "no_such_group"}, "tag"),
                                        ({"tag": "empty_nest_elder", "since": "2024-02-30"}, "since")])
def test_add_a_group_bad_input_writes_nothing(world, reg, client, post, field):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    before = PersonTag.objects.count()
    response = client.post(f"/people/{head.pk}/tags/add/", post)
    assert response.status_code == 400 and PersonTag.objects.count() == before
    _assert_error_by(_body(response), field)
    _assert_masked(_body(response))


@pytest.mark.usefixtures("registry_readers_without_special")
def test_special_groups_are_offered_only_with_view_special(world, reg, client, monkeypatch):
    from wangge.core.roles import PERMISSIONS

    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    assert 'value="community_correction"' in _body(client.get(f"/people/{head.pk}/"))
    monkeypatch.setitem(PERMISSIONS, "registry.view_special", PERMISSIONS["registry.view_special"] - {Role.GRID_WORKER})
    body = _body(client.get(f"/people/{head.pk}/"))
    assert "community_correction" not in body and "社区矫正" not in body
    assert 'value="empty_nest_elder"' in body
    response = client.post(f"/people/{head.pk}/tags/add/", {"tag": "drug_user"})
    assert response.status_code == 400
    assert not PersonTag.objects.filter(person=head, tag__code="drug_user").exists()
    # nor may they remove one (it is not there for them)
    assert client.get(f"/person-tags/{reg['special'].pk}/remove/").status_code == 404
    assert client.post(f"/person-tags/{reg['special'].pk}/remove/").status_code == 404
    assert PersonTag.objects.filter(pk=reg["special"].pk).exists()


def test_remove_a_group_asks_then_removes(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    pt = reg["home"]["tag"]
    page = client.get(f"/person-tags/{pt.pk}/remove/")
    assert page.status_code == 200 and 'method="post"' in _body(page) and "退役军人" in _body(page)
    assert PersonTag.objects.filter(pk=pt.pk).exists()  # asking removes nothing
    response = client.post(f"/person-tags/{pt.pk}/remove/")
    assert response.status_code == 302 and response["Location"] == f"/people/{pt.person_id}/"
    assert not PersonTag.objects.filter(pk=pt.pk).exists()
    assert AuditEntry.objects.filter(operation="registry.untag_person").exists()


# ------------------------------------------------------------------ editing a person


def test_edit_a_person(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    page = client.get(f"/people/{head.pk}/edit/")
    body = _body(page)
    assert page.status_code == 200 and "138****1111" in body and 'value="home户主"' in body
    _assert_masked(body)  # the phone on record is never put in the form
    response = client.post(f"/people/{head.pk}/edit/", {"name": "新名字", "phone": "13912345678",
                                                       "ethnicity": "03", "kind": "floating"})
    assert response.status_code == 302 and response["Location"] == f"/people/{head.pk}/"
    head.refresh_from_db()
    assert (head.name, head.phone, head.ethnicity, head.kind) == ("新名字", "13912345678", "03", "floating")
    assert AuditEntry.objects.filter(operation="registry.update_person", object_id=str(head.pk)).exists()
    # an empty phone keeps the one on record; the checkbox removes it
    client.post(f"/people/{head.pk}/edit/", {"name": "新名字", "phone": "", "ethnicity": "03", "kind": "floating"})
    head.refresh_from_db()
    assert head.phone == "13912345678"
    client.post(f"/people/{head.pk}/edit/", {"name": "新名字", "phone": "", "clear_phone": "on", "ethnicity": "03",
                                            "kind": "floating"})
    head.refresh_from_db()
    assert head.phone == ""


@pytest.mark.parametrize("bad,field", [({"phone": "12345"}, "phone"), ({"name": ""}, "name"),
                                       ({"ethnicity": "99"}, "ethnicity"), ({"kind": "alien"}, "kind")])
def test_edit_a_person_bad_input_saves_nothing(world, reg, client, bad, field):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    post = {"name": "新名字", "phone": "13912345678", "ethnicity": "03", "kind": "floating", **bad}
    response = client.post(f"/people/{head.pk}/edit/", post)
    assert response.status_code == 400
    _assert_error_by(_body(response), field)
    head.refresh_from_db()
    assert (head.name, head.phone, head.ethnicity, head.kind) == ("home户主", "13800001111", "01", "registered")
    assert not AuditEntry.objects.filter(operation="registry.update_person").exists()


# ------------------------------------------------------------------ scope and permissions


def test_another_grids_records_answer_404(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    away = reg["away"]
    head = away["head"]
    for url in (f"/organisations/{away['org'].pk}/", f"/places/{away['place'].pk}/", f"/people/{head.pk}/edit/",
                f"/people/{head.pk}/vehicles/new/", f"/person-tags/{away['tag'].pk}/remove/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "away" not in _body(response), url
    before = (Vehicle.objects.count(), PersonTag.objects.count(), AuditEntry.objects.count())
    assert client.post(f"/people/{head.pk}/vehicles/new/", {"plate": "川A54321"}).status_code == 404
    assert client.post(f"/people/{head.pk}/tags/add/", {"tag": "empty_nest_elder"}).status_code == 404
    assert client.post(f"/person-tags/{away['tag'].pk}/remove/").status_code == 404
    assert client.post(f"/people/{head.pk}/edit/", {"name": "改", "ethnicity": "01", "kind": "registered"}
                       ).status_code == 404
    assert (Vehicle.objects.count(), PersonTag.objects.count(), AuditEntry.objects.count()) == before
    head.refresh_from_db()
    assert head.name == "away户主"


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_HANDLER])
def test_pages_are_not_for_roles_without_registry_access(world, reg, client, role):
    _login(client, world, role)
    home = reg["home"]
    for url in ("/organisations/", "/places/", "/vehicles/", "/organisations/new/", "/places/new/"):
        assert client.get(url).status_code == 403, url
    for url in (f"/organisations/{home['org'].pk}/", f"/places/{home['place'].pk}/",
                f"/people/{home['head'].pk}/edit/", f"/people/{home['head'].pk}/vehicles/new/",
                f"/person-tags/{home['tag'].pk}/remove/"):
        assert client.get(url).status_code == 404, url


@pytest.mark.usefixtures("registry_readers_without_special")
@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.DEPARTMENT_HANDLER])
def test_readers_without_registry_edit_may_not_change_anything(world, reg, client, role):
    """A reader who may not edit sees the lists and pages but no form, and every change answers 403."""
    _login(client, world, role)
    home = reg["home"]
    head = home["head"]
    assert client.get("/organisations/").status_code == 200
    body = _body(client.get(f"/people/{head.pk}/"))
    assert 'id="tag-form"' not in body and 'id="vehicle-form"' not in body and "/edit/" not in body
    assert 'href="/organisations/new/"' not in _body(client.get("/organisations/"))
    before = (Organisation.objects.count(), Place.objects.count(), Vehicle.objects.count(),
              PersonTag.objects.count(), AuditEntry.objects.count())
    for url, post in (("/organisations/new/", _org_post(world.grids[0])),
                      ("/places/new/", {"name": "x", "kind": "school", "address": "y", "grid": world.grids[0].code}),
                      (f"/people/{head.pk}/vehicles/new/", {"plate": "川A54321"}),
                      (f"/people/{head.pk}/tags/add/", {"tag": "empty_nest_elder"}),
                      (f"/person-tags/{home['tag'].pk}/remove/", {}),
                      (f"/people/{head.pk}/edit/", {"name": "改", "ethnicity": "01", "kind": "registered"})):
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, post).status_code == 403, url
    assert (Organisation.objects.count(), Place.objects.count(), Vehicle.objects.count(),
            PersonTag.objects.count(), AuditEntry.objects.count()) == before


def test_navigation_links_for_readers(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    body = _body(client.get("/"))
    for url in ("/organisations/", "/places/", "/vehicles/"):
        assert f'href="{url}"' in body
    _login(client, world, Role.MEDIATOR)
    body = _body(client.get("/"))
    assert 'href="/organisations/"' not in body and 'href="/vehicles/"' not in body


def test_every_new_form_carries_a_csrf_token(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    for url in ("/organisations/new/", "/places/new/", f"/people/{head.pk}/edit/", f"/people/{head.pk}/vehicles/new/",
                f"/person-tags/{reg['home']['tag'].pk}/remove/", f"/people/{head.pk}/"):
        body = _body(client.get(url))
        posts = len(re.findall(r'<form[^>]*method="post"', body))
        assert posts and body.count('name="csrfmiddlewaretoken"') >= posts, url


def test_csrf_is_enforced_on_changes(world, reg):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.GRID_WORKER])
    head = reg["home"]["head"]
    assert client.post(f"/people/{head.pk}/vehicles/new/", {"plate": "川A54321"}).status_code == 403
    assert client.post(f"/person-tags/{reg['home']['tag'].pk}/remove/").status_code == 403
    assert not Vehicle.objects.filter(plate="川A54321").exists()
    assert PersonTag.objects.filter(pk=reg["home"]["tag"].pk).exists()


def test_chinese_pages(world, reg, client):
    _login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    body = _body(client.get("/organisations/"))
    assert "新增组织" in body and "1 个组织" in body and "重点场所" in body and "车辆" in body
    assert "统一社会信用代码" in _body(client.get("/organisations/new/"))
    body = _body(client.get(f"/people/{head.pk}/"))
    assert "加入人群类别" in body and "登记车辆" in body and "修改" in body
    assert "移出人群类别" in _body(client.get(f"/person-tags/{reg['home']['tag'].pk}/remove/"))


def test_a_default_group_reads_in_the_readers_language_a_renamed_one_as_entered(world):
    from django.utils import translation

    from wangge.registry.codes import DEFAULT_TAGS, tag_label
    from wangge.registry.models import Tag

    alone = Tag.objects.get(code="elder_living_alone")
    with translation.override("en"):
        assert alone.label == "Elder living alone"
        assert tag_label("elder_living_alone", "独居老人（本社区）") == "独居老人（本社区）"
        assert tag_label("local_group", "楼栋长") == "楼栋长"
    with translation.override("zh-hans"):
        # the catalogue's Chinese is the standard's name, for every default group
        assert [tag_label(code, zh) for code, (zh, _en) in DEFAULT_TAGS.items()] == [zh for zh, _en in
                                                                                    DEFAULT_TAGS.values()]
    assert set(DEFAULT_TAGS) == set(Tag.objects.values_list("code", flat=True))  # the migration's groups
