"""考核 models: schemes (indicators, weights, bands, the allowance rule), periods, scores, spot checks and appeals.

Formulas and defaults: docs/assessment.md. State changes go through `services.py` (appeals through the table in
`workflow.py`), never through save().
"""
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.models import TimelineEvent
from wangge.core.scoping import ALL, ScopedQuerySet, scope_prefix


class TargetType(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid workers")
    COMMUNITY = "community", pgettext_lazy("assessment target", "Communities")
    STREET = "street", pgettext_lazy("assessment target", "Streets")
    DEPARTMENT = "department", pgettext_lazy("assessment target", "Departments")


# 习水县: towns assess villages and grid workers monthly; the county assesses towns and departments quarterly.
PERIOD_UNIT = {TargetType.GRID_WORKER: "month", TargetType.COMMUNITY: "month", TargetType.STREET: "quarter",
               TargetType.DEPARTMENT: "quarter"}


class PeriodState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("assessment period", "Draft")
    PUBLISHED = "published", pgettext_lazy("assessment period", "Published")
    FINALISED = "finalised", pgettext_lazy("assessment period", "Finalised")


class AppealKind(models.TextChoices):
    APPEAL = "appeal", pgettext_lazy("appeal kind", "Appeal")
    EXCLUSION = "exclusion", pgettext_lazy("appeal kind", "Exclusion")


class AppealState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("appeal state", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("appeal state", "Accepted")
    REJECTED = "rejected", pgettext_lazy("appeal state", "Rejected")


def ancestor_paths(path: str) -> list[str]:
    """"/51/5101/510107/" → ["/51/", "/51/5101/", "/51/5101/510107/"]."""
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[:i + 1]) + "/" for i in range(len(codes))]


class SchemeQuerySet(ScopedQuerySet):
    """A scheme is seen by its assessing level and those above it, and by everyone it assesses (below it)."""

    region_field = "region__path"

    def visible_to(self, user):
        prefix = scope_prefix(user)
        if prefix is ALL:
            return self
        if prefix is None:
            return self.none()
        field = self.region_field
        return self.filter(Q(**{f"{field}__startswith": prefix}) | Q(**{f"{field}__in": ancestor_paths(prefix)}))


class Scheme(models.Model):
    """考核方案: what one assessing level (a region) scores for one type of target, and how."""

    name = models.CharField(_("name"), max_length=100)
    target_type = models.CharField(_("assessed"), max_length=16, choices=TargetType.choices)
    region = models.ForeignKey("areas.Region", verbose_name=_("assessing level"), on_delete=models.PROTECT,
                               related_name="+")
    # [{"code": "on_time_rate", "weight": 30, "bands": [{"from": 90, "to": null, "points": 100}, …]}, …]
    indicators = models.JSONField(_("indicators"), default=list)
    # {"kind": "by_rating", "amounts": {"A": 800, …}} or {"kind": "linked", "base": 200, "linked": 600}
    allowance_rule = models.JSONField(_("allowance rule"), default=dict, blank=True)
    appeal_days = models.PositiveSmallIntegerField(_("appeal window (working days)"), default=5)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SchemeQuerySet.as_manager()
    scope_path_field = "region__path"

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["region__path", "target_type", "id"]

    def __str__(self):
        return self.name

    @property
    def period_unit(self) -> str:
        return PERIOD_UNIT[self.target_type]


class PeriodQuerySet(SchemeQuerySet):
    """Periods of the schemes the user sees; a draft only to the assessing level and above."""

    region_field = "scheme__region__path"

    def visible_to(self, user):
        visible = super().visible_to(user)
        prefix = scope_prefix(user)
        if prefix is ALL or prefix is None:
            return visible
        return visible.filter(~Q(state=PeriodState.DRAFT) | Q(scheme__region__path__startswith=prefix))


