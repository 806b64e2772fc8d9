import pytest
from django.db import connection, transaction

from wangge.areas.services import do_set_boundary
from wangge.core import audit
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.testing import square

pytestmark = pytest.mark.django_db


def test_record_writes_who_what_which(world):
    admin = world.users[Role.ADMINISTRATOR]
    entry = audit.record(admin, "test.op", world.grids[0], reason="x")
    assert entry.actor == admin and entry.actor_name == "admin"
    assert entry.object_type == "areas.region" and entry.object_id == str(world.grids[0].pk)
    assert entry.details == {"reason": "x"}


def test_system_actions_are_recorded_as_system(db):
    assert audit.record(None, "test.op").actor_name == "system"


def test_entries_cannot_be_changed_or_deleted_through_the_orm(world):
    entry = audit.record(None, "test.op")
    entry.operation = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(operation="tampered")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).operation == "test.op"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_postgresql_refuses_raw_updates_and_deletes(world):
    entry = audit.record(None, "test.op")
    for sql in ("UPDATE core_auditentry SET operation = 'x' WHERE id = %s",
                "DELETE FROM core_auditentry WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).operation == "test.op"


def test_an_operation_writes_its_audit_row(world):
    op = world.users[Role.DISTRICT_OPERATOR]
    do_set_boundary(op, world.grids[0], square(104.0, 30.6, 0.005))
    entry = AuditEntry.objects.get(operation="areas.set_boundary")
    assert entry.actor == op and entry.object_id == str(world.grids[0].pk)


def test_only_administrators_read_the_log(world):
    audit.record(None, "test.op")
    assert AuditEntry.objects.visible_to(world.users[Role.ADMINISTRATOR]).count() == 1
    for role, user in world.users.items():
        if role != Role.ADMINISTRATOR:
            assert AuditEntry.objects.visible_to(user).count() == 0


def test_audit_api_filters_for_administrators_and_refuses_others(world, client):
    audit.record(world.users[Role.ADMINISTRATOR], "test.one")
    audit.record(None, "test.two")
    client.force_login(world.users[Role.ADMINISTRATOR])
    items = client.get("/api/v1/audit", {"operation": "test.two"}).json()["items"]
    assert [i["operation"] for i in items] == ["test.two"]
    items = client.get("/api/v1/audit", {"actor": "admin"}).json()["items"]
    assert [i["operation"] for i in items] == ["test.one"]
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert client.get("/api/v1/audit").json()["count"] == 0


def test_admin_edits_are_audited(world, client):
    admin = world.users[Role.ADMINISTRATOR]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    dept = world.department
    response = client.post(f"/admin/core/department/{dept.pk}/change/",
                           {"code": dept.code, "name": "城市管理局", "region": world.district.pk})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(operation="admin.change")
    assert entry.details == {"fields": ["name"]} and entry.actor == admin


def test_the_audit_admin_is_read_only(world, client):
    admin = world.users[Role.ADMINISTRATOR]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    entry = audit.record(None, "test.op")
    client.force_login(admin)
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
