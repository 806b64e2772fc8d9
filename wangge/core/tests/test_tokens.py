from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wangge.core.models import ApiToken, AuditEntry, hash_token
from wangge.core.roles import Role
from wangge.core.services import do_create_token, do_revoke_token

pytestmark = pytest.mark.django_db


def test_create_token_command_prints_a_working_token(world, client):
    out = StringIO()
    call_command("create_token", "street_op", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("wg_")
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(raw) and raw not in (token.key_hash, token.prefix)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["username"] == "street_op"
    assert AuditEntry.objects.filter(operation="core.create_token").count() == 1


def test_create_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError, match="no such user"):
        call_command("create_token", "nobody")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wg_wrong", "Token abc", "Basic dXNlcjpwYXNz"])
def test_missing_or_wrong_token_is_401(world, client, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    assert client.get("/api/v1/me", **kwargs).status_code == 401
    assert client.get("/api/v1/regions", **kwargs).status_code == 401


def test_revoked_token_and_inactive_user_are_refused(world, client):
    user = world.users[Role.GRID_WORKER]
    token, raw = do_create_token(None, user)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    do_revoke_token(None, token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    _, raw2 = do_create_token(None, user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401


def test_session_auth_works_for_reads_and_needs_csrf_for_writes(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get("/api/v1/me").json()["role"] == "district_operator"
    grid = world.grids[0]
    response = client.put(f"/api/v1/regions/{grid.code}/boundary", {"geometry": None}, content_type="application/json")
    assert response.status_code in (401, 403)
    grid.refresh_from_db()
    assert grid.polygon is not None


def test_password_login_works_through_the_user_manager(world):
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    from wangge.testing import PASSWORD

    request = RequestFactory().post("/login/")
    assert authenticate(request, username="street_op", password=PASSWORD) == world.users[Role.STREET_OPERATOR]
    assert authenticate(request, username="street_op", password="wrong") is None


def test_a_cached_token_stops_working_when_its_user_is_deactivated(world, client):
    user = world.users[Role.GRID_WORKER]
    _, raw = do_create_token(None, user)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
