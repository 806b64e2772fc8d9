"""研判预警: each rule fires on what it describes and not on what it does not; everything is scoped; the API and
the board answer what the rules say, refuse others and bad input."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.mediation.models import Dispute
from wangge.mediation.testing import PARAMS, act, build_mediation, register
from wangge.mediation.warnings import warnings_for
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db
OP, C_OP, S_OP = Role.DISTRICT_OPERATOR, Role.COMMUNITY_OPERATOR, Role.STREET_OPERATOR
JIA = {"name": "甲某", "phone": "13800000001", "role": "applicant"}
YI = {"name": "乙某", "phone": "13800000002", "role": "respondent"}
BING = {"name": "丙某", "phone": "13800000003", "role": "respondent"}


@pytest.fixture
def w(world):
    world.m = build_mediation(world)
    return world


def ago(days):
    return timezone.now() - timedelta(days=days)


def of_kind(user, kind, **kwargs):
    return [w for w in warnings_for(user, **kwargs) if w.kind == kind]


def numbers(warning):
    return [d.number for d in warning.disputes]


def in_grid(world, index, **extra):
    lng, lat = world.grid_center(world.grids[index])
    return register(world, world.users[OP], lng=lng, lat=lat, **extra)


# --- repeat parties -----------------------------------------------------------------------------------

def test_the_same_two_parties_twice_within_180_days_is_one_warning(w):
    first = register(w, parties=[JIA, YI], now=ago(100))
    second = register(w, parties=[dict(JIA), dict(YI, role="applicant")], now=ago(5))
    register(w, parties=[JIA, BING], now=ago(3))  # shares only 甲: another quarrel, not the same parties
    register(w, parties=[JIA, YI], now=ago(200))  # the same pair, but too long ago
    found = of_kind(w.users[OP], "repeat_parties")
    assert len(found) == 1
    assert numbers(found[0]) == [first.number, second.number]
    assert "甲某" in found[0].reason and "乙某" in found[0].reason and "2 起" in found[0].reason


def test_a_name_alone_or_a_phone_alone_is_not_the_same_party(w):
    register(w, parties=[{"name": "甲某"}, {"name": "乙某"}], now=ago(10))
    register(w, parties=[{"name": "甲某"}, {"name": "乙某"}], now=ago(5))
    register(w, parties=[dict(JIA, name="丁某"), dict(YI, name="戊某")], now=ago(4))
    register(w, parties=[JIA, YI], now=ago(2))
    assert of_kind(w.users[OP], "repeat_parties") == []


def test_a_registry_person_and_the_same_id_number_typed_in_are_one_party(w):
    people = build_registry(w)
    head = people["home"]["head"]
    first = register(w, parties=[{"person": head.pk}, YI], now=ago(30))
    second = register(w, parties=[{"name": "户主别名", "id_number": head.id_number}, YI], now=ago(1))
    found = of_kind(w.users[OP], "repeat_parties")
    assert [numbers(x) for x in found] == [[first.number, second.number]]
    assert head.id_number not in found[0].reason


def test_a_one_party_dispute_repeats_when_its_only_party_comes_back(w):
    someone = {"name": "庚某", "id_number": make_id_number(seq=77)}
    first = register(w, parties=[someone], now=ago(20))
    second = register(w, parties=[someone, BING], now=ago(2))
    assert [numbers(x) for x in of_kind(w.users[OP], "repeat_parties")] == [[first.number, second.number]]


def test_repeats_are_only_counted_inside_the_users_area(w):
    home = register(w, parties=[JIA, YI], now=ago(10))
    away = in_grid(w, 4, parties=[JIA, YI], now=ago(5))  # the other street
    assert of_kind(w.users[C_OP], "repeat_parties") == []
    assert of_kind(w.users[S_OP], "repeat_parties") == []
    assert [numbers(x) for x in of_kind(w.users[OP], "repeat_parties")] == [[home.number, away.number]]


# --- repeat place ------------------------------------------------------------------------------------

def test_three_disputes_at_one_address_within_90_days(w):
    made = [register(w, address=" 幸福路 1号 ", parties=[{"name": f"人{i}"}], now=ago(80 - i * 10)) for i in range(3)]
    register(w, address="幸福路1号", parties=[{"name": "旧人"}], now=ago(120))  # too long ago
    found = of_kind(w.users[OP], "repeat_place")
    # one warning: the grid's disputes in the window are exactly the address's, so the grid's is left out
    assert len(found) == 1 and numbers(found[0]) == [d.number for d in made]
    assert "幸福路 1号" in found[0].reason and "3 起" in found[0].reason


def test_two_at_one_address_is_not_a_warning_but_three_in_a_grid_is(w):
    register(w, address="幸福路1号", now=ago(10))
    register(w, address="幸福路1号", now=ago(9))
    assert of_kind(w.users[OP], "repeat_place") == []
    register(w, address="和平街2号", now=ago(8))
    found = of_kind(w.users[OP], "repeat_place")
    assert len(found) == 1 and len(found[0].disputes) == 3 and w.grids[0].name in found[0].reason


def test_a_region_filter_keeps_warnings_inside_it(w):
    for i in range(3):
        in_grid(w, 4, now=ago(i + 1))
    assert len(of_kind(w.users[OP], "repeat_place")) == 1
    assert of_kind(w.users[OP], "repeat_place", region=w.streets[0]) == []
    assert len(of_kind(w.users[OP], "repeat_place", region=w.streets[1])) == 1


# --- one dispute ------------------------------------------------------------------------------------

def test_many_parties_open_warns_once_and_closed_does_not(w):
    five = [{"name": f"工人{i}"} for i in range(5)]
    open_one = register(w, parties=five)
    closed = act(w.users[C_OP], register(w, parties=five), "withdraw", **PARAMS["withdraw"])
    assert open_one.group_risk and closed.group_risk  # registration flags it: the board must not warn twice
    assert [numbers(x) for x in of_kind(w.users[OP], "many_parties")] == [[open_one.number]]
    assert of_kind(w.users[OP], "flagged_risk") == []


def test_flagged_risks_that_are_still_open(w):
    criminal = register(w, criminal_risk=True, risk_reasons=["一方扬言报复"])
    group = register(w, group_risk=True)
    closed = act(w.users[C_OP], register(w, criminal_risk=True), "withdraw", **PARAMS["withdraw"])
    found = {x.disputes[0].number: x for x in of_kind(w.users[OP], "flagged_risk")}
    assert set(found) == {criminal.number, group.number}
    assert closed.number not in found
    assert "民转刑" in found[criminal.number].reason and "一方扬言报复" in found[criminal.number].reason
    assert "群体性" in found[group.number].reason and found[group.number].severity == "high"


def test_overdue_only_while_open(w):
    late = register(w)
    done = act(w.users[C_OP], register(w), "withdraw", **PARAMS["withdraw"])
    Dispute.objects.filter(pk__in=[late.pk, done.pk]).update(due_by=ago(3))
    found = of_kind(w.users[OP], "overdue")
    assert [numbers(x) for x in found] == [[late.number]]
    assert "逾期 3 天" in found[0].reason or "逾期 2 天" in found[0].reason
    assert of_kind(w.users[OP], "overdue", now=ago(4)) == []


def test_a_mediator_and_an_outside_operator_see_only_their_own(w):
    late = register(w)
    away = in_grid(w, 4)
    Dispute.objects.filter(pk__in=[late.pk, away.pk]).update(due_by=ago(1))
    assert [x.disputes[0].pk for x in of_kind(w.outsiders[C_OP], "overdue")] == [away.pk]
    assert [x.disputes[0].pk for x in of_kind(w.users[C_OP], "overdue")] == [late.pk]
    assert [x.disputes[0].pk for x in of_kind(w.users[Role.MEDIATOR], "overdue")] == [late.pk]
    assert of_kind(w.users[Role.DEPARTMENT_HANDLER], "overdue") == []  # not a court: refers nothing


# --- the API and the board -------------------------------------------------------------------------------

URL = "/api/v1/disputes/warnings"


def test_api_lists_the_warnings_with_their_disputes(w, client):
    late = register(w, criminal_risk=True)
    Dispute.objects.filter(pk=late.pk).update(due_by=ago(2))
    client.force_login(w.users[C_OP])
    data = client.get(URL).json()
    assert data["counts"]["overdue"] == 1 and data["counts"]["flagged_risk"] == 1 and data["count"] == 2
    kinds = [item["kind"] for item in data["items"]]
    assert kinds[0] == "flagged_risk"  # high severity first
    item = data["items"][kinds.index("overdue")]
    assert item["label"] == "超期未化解" and item["disputes"][0]["number"] == late.number
    only = client.get(URL, {"kind": "overdue"}).json()
    assert [i["kind"] for i in only["items"]] == ["overdue"]


def test_api_refuses_roles_bad_kinds_and_outside_regions(w, client):
    client.force_login(w.users[Role.GRID_WORKER])
    assert client.get(URL).status_code == 403
    client.force_login(w.users[C_OP])
    response = client.get(URL, {"kind": "overdue,nonsense"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "kind"]
    assert client.get(URL, {"region": w.communities[2].code}).status_code == 404
    assert client.get(URL, {"region": "999999"}).status_code == 404
    assert client.get(URL, {"region": w.grids[0].code}).status_code == 200


def test_board_page_shows_reasons_and_links(w, client):
    late = register(w, title="噪音扰民纠纷")
    away = in_grid(w, 4, title="外街道纠纷")
    Dispute.objects.filter(pk__in=[late.pk, away.pk]).update(due_by=ago(2))
    client.force_login(w.users[C_OP])
    response = client.get("/mediation/warnings/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "研判预警" in body and "噪音扰民纠纷" in body and late.number in body and "超期未化解" in body
    assert f'data-dispute="{late.pk}"' in body
    assert away.number not in body and "外街道纠纷" not in body
    assert client.get("/mediation/warnings/", {"region": w.communities[2].code}).status_code == 404
    filtered = client.get("/mediation/warnings/", {"kind": "repeat_place"}).content.decode()
    assert late.number not in filtered
    client.force_login(w.users[Role.MEDIATOR])
    assert client.get("/mediation/warnings/").status_code == 403


def test_parties_carry_their_lookup_hashes_and_the_migration_fills_old_rows(w):
    import importlib

    from django.apps import apps

    from wangge.core.crypto import lookup_hash
    from wangge.mediation.models import Party

    id_number = make_id_number("19950101", 77)
    dispute = register(w, parties=[dict(JIA, id_number=id_number), {"name": "乙某"}])
    typed, nameless = Party.objects.filter(dispute=dispute).order_by("id")
    assert typed.id_hash == lookup_hash(id_number) and typed.name_phone_hash == lookup_hash("甲某|13800000001")
    assert nameless.id_hash == "" and nameless.name_phone_hash == ""  # a name alone is not a key
    Party.objects.update(id_hash="", name_phone_hash="")  # rows written before the columns existed
    migration = importlib.import_module("wangge.mediation.migrations.0002_party_lookup_hashes")
    migration.fill_keys(apps, None)
    typed.refresh_from_db()
    assert typed.id_hash == lookup_hash(id_number) and typed.name_phone_hash == lookup_hash("甲某|13800000001")


def test_a_warning_names_the_other_kinds_about_the_same_dispute(w, client):
    crowd = register(w, title="多人欠薪纠纷", parties=[{"name": f"工人{i}"} for i in range(6)])
    Dispute.objects.filter(pk=crowd.pk).update(due_by=ago(2))
    client.force_login(w.users[C_OP])
    body = client.get("/mediation/warnings/").content.decode()
    overdue = body[body.index('id="overdue"'):body.index('id="flagged_risk"')]
    assert f'data-dispute="{crowd.pk}"' in overdue and 'data-also="many_parties"' in overdue
    assert 'href="?kind=many_parties"' in overdue
