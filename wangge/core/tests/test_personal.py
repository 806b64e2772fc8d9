import pytest
from django.db import connection

from wangge.core import crypto
from wangge.core.models import AuditEntry
from wangge.core.personal import mask_id_number, mask_phone
from wangge.core.roles import Role

pytestmark = pytest.mark.django_db


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"
    assert mask_id_number("51010719900101123X") == "510107********123X"


def test_round_trip_and_randomised_ciphertext():
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and "13812345678" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "13812345678"


def test_lookup_hash_is_keyed_and_normalised():
    assert crypto.lookup_hash("51010719900101123x") == crypto.lookup_hash(" 51010719900101123X")
    assert crypto.lookup_hash("1") != crypto.lookup_hash("2")
    import hashlib

    assert crypto.lookup_hash("1") != hashlib.sha256(b"1").hexdigest()


def test_phones_are_encrypted_at_rest(world):
    member = world.grids[0].team.create(role="grid_leader", name="张三", phone="19912345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM areas_gridteammember WHERE id = %s", [member.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and "19912345678" not in stored
    assert type(member).objects.get(pk=member.pk).phone == "19912345678"


def test_encrypted_columns_refuse_content_search(world):
    with pytest.raises(TypeError):
        list(world.grids[0].team.filter(phone="19912345678"))
    with pytest.raises(TypeError):
        list(world.grids[0].team.filter(phone__contains="1991"))
    assert list(world.grids[0].team.filter(phone="")) == []


def test_reveal_needs_a_reason_and_is_logged(world, client):
    member = world.grids[0].team.create(role="grid_leader", name="张三", phone="19912345678")
    user = world.users[Role.GRID_WORKER]
    client.force_login(user)
    payload = {"object": "areas.gridteammember", "id": member.pk, "field": "phone", "reason": "联系核实走访"}
    response = client.post("/api/v1/reveal", payload, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"value": "19912345678"}
    entry = AuditEntry.objects.get(operation="core.reveal")
    assert entry.actor == user and entry.details == {"field": "phone", "reason": "联系核实走访"}


@pytest.mark.parametrize("change,field", [
    ({"reason": " "}, "reason"),
    ({"field": "name"}, "field"),
    ({"object": "areas.region"}, "object"),
])
def test_bad_reveal_requests_are_refused_and_not_logged(world, client, change, field):
    member = world.grids[0].team.create(role="grid_leader", name="张三", phone="19912345678")
    client.force_login(world.users[Role.GRID_WORKER])
    payload = {"object": "areas.gridteammember", "id": member.pk, "field": "phone", "reason": "联系核实", **change}
    response = client.post("/api/v1/reveal", payload, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", field]
    assert "19912345678" not in response.content.decode()
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()


def test_reveal_outside_the_area_is_404(world, client):
    member = world.grids[0].team.create(role="grid_leader", name="张三", phone="19912345678")
    client.force_login(world.outsiders[Role.GRID_WORKER])
    payload = {"object": "areas.gridteammember", "id": member.pk, "field": "phone", "reason": "联系核实"}
    assert client.post("/api/v1/reveal", payload, content_type="application/json").status_code == 404
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()


def test_many_at_once_is_each_on_its_own():
    values = ["510107199001010014", "13800001111", "a b", "天"]
    sealed = crypto.encrypt_many(values)
    assert [crypto.decrypt(token) for token in sealed] == values
    assert len({token[3:19] for token in sealed}) == len(values)  # a nonce each
    assert crypto.lookup_hashes(values + [" 510107199001010014 "]) == [crypto.lookup_hash(v) for v in values] + [
        crypto.lookup_hash(values[0])]


def test_a_reason_longer_than_the_limit_reveals_nothing_and_logs_nothing(world, client):
    """do_reveal holds the limit for every way in: the API's reveal answers 422 naming the reason."""
    from wangge.core.models import AuditEntry
    from wangge.core.roles import Role
    from wangge.core.services import REASON_MAX
    from wangge.registry.models import Person
    from wangge.testing import build_registry

    person = build_registry(world)["home"]["head"]
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    body = {"object": "registry.person", "id": person.pk, "field": "phone"}
    answer = client.post("/api/v1/reveal", {**body, "reason": "核" * (REASON_MAX + 1)},
                         content_type="application/json")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "reason"
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()
    done = client.post("/api/v1/reveal", {**body, "reason": "核" * REASON_MAX}, content_type="application/json")
    assert done.status_code == 200 and done.json()["value"] == Person.objects.get(pk=person.pk).phone
