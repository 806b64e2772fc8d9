"""The registry API: browse, search, write through operations, bad input refused with nothing written,
masked numbers everywhere, and a grid worker held to their own grid."""
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.models import (
    Building,
    House,
    Household,
    Person,
    PersonTag,
    Residence,
    Tag,
    Visit,
    VisitPhoto,
)
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def reg(world):
    return build_registry(world)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client, world, role, outsider=False):
    user = (world.outsiders if outsider else world.users)[role]
    client.force_login(user)
    return user


def items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def text(response) -> str:
    """The JSON answer with its non-ASCII unescaped, so Chinese names can be looked for."""
    return json.dumps(response.json(), ensure_ascii=False)


def field_errors(response) -> dict:
    assert response.status_code == 422, response.content
    return {entry["loc"][-1]: entry["msg"] for entry in response.json()["detail"]}


def png(size=(8, 8), name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def snapshot():
    """Row counts of everything a registry write may touch, the audit log included."""
    return {
        "people": Person.objects.count(), "person_history": Person.history.count(),
        "residences": Residence.objects.count(), "houses": House.objects.count(),
        "households": Household.objects.count(), "buildings": Building.objects.count(),
        "tags": PersonTag.objects.count(), "visits": Visit.objects.count(), "photos": VisitPhoto.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


# --- browse: grid -> buildings -> houses -> households -> people --------------------------------

def test_grid_worker_browses_their_grid_down_to_people(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    home = reg["home"]
    buildings = items(client.get("/api/v1/buildings"))
    assert [b["id"] for b in buildings] == [home["building"].pk]
    assert buildings[0]["grid_code"] == world.grids[0].code and buildings[0]["house_count"] == 1
    houses = items(client.get(f"/api/v1/buildings/{home['building'].pk}/houses"))
    assert [(h["id"], h["use"], h["resident_count"]) for h in houses] == [(home["house"].pk, "rented", 2)]
    house = client.get(f"/api/v1/houses/{home['house'].pk}").json()
    assert [m["name"] for m in house["households"][0]["members"]] == ["home户主", "home家人"]
    assert house["households"][0]["head_name"] == "home户主"
    assert {r["name"] for r in house["residents"]} == {"home户主", "home家人"}
    assert {m["relation"] for m in house["households"][0]["members"]} == {"head", "spouse"}


def test_lists_filter_by_grid_and_region_and_404_outside(world, reg, client):
    login(client, world, Role.STREET_OPERATOR)
    assert len(items(client.get("/api/v1/people", {"grid": world.grids[0].code}))) == 2
    assert items(client.get("/api/v1/people", {"grid": world.grids[1].code})) == []
    assert len(items(client.get("/api/v1/people", {"region": world.communities[0].code}))) == 2
    assert client.get("/api/v1/people", {"grid": world.grids[4].code}).status_code == 404
    assert client.get("/api/v1/buildings", {"region": world.streets[1].code}).status_code == 404
    assert client.get("/api/v1/people", {"kind": "martian"}).status_code == 422


def test_pagination_is_limit_offset(world, reg, client):
    login(client, world, Role.DISTRICT_OPERATOR)
    page = client.get("/api/v1/people", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 4 and len(page["items"]) == 1


@pytest.mark.parametrize("query,expected", [
    ("户主", {"home户主"}),                      # part of a name
    ("幸福路", {"home户主", "home家人"}),          # part of the address
    (make_id_number(seq=1)[-4:], {"home户主"}),   # last four of the ID number
    (make_id_number(seq=1), {"home户主"}),        # the whole ID number (keyed hash)
    (make_id_number(seq=1).lower(), {"home户主"}),
    ("13800001111", {"home户主"}),                # a phone (keyed hash)
    ("+86 138 0000 1111", {"home户主"}),
    (make_id_number(seq=50)[-4:], set()),        # someone of another grid is not found
    (make_id_number(seq=50), set()),
])
def test_search_people(world, reg, client, query, expected):
    login(client, world, Role.GRID_WORKER)
    assert {p["name"] for p in items(client.get("/api/v1/people", {"q": query}))} == expected


@pytest.mark.usefixtures("registry_readers_without_special")
def test_people_filtered_by_tag_only_with_the_tags_the_reader_may_see(world, reg, client):
    admin = world.users[Role.ADMINISTRATOR]
    services.do_tag_person(admin, reg["home"]["head"], Tag.objects.get(code="community_correction"))
    services.do_tag_person(admin, reg["home"]["member"], Tag.objects.get(code="disabled"))
    login(client, world, Role.COMMUNITY_OPERATOR)
    assert [p["name"] for p in items(client.get("/api/v1/people", {"tag": "community_correction"}))] == ["home户主"]
    login(client, world, Role.MEDIATOR)
    assert items(client.get("/api/v1/people", {"tag": "community_correction"})) == []
    assert [p["name"] for p in items(client.get("/api/v1/people", {"tag": "disabled"}))] == ["home家人"]


# --- masked numbers -----------------------------------------------------------------------------

def test_person_detail_is_masked_with_age_tags_history_and_visits(world, reg, client):
    worker = login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    services.do_record_visit(worker, head, notes="身体好")
    body = client.get(f"/api/v1/people/{head.pk}")
    data = body.json()
    assert head.id_number not in body.content.decode() and "13800001111" not in body.content.decode()
    assert data["id_number"] == head.id_number[:6] + "********" + head.id_number[-4:]
    assert data["phone"] == "138****1111"
    assert data["sex"] == "M" and data["ethnicity_name"] == "汉族" and "birth_date" not in data
    today = timezone.localdate()
    assert data["age"] == today.year - 1990 - ((today.month, today.day) < (1, 1))
    assert data["house_id"] == reg["home"]["house"].pk and data["household_id"] == reg["home"]["household"].pk
    assert data["relation"] == "head"
    assert [r["house_id"] for r in data["residences"]] == [reg["home"]["house"].pk]
    assert [v["notes"] for v in data["last_visits"]] == ["身体好"]
    assert data["last_visits"][0]["worker"] == "gridder"


def test_no_answer_carries_a_plain_id_number_or_phone(world, reg, client):
    admin = login(client, world, Role.ADMINISTRATOR)
    head = reg["home"]["head"]
    services.do_update_person(admin, head, {"phone": "13911112222"})
    services.do_record_visit(world.users[Role.GRID_WORKER], head, notes="x")
    urls = ["/api/v1/people", f"/api/v1/people/{head.pk}", f"/api/v1/people/{head.pk}/history",
            f"/api/v1/houses/{reg['home']['house'].pk}", f"/api/v1/buildings/{reg['home']['building'].pk}/houses",
            "/api/v1/visits/due", f"/api/v1/people?q={head.id_number}"]
    secrets = [p.id_number for p in Person.objects.all()] + ["13800001111", "13911112222"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for secret in secrets:
            assert secret not in response.content.decode(), f"{url} shows {secret}"


def test_history_shows_who_changed_which_field_masked(world, reg, client):
    worker = login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    response = client.patch(f"/api/v1/people/{head.pk}", {"phone": "13911112222", "name": "新名字"},
                            content_type=JSON)
    assert response.status_code == 200 and response.json()["phone"] == "139****2222"
    history = client.get(f"/api/v1/people/{head.pk}/history").json()["items"]
    latest = history[0]
    assert latest["type"] == "changed" and latest["by"] == worker.username
    assert {c["field"]: (c["old"], c["new"]) for c in latest["changes"]} == {
        "name": ("home户主", "新名字"), "phone": ("138****1111", "139****2222")}
    created = history[-1]
    assert created["type"] == "created" and created["by"] == "系统"
    shown = {c["field"]: c["new"] for c in created["changes"]}
    assert shown["id_number"] == head.id_number[:6] + "********" + head.id_number[-4:]
    assert shown["birth_date"] == "****-**-**" and shown["sex"] == "M"
    assert AuditEntry.objects.filter(operation="registry.update_person", actor=worker).count() == 1


def test_history_names_staff_outside_the_readers_area_by_role_only(world, reg, client):
    operator = world.users[Role.DISTRICT_OPERATOR]
    client.force_login(operator)
    client.patch(f"/api/v1/people/{reg['home']['head'].pk}", {"kind": "floating"}, content_type=JSON)
    login(client, world, Role.GRID_WORKER)
    body = text(client.get(f"/api/v1/people/{reg['home']['head'].pk}/history"))
    assert "district_op" not in body and str(Role.DISTRICT_OPERATOR.label) in body


# --- writes -------------------------------------------------------------------------------------

def test_grid_worker_adds_a_building_house_household_and_people(world, client):
    worker = login(client, world, Role.GRID_WORKER)
    lng, lat = world.grid_center(world.grids[0])
    response = client.post("/api/v1/buildings", {"name": "5栋", "address": "幸福路5号", "lng": lng, "lat": lat,
                                                  "floors": 6, "units": 2}, content_type=JSON)
    assert response.status_code == 201, response.content
    building = response.json()
    assert building["grid_code"] == world.grids[0].code and building["floors"] == 6
    response = client.post(f"/api/v1/buildings/{building['id']}/houses", {"unit": "1", "number": "201",
                                                                          "use": "rented", "area": "78.5"},
                           content_type=JSON)
    assert response.status_code == 201, response.content
    house = response.json()
    assert house["area"] == 78.5 and house["use"] == "rented"
    people = []
    for seq, name in ((11, "王大"), (12, "王二")):
        response = client.post("/api/v1/people", {"name": name, "id_number": make_id_number("19951212", seq),
                                                  "phone": "13700001111", "ethnicity": "03",
                                                  "kind": "floating", "house_id": house["id"]}, content_type=JSON)
        assert response.status_code == 201, response.content
        people.append(response.json())
    assert people[0]["ethnicity_name"] == "回族" and people[0]["kind"] == "floating"
    assert people[0]["grid_code"] == world.grids[0].code and people[0]["sex"] == "M"
    response = client.post(f"/api/v1/houses/{house['id']}/households",
                           {"head_id": people[0]["id"], "members": [{"person_id": people[1]["id"],
                                                                     "relation": "sibling"}]}, content_type=JSON)
    assert response.status_code == 201, response.content
    household = response.json()
    assert household["head_name"] == "王大"
    assert {m["name"]: m["relation"] for m in household["members"]} == {"王大": "head", "王二": "sibling"}
    ops = list(AuditEntry.objects.filter(actor=worker).values_list("operation", flat=True))
    assert sorted(ops) == sorted(["registry.create_building", "registry.create_house", "registry.register_person",
                                  "registry.register_person", "registry.create_household"])


def test_building_by_grid_code_and_refused_outside(world, client):
    login(client, world, Role.GRID_WORKER)
    response = client.post("/api/v1/buildings", {"name": "6栋", "address": "路6号", "grid": world.grids[0].code},
                           content_type=JSON)
    assert response.status_code == 201 and response.json()["lng"] is None
    before = snapshot()
    response = client.post("/api/v1/buildings", {"name": "7栋", "address": "路7号", "grid": world.grids[4].code},
                           content_type=JSON)
    assert "不存在或不在辖区内" in field_errors(response)["grid"]
    lng, lat = world.grid_center(world.grids[4])
    response = client.post("/api/v1/buildings", {"name": "7栋", "address": "路7号", "lng": lng, "lat": lat},
                           content_type=JSON)
    assert "location" in field_errors(response)
    response = client.post("/api/v1/buildings", {"name": " ", "address": "", "grid": world.grids[0].code},
                           content_type=JSON)
    assert set(field_errors(response)) == {"name", "address"}
    assert snapshot() == before


def test_move_person_keeps_history_and_hides_the_other_grid(world, reg, client):
    login(client, world, Role.COMMUNITY_OPERATOR)
    member = reg["home"]["member"]
    lng, lat = world.grid_center(world.grids[1])
    building = client.post("/api/v1/buildings", {"name": "8栋", "address": "东路8号", "lng": lng, "lat": lat},
                           content_type=JSON).json()
    house = client.post(f"/api/v1/buildings/{building['id']}/houses", {"number": "301"}, content_type=JSON).json()
    today = timezone.localdate().isoformat()
    response = client.post(f"/api/v1/people/{member.pk}/move", {"house_id": house["id"], "when": today},
                           content_type=JSON)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["grid_code"] == world.grids[1].code and data["household_id"] is None
    assert [(r["house_id"], r["moved_out"]) for r in data["residences"]] == [
        (reg["home"]["house"].pk, today), (house["id"], None)]
    # The grid worker of the old grid sees neither the person nor where they went.
    login(client, world, Role.GRID_WORKER)
    assert client.get(f"/api/v1/people/{member.pk}").status_code == 404
    # A person who moved from another street shows that line of their history with the dates only.
    admin = world.users[Role.ADMINISTRATOR]
    services.do_move_person(admin, reg["away"]["member"], reg["home"]["house"], reg["home"]["household"], "child")
    data = client.get(f"/api/v1/people/{reg['away']['member'].pk}").json()
    assert [r["in_your_area"] for r in data["residences"]] == [False, True]
    assert data["residences"][0]["house"] is None and data["residences"][0]["grid_code"] is None


def test_move_out_of_the_district(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    member = reg["home"]["member"]
    response = client.post(f"/api/v1/people/{member.pk}/move", {"house_id": None}, content_type=JSON)
    assert response.status_code == 200 and response.json()["grid_code"] is None
    assert response.json()["moved_out"] == timezone.localdate().isoformat()
    assert client.get(f"/api/v1/people/{member.pk}").status_code == 404


def test_move_refuses_a_household_of_another_house_and_a_house_outside(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    member = reg["home"]["member"]
    before = snapshot()
    response = client.post(f"/api/v1/people/{member.pk}/move", {"house_id": reg["away"]["house"].pk},
                           content_type=JSON)
    assert "不存在或不在辖区内" in field_errors(response)["house_id"]
    other = services.do_create_house(world.users[Role.ADMINISTRATOR], reg["home"]["building"], number="102")
    before = snapshot()
    response = client.post(f"/api/v1/people/{member.pk}/move",
                           {"house_id": other.pk, "household_id": reg["home"]["household"].pk}, content_type=JSON)
    assert "户不在该房屋" in field_errors(response)["household_id"]
    response = client.post(f"/api/v1/people/{member.pk}/move", {"house_id": other.pk, "when": "1999-01-01"},
                           content_type=JSON)
    assert "when" in field_errors(response)
    assert snapshot() == before


def test_tags_add_and_remove(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    response = client.post(f"/api/v1/people/{head.pk}/tags", {"tag": "elder_living_alone", "since": "2024-01-01",
                                                               "note": "子女在外地"}, content_type=JSON)
    assert response.status_code == 201
    assert response.json() == {"code": "elder_living_alone", "name": "独居老人", "group": "care",
                               "visit_every_days": 7, "since": "2024-01-01", "note": "子女在外地"}
    assert client.get(f"/api/v1/people/{head.pk}").json()["tags"][0]["code"] == "elder_living_alone"
    assert "未知标签" in field_errors(client.post(f"/api/v1/people/{head.pk}/tags", {"tag": "nope"},
                                                     content_type=JSON))["tag"]
    assert client.delete(f"/api/v1/people/{head.pk}/tags/elder_living_alone").status_code == 204
    assert client.delete(f"/api/v1/people/{head.pk}/tags/elder_living_alone").status_code == 404
    assert list(AuditEntry.objects.filter(operation__in=["registry.tag_person", "registry.untag_person"])
                .order_by("id").values_list("operation", flat=True)) == ["registry.tag_person",
                                                                         "registry.untag_person"]


@pytest.mark.usefixtures("registry_readers_without_special")
def test_special_tags_hidden_from_mediator_and_department_handler(world, reg, client):
    admin = world.users[Role.ADMINISTRATOR]
    head = reg["home"]["head"]
    services.do_tag_person(admin, head, Tag.objects.get(code="drug_user"))
    services.do_tag_person(admin, head, Tag.objects.get(code="veteran"))
    for role in (Role.MEDIATOR, Role.DEPARTMENT_HANDLER):
        login(client, world, role)
        tags = client.get("/api/v1/tags").json()
        assert tags and all(t["group"] == "care" for t in tags)
        region = world.district if role == Role.DEPARTMENT_HANDLER else world.communities[0]
        for url in (f"/api/v1/people/{head.pk}", "/api/v1/people", f"/api/v1/houses/{reg['home']['house'].pk}",
                    f"/api/v1/regions/{region.code}/population"):
            body = text(client.get(url))
            assert "drug_user" not in body and "吸毒人员" not in body, url
        assert [t["code"] for t in client.get(f"/api/v1/people/{head.pk}").json()["tags"]] == ["veteran"]
    login(client, world, Role.GRID_WORKER)
    assert {t["code"] for t in client.get(f"/api/v1/people/{head.pk}").json()["tags"]} == {"drug_user", "veteran"}
    assert {t["group"] for t in client.get("/api/v1/tags").json()} == {"care", "special"}


def test_visit_with_photos(world, reg, client):
    worker = login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    lng, lat = world.grid_center(world.grids[0])
    when = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    response = client.post(f"/api/v1/people/{head.pk}/visits", {
        "visited_at": when.isoformat(), "lng": lng, "lat": lat, "notes": "家中整洁",
        "photos": [png(name="a.png"), png(name="b.png")]})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["in_grid"] is True and data["worker"] == worker.username and len(data["photos"]) == 2
    visit = Visit.objects.get(pk=data["id"])
    assert visit.visited_at == when and visit.photos.count() == 2
    assert AuditEntry.objects.filter(operation="registry.record_visit", actor=worker).count() == 1


def test_visit_needs_the_visit_permission(world, reg, client):
    login(client, world, Role.DISTRICT_OPERATOR)
    assert client.post(f"/api/v1/people/{reg['home']['head'].pk}/visits", {"notes": "x"}).status_code == 403
    login(client, world, Role.MEDIATOR)
    assert client.post("/api/v1/people", {"name": "x", "id_number": make_id_number(seq=5)},
                       content_type=JSON).status_code == 403
    assert Visit.objects.count() == 0 and Person.objects.count() == 4


# --- bad input: a clear message per field, and nothing written ----------------------------------

def _bad_check_digit():
    good = make_id_number(seq=7)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


@pytest.mark.parametrize("change,field,fragment", [
    ({"id_number": _bad_check_digit()}, "id_number", "校验位错误"),
    ({"id_number": "510107199002301234"}, "id_number", "出生日期不存在"),
    ({"ethnicity": "99"}, "ethnicity", "未知民族代码"),
    ({"id_number": make_id_number(seq=1)}, "id_number", "该身份证号已登记"),
    ({"phone": "12345"}, "phone", "不是有效的电话号码"),
    ({"house_id": "away"}, "house_id", "不存在或不在辖区内"),
    ({"house_id": 999999}, "house_id", "不存在或不在辖区内"),
    ({"household_id": "away"}, "household_id", "不存在或不在辖区内"),
    ({"relation": "boss"}, "relation", "未知关系"),
    ({"house_id": None}, "house_id", "请选择居住房屋"),
])
def test_bad_person_is_refused_with_the_field_and_nothing_written(world, reg, client, change, field, fragment):
    login(client, world, Role.GRID_WORKER)
    payload = {"name": "张三", "id_number": make_id_number(seq=7), "house_id": reg["home"]["house"].pk, **change}
    for key in ("house_id", "household_id"):
        if payload.get(key) == "away":
            payload[key] = reg["away"]["house" if key == "house_id" else "household"].pk
    before = snapshot()
    response = client.post("/api/v1/people", payload, content_type=JSON)
    errors = field_errors(response)
    assert fragment in errors[field], errors
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert snapshot() == before


def test_every_bad_field_is_named_at_once(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    before = snapshot()
    response = client.post("/api/v1/people", {"name": "", "id_number": _bad_check_digit(), "ethnicity": "99",
                                              "phone": "call me", "house_id": reg["away"]["house"].pk},
                           content_type=JSON)
    assert set(field_errors(response)) == {"name", "id_number", "ethnicity", "phone", "house_id"}
    assert snapshot() == before


@pytest.mark.parametrize("change,field", [
    ({"phone": "not a phone"}, "phone"),
    ({"ethnicity": "00"}, "ethnicity"),
    ({"kind": "alien"}, "kind"),
    ({"name": ""}, "name"),
])
def test_bad_update_is_refused_and_nothing_written(world, reg, client, change, field):
    login(client, world, Role.GRID_WORKER)
    before = snapshot()
    errors = field_errors(client.patch(f"/api/v1/people/{reg['home']['head'].pk}", change, content_type=JSON))
    assert field in errors
    assert snapshot() == before


def test_the_id_number_cannot_be_patched(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    response = client.patch(f"/api/v1/people/{reg['home']['head'].pk}", {"id_number": make_id_number(seq=8)},
                            content_type=JSON)
    assert response.status_code == 422
    assert Person.objects.get(pk=reg["home"]["head"].pk).id_number == make_id_number(seq=1)


@pytest.mark.parametrize("upload,fragment", [
    (lambda: SimpleUploadedFile("notes.png", b"this is text, not a picture", content_type="image/png"),
     "不是有效的图片"),
    (lambda: SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (services.MAX_PHOTO_BYTES + 1),
                                content_type="image/jpeg"), "照片超过 5 MB"),
    (lambda: _gif(), "照片须为 JPEG/PNG/WebP"),
])
def test_bad_photo_is_refused_and_nothing_written(world, reg, client, upload, fragment):
    login(client, world, Role.GRID_WORKER)
    before = snapshot()
    response = client.post(f"/api/v1/people/{reg['home']['head'].pk}/visits",
                           {"notes": "x", "photos": [png(), upload()]})
    errors = field_errors(response)
    assert fragment in errors["photos"]
    assert response.json()["detail"][0]["loc"] == ["form", "photos"]
    assert snapshot() == before


def _gif():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    return SimpleUploadedFile("anim.gif", buffer.getvalue(), content_type="image/gif")


def test_visit_in_the_future_is_refused(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    before = snapshot()
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    response = client.post(f"/api/v1/people/{reg['home']['head'].pk}/visits", {"visited_at": tomorrow})
    assert "走访时间在未来" in field_errors(response)["visited_at"]
    assert snapshot() == before


@pytest.mark.parametrize("payload,field", [
    ({"number": "101", "unit": "1"}, "number"),          # already exists
    ({"number": "102", "use": "palace"}, "use"),
    ({"number": "102", "owner_id": "away"}, "owner_id"),  # owner outside the area
])
def test_bad_house_is_refused(world, reg, client, payload, field):
    login(client, world, Role.GRID_WORKER)
    if payload.get("owner_id") == "away":
        payload["owner_id"] = reg["away"]["head"].pk
    before = snapshot()
    assert field in field_errors(client.post(f"/api/v1/buildings/{reg['home']['building'].pk}/houses", payload,
                                             content_type=JSON))
    assert snapshot() == before


def test_bad_household_is_refused(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    house = reg["home"]["house"].pk
    before = snapshot()
    errors = field_errors(client.post(f"/api/v1/houses/{house}/households",
                                      {"head_id": reg["away"]["head"].pk, "members": []}, content_type=JSON))
    assert "head_id" in errors
    errors = field_errors(client.post(f"/api/v1/houses/{house}/households",
                                      {"head_id": reg["home"]["head"].pk,
                                       "members": [{"person_id": reg["home"]["member"].pk, "relation": "boss"}]},
                                      content_type=JSON))
    assert "未知关系" in errors["members"]
    assert snapshot() == before


def test_organisations_places_vehicles(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    grid = world.grids[0].code
    response = client.post("/api/v1/organisations", {"name": "某公司", "uscc": "91110000600037341L",
                                                     "kind": "non_public_economic", "address": "路1号", "grid": grid},
                           content_type=JSON)
    assert response.status_code == 201 and response.json()["grid_code"] == grid
    errors = field_errors(client.post("/api/v1/organisations", {"name": "", "uscc": "91110000600037341X",
                                                                "kind": "guild", "address": "路", "grid": grid},
                                      content_type=JSON))
    assert set(errors) == {"name", "uscc", "kind"}
    response = client.post("/api/v1/places", {"name": "某小学", "kind": "school", "address": "路2号", "grid": grid},
                           content_type=JSON)
    assert response.status_code == 201
    assert field_errors(client.post("/api/v1/places", {"name": "x", "kind": "castle", "address": "y", "grid": grid},
                                    content_type=JSON)).keys() == {"kind"}
    response = client.post("/api/v1/vehicles", {"owner_id": reg["home"]["head"].pk, "plate": "川A·12345"},
                           content_type=JSON)
    assert response.status_code == 201 and response.json() == {
        "id": response.json()["id"], "plate": "川A12345", "grid_code": grid, "owner_id": reg["home"]["head"].pk,
        "owner_name": "home户主"}
    assert "plate" in field_errors(client.post("/api/v1/vehicles", {"owner_id": reg["home"]["head"].pk,
                                                                    "plate": "ABC"}, content_type=JSON))
    assert "owner_id" in field_errors(client.post("/api/v1/vehicles", {"owner_id": reg["away"]["head"].pk,
                                                                       "plate": "川A54321"}, content_type=JSON))
    assert [o["name"] for o in items(client.get("/api/v1/organisations", {"q": "公司"}))] == ["某公司"]
    assert [p["kind"] for p in items(client.get("/api/v1/places", {"kind": "school"}))] == ["school"]
    assert [v["plate"] for v in items(client.get("/api/v1/vehicles", {"q": "a12"}))] == ["川A12345"]
    login(client, world, Role.GRID_WORKER, outsider=True)
    assert items(client.get("/api/v1/organisations")) == []
    vehicle = response.json()["id"]
    assert client.get(f"/api/v1/vehicles/{vehicle}").status_code == 404


# --- a grid worker and another grid's person: no read, no reveal, no export ---------------------

def test_grid_worker_cannot_read_reveal_or_change_a_person_of_another_grid(world, reg, client):
    login(client, world, Role.GRID_WORKER)
    away = reg["away"]["head"]
    before = snapshot()
    for url in (f"/api/v1/people/{away.pk}", f"/api/v1/people/{away.pk}/history",
                f"/api/v1/houses/{reg['away']['house'].pk}", f"/api/v1/buildings/{reg['away']['building'].pk}"):
        assert client.get(url).status_code == 404, url
    response = client.post("/api/v1/reveal", {"object": "registry.person", "id": away.pk, "field": "id_number",
                                              "reason": "核实身份"}, content_type=JSON)
    assert response.status_code == 404 and away.id_number not in response.content.decode()
    assert client.patch(f"/api/v1/people/{away.pk}", {"name": "x"}, content_type=JSON).status_code == 404
    assert client.post(f"/api/v1/people/{away.pk}/move", {"house_id": None}, content_type=JSON).status_code == 404
    assert client.post(f"/api/v1/people/{away.pk}/visits", {"notes": "x"}).status_code == 404
    assert client.post(f"/api/v1/people/{away.pk}/tags", {"tag": "veteran"}, content_type=JSON).status_code == 404
    assert snapshot() == before
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()


def test_grid_worker_cannot_export_a_person_of_another_grid(world, reg):
    exporting = pytest.importorskip("wangge.registry.exporting")
    from wangge.core.services import OperationError

    with pytest.raises(OperationError):
        exporting.export_people(world.users[Role.GRID_WORKER], "csv")
    content = exporting.export_people(world.users[Role.COMMUNITY_OPERATOR], "csv").read().decode("utf-8-sig")
    assert "home户主" in content and "away户主" not in content and reg["home"]["head"].id_number not in content


def test_every_reveal_is_in_the_audit_log(world, reg, client):
    worker = login(client, world, Role.GRID_WORKER)
    head = reg["home"]["head"]
    for field, expected in (("id_number", head.id_number), ("phone", "13800001111")):
        response = client.post("/api/v1/reveal", {"object": "registry.person", "id": head.pk, "field": field,
                                                  "reason": "上门核实"}, content_type=JSON)
        assert response.status_code == 200 and response.json() == {"value": expected}
    response = client.post("/api/v1/reveal", {"object": "registry.person", "id": head.pk, "field": "id_number",
                                              "reason": ""}, content_type=JSON)
    assert field_errors(response).keys() == {"reason"}
    reveals = AuditEntry.objects.filter(operation="core.reveal").order_by("id")
    assert [(e.actor_id, e.object_type, e.object_id, e.details["field"], e.details["reason"]) for e in reveals] == [
        (worker.pk, "registry.person", str(head.pk), "id_number", "上门核实"),
        (worker.pk, "registry.person", str(head.pk), "phone", "上门核实"),
    ]


def test_openapi_documents_the_registry(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    people = schema["paths"]["/api/v1/people"]["get"]
    assert {p["name"] for p in people["parameters"]} >= {"grid", "region", "q", "kind", "tag", "limit", "offset"}
    assert "multipart/form-data" in schema["paths"]["/api/v1/people/{id}/visits"]["post"]["requestBody"]["content"]
    detail = schema["components"]["schemas"]["PersonDetail"]["properties"]
    assert "masked" in detail["id_number"]["description"] and "birth_date" not in detail


def test_only_the_district_wide_may_register_someone_housed_nowhere(world, client):
    login(client, world, Role.COMMUNITY_OPERATOR)
    response = client.post("/api/v1/people", {"name": "无房", "id_number": make_id_number(seq=9)}, content_type=JSON)
    assert "house_id" in field_errors(response) and not Person.objects.exists()
    login(client, world, Role.ADMINISTRATOR)
    response = client.post("/api/v1/people", {"name": "无房", "id_number": make_id_number(seq=9)}, content_type=JSON)
    assert response.status_code == 201 and response.json()["grid_code"] is None
