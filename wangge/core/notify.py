"""Notification channels (通知渠道): the in-app inbox and text messages (短信).

`notify(users, kind=, title=, ...)` writes one in-app `Notification` per user, in the language each chose
(`User.language`, set by the language switch; blank, the platform's); with `sms=True` it also
queues a text message for each user who has a phone. `notify_phone(phone, kind=, body=)` texts someone
without an account (a citizen's receipt with the tracking code, "办结请评价").

A text message is first a row in the outbox table (`SmsMessage`, status queued). After the surrounding
transaction commits, a django.tasks task (`deliver_sms`) hands it to the gateway named by
`settings.WANGGE_SMS_BACKEND` and marks the row sent (or failed, with the error). The default
`OutboxSmsBackend` sends nothing: the outbox row is the message, which is what a machine without a gateway
(the demo, an intranet without an SMS contract) wants. A real gateway is one class:

    class MyGateway:
        def send(self, message: SmsMessage) -> None:
            ...  # call the provider with message.phone and message.body; raise on any failure

and `WANGGE_SMS_BACKEND=myproject.sms.MyGateway` in the environment. See docs/notifications.md.
"""
import logging
from typing import Callable, Iterable, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from wangge.core.models import Notification, SmsMessage, SmsStatus

logger = logging.getLogger(__name__)

SMS_MAX_LENGTH = 500  # SmsMessage.body; gateways split long texts into parts themselves
DEFAULT_SMS_SIGNATURE = "【网格化服务管理】"


class SmsBackend(Protocol):
    """What a gateway implements. `send` returns once the provider has accepted the message, and raises
    (any exception) when it has not; the message is then marked failed with the error text."""

    def send(self, message: SmsMessage) -> None: ...


class OutboxSmsBackend:
    """The default: nothing leaves the machine. The message stays in the outbox table, marked sent."""

    def send(self, message: SmsMessage) -> None:
        logger.info("sms %s to outbox only (no gateway configured)", message.pk)


def sms_backend() -> SmsBackend:
    return import_string(settings.WANGGE_SMS_BACKEND)()


def sms_text(body: str) -> str:
    signature = getattr(settings, "WANGGE_SMS_SIGNATURE", DEFAULT_SMS_SIGNATURE)
    return (signature + body.strip())[:SMS_MAX_LENGTH]


def _users(recipients) -> list:
    """Active users, once each, in the order given (None and duplicates dropped)."""
    seen, users = set(), []
    for user in recipients or ():
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        users.append(user)
    return users


# The one style of a message's text: sentences joined by "；" ("; " in English), none ending in its own stop
# first (a note "路面已清扫整洁。" joined as "整洁。；").
SENTENCE_ENDS = "。；;，,.!！?？ \n"


def sentences(*parts: str) -> str:
    """Join the non-empty parts as one message text: "甲；乙" whatever punctuation each part ended with."""
    return _("; ").join(text for text in (str(p or "").strip().rstrip(SENTENCE_ENDS) for p in parts) if text)


Text = str | Callable[[], str]


def notify(recipients: Iterable, *, kind: str, title: Text, body: Text = "", url: str = "",
           sms: bool = False, subject: str = "", now=None) -> list[Notification]:
    """An in-app message to each recipient; with `sms`, a text message as well to those with a phone.
    `subject` ("case:12") lets `settle` mark it done once the step it asks for has been taken.

    `title` and `body` are text, or functions that write it: those are called once for each language among
    the recipients (`User.message_language`) with that language active, so each reads the message in the
    language they chose. The data inside (a case's title, a note) stays as it was entered."""
    now = now or timezone.now()
    users = _users(recipients)
    texts = _texts_by_language(users, title, body)
    notes = Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind[:32], title=texts[user.message_language][0][:200],
                      body=texts[user.message_language][1], url=url[:200], subject=subject[:64], created_at=now)
         for user in users])
    if sms:
        for user in users:
            if user.phone:
                queue_sms(user.phone, kind=kind, body=texts[user.message_language][2], recipient=user, now=now)
    return notes


def _texts_by_language(users, title: Text, body: Text) -> dict[str, tuple[str, str, str]]:
    """language -> (title, body, the text message) for each language among `users`."""
    texts = {}
    for language in dict.fromkeys(user.message_language for user in users):
        with translation.override(language):
            written = (str(title() if callable(title) else title), str(body() if callable(body) else body))
            texts[language] = (*written, sentences(*written))
    return texts


def notify_phone(phone: str, *, kind: str, body: str, now=None) -> SmsMessage | None:
    """A text message to someone without an account (a citizen). Nothing when there is no phone."""
    phone = (phone or "").strip()
    if not phone:
        return None
    return queue_sms(phone, kind=kind, body=body, now=now)


def queue_sms(phone: str, *, kind: str, body: str, recipient=None, now=None) -> SmsMessage:
    """Write the message to the outbox (queued) and, once the transaction commits, enqueue its delivery."""
    message = SmsMessage.objects.create(phone=phone, body=sms_text(body), kind=kind[:32], recipient=recipient,
                                        created_at=now or timezone.now())
    # After commit: a worker (or another broker's backend) must never look for a row that is not there yet.
    transaction.on_commit(lambda: deliver_sms.enqueue(message.pk), robust=True)
    return message


@task()
def deliver_sms(message_id: int) -> str:
    """Hand one queued message to the configured gateway; the row records the outcome."""
    message = SmsMessage.objects.filter(pk=message_id).first()
    if message is None or message.status != SmsStatus.QUEUED:
        return "skipped"  # gone, or already delivered by an earlier run
    try:
        sms_backend().send(message)
    except Exception as exc:
        SmsMessage.objects.filter(pk=message.pk, status=SmsStatus.QUEUED).update(
            status=SmsStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:200])
        raise  # the task result keeps the traceback
    SmsMessage.objects.filter(pk=message.pk, status=SmsStatus.QUEUED).update(
        status=SmsStatus.SENT, sent_at=timezone.now(), error="")
    return "sent"


def settle(subject: str, kinds, now=None) -> int:
    """Mark the unread messages about `subject` of these kinds read: what they asked for has been done (by
    whoever), so they no longer wait in anyone's inbox. Returns how many."""
    kinds = list(kinds)
    if not subject or not kinds:
        return 0
    return Notification.objects.filter(subject=subject, kind__in=kinds, read_at__isnull=True).update(
        read_at=now or timezone.now())


# --- the inbox -----------------------------------------------------------------------------------
# Marking one's own messages read changes nothing anyone else sees, so it is not audited.


def do_mark_read(user, notification_id: int) -> Notification:
    """Mark one of `user`'s messages read. Someone else's message is not found (Notification.DoesNotExist)."""
    note = Notification.objects.get(pk=notification_id, recipient=user)
    if note.read_at is None:
        note.read_at = timezone.now()
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=note.read_at)
    return note


def do_mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
