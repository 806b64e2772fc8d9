"""Notification channels: the in-app inbox, the SMS outbox and its delivery task."""
import pytest
from django.test import override_settings

from wangge.core import notify
from wangge.core.models import Notification, SmsMessage, SmsStatus
from wangge.core.roles import Role

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class FailingGateway:
    def send(self, message):
        raise ConnectionError("gateway down")


class RecordingGateway:
    sent: list = []

    def send(self, message):
        RecordingGateway.sent.append((message.phone, message.body))


@pytest.fixture
def people(world):
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[Role.DEPARTMENT_HANDLER]
    dept.phone = "13800001111"
    dept.save()
    return op, dept


def test_notify_writes_one_inbox_message_per_user(people):
    op, dept = people
    notes = notify.notify([op, dept, op, None], kind="test", title="标题", body="正文", url="/cases/1/")
    assert len(notes) == 2
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["dept_handler",
                                                                                           "district_op"]
    assert Notification.objects.get(recipient=dept).url == "/cases/1/"
    assert not SmsMessage.objects.exists()  # sms not asked for


def test_inactive_users_get_nothing(people):
    op, dept = people
    dept.is_active = False
    dept.save()
    notify.notify([dept], kind="test", title="标题", sms=True)
    assert not Notification.objects.exists() and not SmsMessage.objects.exists()


def test_sms_only_for_users_with_a_phone_and_queued_in_the_task_table(people, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    op, dept = people
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify([op, dept], kind="case.dispatch", title="新派遣事件", body="请签收", sms=True)
    message = SmsMessage.objects.get()
    assert message.recipient == dept and message.phone == "13800001111"
    assert message.status == SmsStatus.QUEUED and "新派遣事件" in message.body and message.body.startswith("【")
    task = DBTaskResult.objects.get()
    assert task.task_path == "wangge.core.notify.deliver_sms"
    assert task.args_kwargs["args"] == [message.pk]


def test_nothing_is_enqueued_when_the_transaction_rolls_back(people, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify.notify_phone("13900002222", kind="citizen.report", body="已受理")
    assert len(callbacks) == 1  # the enqueue waits for the commit
    assert not DBTaskResult.objects.exists()


@override_settings(TASKS=IMMEDIATE)
def test_default_backend_marks_the_outbox_row_sent(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = notify.notify_phone("13900002222", kind="citizen.report", body="已受理，查询码 ABC")
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.sent_at is not None and message.error == ""
    assert message.recipient is None


@override_settings(TASKS=IMMEDIATE, WANGGE_SMS_BACKEND="wangge.core.tests.test_notify.RecordingGateway")
def test_a_gateway_class_receives_the_message(db, django_capture_on_commit_callbacks):
    RecordingGateway.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify_phone("13900002222", kind="citizen.close", body="已办结")
    assert RecordingGateway.sent == [("13900002222", "【网格化服务管理】已办结")]
    assert SmsMessage.objects.get().status == SmsStatus.SENT


@override_settings(TASKS=IMMEDIATE, WANGGE_SMS_BACKEND="wangge.core.tests.test_notify.FailingGateway")
def test_a_failing_gateway_marks_the_message_failed(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify_phone("13900002222", kind="citizen.report", body="已受理")
    message = SmsMessage.objects.get()
    assert message.status == SmsStatus.FAILED and "gateway down" in message.error and message.sent_at is None


def test_delivery_runs_once(db):
    message = SmsMessage.objects.create(phone="13900002222", body="x", kind="t")
    assert notify.deliver_sms.call(message.pk) == "sent"
    assert notify.deliver_sms.call(message.pk) == "skipped"
    assert notify.deliver_sms.call(999999) == "skipped"


def test_no_phone_no_message(db):
    assert notify.notify_phone("", kind="citizen.report", body="x") is None
    assert not SmsMessage.objects.exists()


def test_mark_read_is_own_only(people):
    op, dept = people
    mine, = notify.notify([op], kind="t", title="a")
    theirs, = notify.notify([dept], kind="t", title="b")
    with pytest.raises(Notification.DoesNotExist):
        notify.do_mark_read(op, theirs.pk)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert notify.do_mark_read(op, mine.pk).read_at is not None
    notify.notify([op], kind="t", title="c")
    assert notify.do_mark_all_read(op) == 1
    assert Notification.objects.filter(recipient=op).unread().count() == 0
    assert Notification.objects.filter(recipient=dept).unread().count() == 1


# --- in each recipient's language --------------------------------------------------------------------------------


def test_a_message_is_written_in_each_recipients_language(people):
    """Text given as a function is written once per language among the recipients: the one who chose English
    reads English, in the inbox and by text; the others read the platform's language."""
    from django.utils.translation import gettext as _

    op, dept = people
    dept.language = "en"
    dept.save()
    written = []

    def title():
        written.append(1)
        return _("%(what)s: %(number)s %(title)s") % {"what": _("Overdue"), "number": "SJ1", "title": "井盖缺失"}

    notify.notify([op, dept], kind="test", title=title, body=lambda: _("Alerts"), sms=True)
    assert Notification.objects.get(recipient=dept).title == "Overdue: SJ1 井盖缺失"
    assert Notification.objects.get(recipient=op).title == "已超期：SJ1 井盖缺失"
    assert (Notification.objects.get(recipient=dept).body, Notification.objects.get(recipient=op).body) == (
        "Alerts", "告警")
    assert "Overdue: SJ1 井盖缺失; Alerts" in SmsMessage.objects.get(recipient=dept).body
    assert len(written) == 2  # once per language, not once per recipient


def test_plain_text_is_the_same_for_everyone(people):
    op, dept = people
    dept.language = "en"
    dept.save()
    notify.notify([op, dept], kind="test", title="标题")
    assert set(Notification.objects.values_list("title", flat=True)) == {"标题"}
