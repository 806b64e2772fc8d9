"""Cases (事件): the category catalogue, the case itself and its append-only timeline.

State changes go through `wangge.cases.services` (the table in `workflow.py`), never through save().
"""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.fields import EncryptedCharField
from wangge.core.models import TimelineEvent
from wangge.core.scoping import ScopedQuerySet


class Priority(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("case priority", "Normal")
    URGENT = "urgent", pgettext_lazy("case priority", "Urgent")


class MajorCategory(models.Model):
    """事项大类: a 2-digit class (市容环境, 矛盾纠纷, …)."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=50)
    active = models.BooleanField(_("active"), default=True)
    # Whether cases of this class are listed to anyone (Open311 search). Public-space problems are; disputes,
    # public-security leads, special groups and welfare requests are not: their place alone gives people away.
    public = models.BooleanField(_("listed publicly"), default=False)

    class Meta:
        verbose_name = _("major category")
        verbose_name_plural = _("major categories")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Category(models.Model):
    """事项小类: a 3-digit class under its major, with who acts and how fast.

    `department_codes` names the responsible departments by code (["CG"], ["ZJ", "XF"]): departments are
    rows per district, so the shipped catalogue cannot point at them; dispatch resolves the codes to the
    case's district's Department rows. `departments` lets an administrator pin rows explicitly instead.
    """

    major = models.ForeignKey(MajorCategory, verbose_name=_("major category"), on_delete=models.PROTECT,
                              related_name="minors")
    code = models.CharField(_("code"), max_length=3)
    name = models.CharField(_("name"), max_length=100)
    department_codes = models.JSONField(_("department codes"), default=list, blank=True)
    departments = models.ManyToManyField("core.Department", verbose_name=_("departments"), blank=True,
                                         related_name="categories")
    default_priority = models.CharField(_("default priority"), max_length=16, choices=Priority.choices,
                                        default=Priority.NORMAL)
    accept_within_hours = models.PositiveIntegerField(_("accept within (working hours)"), default=2)
    handle_within_days = models.PositiveIntegerField(_("handle within (working days)"), default=5)
    urgent_handle_within_days = models.PositiveIntegerField(_("handle within when urgent (working days)"),
                                                            default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["major__code", "code"]
        constraints = [models.UniqueConstraint(fields=["major", "code"], name="cases_category_major_code")]

    def __str__(self):
        return f"{self.full_code} {self.name}"

    @property
    def full_code(self) -> str:
        return f"{self.major.code}{self.code}"


class Channel(models.TextChoices):
    GRID_WORKER = "grid_worker", pgettext_lazy("case channel", "Grid worker")
    CITIZEN = "citizen", pgettext_lazy("case channel", "Citizen")
    HOTLINE_12345 = "hotline_12345", pgettext_lazy("case channel", "12345 hotline")
    DEVICE = "device", pgettext_lazy("case channel", "Device or video alert")
    OTHER_SYSTEM = "other_system", pgettext_lazy("case channel", "Other system")
    LEADER = "leader", pgettext_lazy("case channel", "Leader-assigned")


class State(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("case state", "Reported")
    REGISTERED = "registered", pgettext_lazy("case state", "Registered")
    REJECTED = "rejected", pgettext_lazy("case state", "Rejected")
    DISPATCHED = "dispatched", pgettext_lazy("case state", "Dispatched")
    ACCEPTED = "accepted", pgettext_lazy("case state", "Accepted")
    HANDLED = "handled", pgettext_lazy("case state", "Handled")
    CLOSED = "closed", pgettext_lazy("case state", "Closed")
    MERGED = "merged", pgettext_lazy("case state", "Merged")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", pgettext_lazy("case rating", "Satisfied")
    BASICALLY = "basically", pgettext_lazy("case rating", "Basically satisfied")
    UNSATISFIED = "unsatisfied", pgettext_lazy("case rating", "Unsatisfied")


class CaseQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        # Region-bound staff see the cases in their area by grid path. A department handler's node is the
        # district the department serves, which would show them everything, so they see instead exactly
        # the work dispatched to their department.
        department_id = getattr(user, "department_id", None)
        if department_id and not getattr(user, "region_id", None) and not user.is_superuser \
                and user.role != "administrator":
            # 职能部门 handlers see the work dispatched to their department, and nothing else.
            return self.filter(assignee_department_id=department_id)
        return super().visible_to(user)


class Case(models.Model):
    """事件: one problem from report to verified close."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="cases")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid = models.ForeignKey("areas.Region", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="cases")
    # The level whose operators own the case now: the grid at intake, moved up by escalate (逐级上报).
    owner_region = models.ForeignKey("areas.Region", verbose_name=_("responsible level"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="owned_cases")
    reporter = models.ForeignKey("core.User", verbose_name=_("reporter"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_cases")
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone = EncryptedCharField(_("reporter phone"), blank=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REPORTED)
    assignee_department = models.ForeignKey("core.Department", verbose_name=_("assigned department"), null=True,
                                            blank=True, on_delete=models.PROTECT, related_name="cases")
    assignee_region = models.ForeignKey("areas.Region", verbose_name=_("assigned to level"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="assigned_cases")
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="duplicates")
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    accept_by = models.DateTimeField(_("accept by"), null=True, blank=True, db_index=True)
    handle_by = models.DateTimeField(_("handle by"), null=True, blank=True, db_index=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    extension_requested_days = models.PositiveIntegerField(_("extension asked (working days)"), null=True,
                                                           blank=True)
    extension_count = models.PositiveIntegerField(default=0)
    resolution = models.TextField(_("resolution"), blank=True)
    self_resolved = models.BooleanField(_("self-resolved"), default=False)
    rework_count = models.PositiveIntegerField(_("reworks"), default=0)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices, blank=True)
    rating_note = models.TextField(_("rating note"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # 查询码: what a citizen or another system is given to follow the case without an account.
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True, null=True, blank=True)
    # The other system's own number (12345 工单号, a device alert id): re-imports update nothing twice.
    external_id = models.CharField(_("external number"), max_length=64, blank=True)
    # The report form's one-time key: a second submit of the same form (a double tap, a retry on a weak network)
    # finds the case the first one made instead of making another.
    submission_key = models.CharField(max_length=40, blank=True, editable=False)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    return_count = models.PositiveIntegerField(_("returns"), default=0)
    returned_at = models.DateTimeField(null=True, blank=True)
    supervise_count = models.PositiveIntegerField(_("supervisions"), default=0)
    # Set by the poller when it claims a case as unsigned (超时未签收) or overdue (超期): each is claimed once
    # by a conditional UPDATE, so two workers never notify twice; cleared when the deadline moves.
    unsigned_flagged_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()
    scope_path_field = "grid__path"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["state", "handle_by"]), models.Index(fields=["state", "accept_by"]),
                   models.Index(fields=["category", "state", "reported_at"]),
                   # The statistics window their closed and rated families on these (with reported_at and
                   # handle_by: one bitmap OR of four index ranges instead of a scan of every case).
                   models.Index(fields=["closed_at"], name="cases_case_closed_at_idx"),
                   models.Index(fields=["rated_at"], name="cases_case_rated_at_idx"),
                   # 督办台's returned and reworked sections, in their order: few cases among many, which a scan
                   # of the deadline index reached only after most of a district's cases.
                   models.Index(fields=["-returned_at", "-id"], condition=models.Q(return_count__gt=0),
                                name="cases_case_returned_idx"),
                   models.Index(fields=["handle_by", "id"], condition=models.Q(rework_count__gt=0),
                                name="cases_case_reworked_idx")]
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], condition=~models.Q(external_id=""),
                                               name="cases_case_channel_external_id"),
                       models.UniqueConstraint(fields=["reporter", "submission_key"],
                                               condition=~models.Q(submission_key=""),
                                               name="cases_case_reporter_submission_key"),
                       # The portal's reports have no reporter: their keys are unique among themselves.
                       models.UniqueConstraint(fields=["submission_key"],
                                               condition=models.Q(reporter__isnull=True) & ~models.Q(submission_key=""),
                                               name="cases_case_public_submission_key")]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES


CLOSED_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED})
OPEN_STATES = frozenset(set(State.values) - CLOSED_STATES)


class CaseCounter(models.Model):
    """The last case number handed out on a day: claimed with an UPDATE so two reports never share one."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class PhotoStage(models.TextChoices):
    REPORT = "report", _("At report")
    HANDLE = "handle", _("After handling")
    VERIFY = "verify", _("At verification")


def _photo_path(instance, filename):
    return f"cases/{timezone.now():%Y/%m}/{filename}"


class CasePhoto(models.Model):
    """A photo kept with a case: re-encoded on the way in, so EXIF (GPS, device) never stays."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("stage"), max_length=16, choices=PhotoStage.choices, default=PhotoStage.REPORT)
    image = models.FileField(_("image"), upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["uploaded_at", "id"]


class CaseEvent(TimelineEvent):
    """One step of a case's timeline (时间线)."""

    append_only_message = "The case timeline is append-only."

    case = models.ForeignKey(Case, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events")

    class Meta(TimelineEvent.Meta):
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