class Period(models.Model):
    """One month (or quarter) of one scheme: computed, published as a ranking (通报), then finalised and frozen."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="periods")
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))  # exclusive
    state = models.CharField(_("state"), max_length=16, choices=PeriodState.choices, default=PeriodState.DRAFT)
    # The scheme as it was computed with (a later edit of the scheme does not change a published ranking).
    rules = models.JSONField(default=dict)
    computed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    appeal_until = models.DateTimeField(_("appeals until"), null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = PeriodQuerySet.as_manager()
    scope_path_field = "scheme__region__path"

    class Meta:
        verbose_name = _("assessment period")
        verbose_name_plural = _("assessment periods")
        ordering = ["-start", "scheme_id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "start"], name="assessment_period_once")]

    def __str__(self):
        return f"{self.scheme.name} {self.label}"

    @property
    def label(self) -> str:
        from wangge.core.measures import period_label

        return period_label(self.start, self.scheme.period_unit)

    @property
    def frozen(self) -> bool:
        return self.state == PeriodState.FINALISED


class ScoreQuerySet(ScopedQuerySet):
    """Scores of targets in the user's area, in periods they see. A grid worker sees only their own score and a
    department's handler only their department's (docs/assessment.md, "Who sees what")."""

    def visible_to(self, user):
        prefix = scope_prefix(user)
        if prefix is ALL:
            return self
        if prefix is None:
            return self.none()
        periods = Period.objects.visible_to(user).values("pk")
        if user.role == "grid_worker":
            return self.filter(user_id=user.pk, period__in=periods)
        if user.role == "department_handler":
            return self.filter(department_id=user.department_id, period__in=periods)
        return self.filter(target_path__startswith=prefix, period__in=periods)


class Score(models.Model):
    """One target's score in one period: the indicators' values and points, the total, rating, rank, allowance."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="scores")
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    user = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("areas.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("core.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    label = models.CharField(_("assessed"), max_length=150)
    target_path = models.CharField(max_length=120, db_index=True)  # where the target sits: scoping
    # {code: {"numerator", "denominator", "value", "points", "weight", "applies"}} in the scheme's order.
    indicators = models.JSONField(default=dict)
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=1, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    allowance = models.DecimalField(_("allowance (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = ScoreQuerySet.as_manager()
    scope_path_field = "target_path"

    class Meta:
        verbose_name = _("assessment score")
        verbose_name_plural = _("assessment scores")
        ordering = ["rank", "label", "id"]
        indexes = [models.Index(fields=["period", "rank"])]

    def __str__(self):
        return f"{self.label} {self.period.label}"

    @property
    def target_key(self) -> str:
        if self.user_id:
            return f"u{self.user_id}"
        if self.department_id:
            return f"d{self.department_id}"
        return f"r{self.region_id}"

    @property
    def number(self) -> str:  # how refusals and messages name it
        return f"{self.label} {self.period.label}"


def _evidence_path(instance, filename):
    return f"assessment/{timezone.now():%Y/%m}/{filename}"


class SpotCheck(models.Model):
    """抽查: the assessing level's own score (0–100) of a target in a period, with evidence."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="spot_checks")
    target_key = models.CharField(max_length=16)  # Score.target_key
    score = models.DecimalField(_("spot-check score"), max_digits=5, decimal_places=2)
    note = models.TextField(_("findings"))
    checked_by = models.ForeignKey("core.User", null=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "target_key"], name="assessment_spot_check_once")]


class Evidence(models.Model):
    """A photo attached to a spot check: checked and re-encoded the way case photos are (no EXIF)."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="evidence")
    image = models.FileField(upload_to=_evidence_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)


class AppealQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        if scope_prefix(user) is ALL:
            return self
        return self.filter(score__in=Score.objects.visible_to(user).values("pk"))


class Appeal(models.Model):
    """申诉 / 免责: asks the assessing level to leave named records out of a score (or to look again)."""

    number = models.CharField(max_length=32, unique=True)
    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="appeals")
    kind = models.CharField(_("kind"), max_length=16, choices=AppealKind.choices, default=AppealKind.APPEAL)
    reason = models.TextField(_("reason"))
    # [{"kind": "case", "id": 12, "label": "WG…"}]: the records to leave out if accepted.
    records = models.JSONField(default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=AppealState.choices, default=AppealState.SUBMITTED)
    submitted_by = models.ForeignKey("core.User", null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    total_before = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    total_after = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = AppealQuerySet.as_manager()
    scope_path_field = "score__target_path"

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-submitted_at", "-id"]

    def __str__(self):
        return self.number


class AppealEvent(TimelineEvent):
    append_only_message = "The appeal timeline is append-only."

    appeal = models.ForeignKey(Appeal, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events")


class AppealCounter(models.Model):
    """The last appeal number (SS…) handed out on a day (core.numbering)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)
