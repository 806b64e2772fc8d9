"""The inbox: API and page, each user's own messages only; marking read; the unread badge's count."""
import pytest
from django.test import RequestFactory

from wangge.core.context_processors import unread_count
from wangge.core.models import Notification
from wangge.core.notify import notify
from wangge.core.roles import Role


@pytest.fixture
def boxes(world):
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[Role.DEPARTMENT_HANDLER]
    mine = [notify([op], kind="case.dispatch", title=f"给操作员的消息{i}", url=f"/cases/{i}/")[0] for i in range(3)]
    theirs = notify([dept], kind="case.dispatch", title="给部门的消息", url="/cases/9/")[0]
    return op, dept, mine, theirs


def test_api_lists_only_my_messages(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    data = client.get("/api/v1/notifications").json()
    assert data["count"] == 3
    assert sorted(item["id"] for item in data["items"]) == sorted(n.pk for n in mine)
    assert "给部门的消息" not in str(data)


def test_api_unread_filter(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    assert client.post(f"/api/v1/notifications/{mine[0].pk}/read").status_code == 200
    data = client.get("/api/v1/notifications?unread=true").json()
    assert {item["id"] for item in data["items"]} == {mine[1].pk, mine[2].pk}
    assert client.get("/api/v1/notifications").json()["count"] == 3


def test_api_mark_read(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    response = client.post(f"/api/v1/notifications/{mine[0].pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    first_read = Notification.objects.get(pk=mine[0].pk).read_at
    client.post(f"/api/v1/notifications/{mine[0].pk}/read")  # again: the first time stays
    assert Notification.objects.get(pk=mine[0].pk).read_at == first_read


def test_api_someone_elses_message_is_not_found_and_stays_unread(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    assert client.post("/api/v1/notifications/99999/read").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_api_read_all_marks_only_mine(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 3}
    assert not Notification.objects.filter(recipient=op).unread().exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_api_needs_a_user(client, boxes):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401


def test_inbox_page_lists_my_messages_with_links(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    body = client.get("/inbox/").content.decode()
    assert "3 条未读" in body and "给操作员的消息0" in body and 'href="/cases/0/"' in body
    assert "给部门的消息" not in body


def test_inbox_page_mark_read_and_unread_filter(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    response = client.post(f"/inbox/{mine[0].pk}/read/", {"unread": "1"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?unread=1"
    body = client.get("/inbox/?unread=1").content.decode()
    assert "给操作员的消息0" not in body and "给操作员的消息1" in body and "2 条未读" in body
    response = client.post(f"/inbox/{mine[1].pk}/read/", {"open": "1"})
    assert response["Location"] == "/cases/1/"
    client.post("/inbox/read-all/")
    assert "没有未读消息" in client.get("/inbox/?unread=1").content.decode()


def test_inbox_page_refuses_someone_elses_message(client, boxes):
    op, dept, mine, theirs = boxes
    client.force_login(op)
    assert client.post(f"/inbox/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/inbox/{theirs.pk}/read/").status_code == 405
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_inbox_page_needs_log_in(client, boxes):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_outside_url_is_not_followed(client, boxes):
    op = boxes[0]
    note = notify([op], kind="t", title="外链", url="https://evil.example/")[0]
    client.force_login(op)
    assert client.post(f"/inbox/{note.pk}/read/", {"open": "1"})["Location"] == "/inbox/"


def test_context_processor_counts_my_unread(boxes):
    from django.contrib.auth.models import AnonymousUser

    op, dept, mine, theirs = boxes
    request = RequestFactory().get("/")
    request.user = op
    context = unread_count(request)
    assert context["unread_count"] == 3 and bool(context["unread_count"])
    request.user = AnonymousUser()
    assert unread_count(request) == {}
