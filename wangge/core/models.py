"""Users, departments, API tokens and the audit log."""
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.fields import EncryptedCharField
from wangge.core.roles import ROLE_LEVEL, Role
from wangge.core.scoping import ScopedQuerySet
from wangge.core.staff import staff_name


class Department(models.Model):
    """职能部门: a government department that handles dispatched work in a region."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey("areas.Region", verbose_name=_("region served"), on_delete=models.PROTECT,
                               related_name="departments")

    scope_path_field = "region__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class UserQuerySet(ScopedQuerySet):
    def scope_q(self, prefix):
        # A user is inside an area when the node they are bound to is.
        return models.Q(region__path__startswith=prefix) | models.Q(department__region__path__startswith=prefix)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    """Django's UserManager (log-in, create_user) with visible_to() from the scoped queryset."""


class User(AbstractUser):
    """A staff member, bound to one region node or to one department."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    region = models.ForeignKey("areas.Region", verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="staff")
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="staff")
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("phone"), blank=True)
    # The language their messages are written in (inbox, texts): the one they last chose on a page; blank, the
    # platform's.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    objects = ScopedUserManager()
    scope_path_field = "region__path"

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self):
        return staff_name(self)

    @property
    def message_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE

    def clean(self):
        super().clean()
        if self.region_id and self.department_id:
            raise ValidationError(_("A user is bound to a region or a department, not both."))
        if self.role == Role.DEPARTMENT_HANDLER and not self.department_id:
            raise ValidationError({"department": _("A department handler needs a department.")})
        level = ROLE_LEVEL.get(self.role)
        if level and (not self.region_id or self.region.level != level):
            raise ValidationError({"region": _("This role must be bound to a region at level %(level)s.")
                                   % {"level": level}})

    @property
    def scope_node(self):
        """The region whose subtree this user may see, or None."""
        if self.region_id:
            return self.region
        if self.department_id:
            return self.department.region
        return None


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to store them.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_raw_key() -> str:
        return "wg_" + secrets.token_urlsafe(32)


class AppendOnlyQuerySet(models.QuerySet):
    """The rows of an AppendOnly model: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError(self.model.append_only_message)

    def delete(self):
        raise PermissionError(self.model.append_only_message)


class AppendOnly(models.Model):
    """A table whose rows are added and never changed or deleted (the audit log, a case's or a dispute's
    timeline): saving a stored row or deleting one raises PermissionError with `append_only_message`. Its
    manager should come from an AppendOnlyQuerySet, which refuses the same in bulk."""

    append_only_message = "This table is append-only."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(self.append_only_message)


class TimelineEvent(AppendOnly):
    """One step of a record's timeline on the workflow engine (`Workflow.record` writes them, core/workflow.py).
    An app's event model adds only the foreign key to its record (the workflow's `event_field`) and its message."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class AuditQuerySet(AppendOnlyQuerySet):
    def visible_to(self, user):
        from wangge.core.roles import can

        return self if can(user, "audit.view") else self.none()


class AuditEntry(AppendOnly):
    """One row per operation: who did what to which object, when."""

    append_only_message = "The audit log is append-only."

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    operation = models.CharField(_("operation"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.operation} {self.object_repr}"


class CalendarOverride(models.Model):
    """工作日历调整: one day whose working status an administrator sets by hand.

    It wins over `chinese-calendar`, and it is the only source besides Monday–Friday for years the package
    has no data for yet (the State Council publishes each year's holidays late in the year before).
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {'工作日' if self.is_workday else '休息日'}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """站内消息: one message in a user's in-app inbox."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(max_length=200, blank=True)
    # What the message is about ("case:12"), so it can be settled once the step it asks for is taken.
    subject = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    """短信发件箱: every text message the platform sends, written here first; a gateway backend sends it."""

    phone = EncryptedCharField(_("phone"))
    body = models.CharField(_("body"), max_length=500)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    recipient = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        ordering = ["-created_at", "-id"]
