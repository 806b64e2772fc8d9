"""Early warnings (研判预警) across cases, disputes and alerts, and the periodic 研判 reports (docs/early-warning.md,
docs/insight-report.md).

A warning is what the worker's analysis found (a hot spot, a spike, a repeat caller or place, a near-repeat
chain), kept as a record with a lifecycle on the workflow engine (workflow.py): one open warning per (kind, key),
held by a partial unique index as alerts hold theirs; a later run that finds the same thing again moves its
`last_seen` and numbers instead of raising another. Scoped by the path of its region (a grid, or the community of
a spike).
"""
import math

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.models import TimelineEvent
from wangge.core.scoping import ScopedQuerySet


class InsightQuerySet(ScopedQuerySet):
    """Read by operators and administrators (`insight.view`), within their area."""

    def visible_to(self, user):
        from wangge.core.roles import can

        return super().visible_to(user) if can(user, "insight.view") else self.none()


class WarningKind(models.TextChoices):
    HOTSPOT = "hotspot", pgettext_lazy("warning kind", "Hot spot")
    SPIKE = "spike", pgettext_lazy("warning kind", "Spike")
    REPEAT_CALLER = "repeat_caller", pgettext_lazy("warning kind", "Repeat caller")
    REPEAT_PLACE = "repeat_place", pgettext_lazy("warning kind", "Repeat place")
    NEAR_REPEAT = "near_repeat", pgettext_lazy("warning kind", "Near-repeat")


class WarningSource(models.TextChoices):
    CASE = "case", pgettext_lazy("warning source", "Cases")
    DISPUTE = "dispute", pgettext_lazy("warning source", "Disputes")
    ALERT = "alert", pgettext_lazy("warning source", "Alerts")


class WarningState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("warning state", "Active")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("warning state", "Acknowledged")
    CLOSED = "closed", pgettext_lazy("warning state", "Closed")


OPEN_WARNING_STATES = (WarningState.ACTIVE, WarningState.ACKNOWLEDGED)


class WarningSeverity(models.TextChoices):
    HIGH = "high", pgettext_lazy("warning severity", "High")
    MEDIUM = "medium", pgettext_lazy("warning severity", "Medium")


class EarlyWarningQuerySet(InsightQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_WARNING_STATES)


# What measures a finding's strength, by kind: a hot spot's Gi* z score, a spike's ratio to its baseline, and for
# the others the number of records behind it.
STRENGTH_KEY = {"hotspot": "z", "spike": "ratio"}


def strength_of(kind: str, details: dict) -> float:
    try:
        strength = float(details.get(STRENGTH_KEY.get(kind, "observed")) or 0)
    except (TypeError, ValueError):
        return 0.0
    return strength if math.isfinite(strength) else 0.0  # a cursor of the board carries it as JSON


class EarlyWarning(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=WarningKind.choices)
    key = models.CharField(max_length=160)
    source = models.CharField(_("source"), max_length=8, choices=WarningSource.choices)
    # The case's major category code, the dispute's type, the alert's type ("" when it spans categories).
    category = models.CharField(_("category"), max_length=24, blank=True)
    # A warning belongs to its area: removing the area (a demo district wiped and loaded again, a grid merged into
    # its neighbour) removes its warnings, the analysis then finds what the new areas hold.
    region = models.ForeignKey("areas.Region", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255, db_index=True)  # the region's path: the scope
    # The grid a case handed down from it lands in (the region itself for grid-level warnings).
    grid = models.ForeignKey("areas.Region", on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(_("severity"), max_length=8, choices=WarningSeverity.choices,
                                default=WarningSeverity.MEDIUM)
    title = models.CharField(_("title"), max_length=200)
    details = models.JSONField(default=dict, blank=True)  # the numbers behind it
    records = models.JSONField(default=list, blank=True)  # [[source, id], …] the records behind it
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    times_seen = models.PositiveIntegerField(default=1)
    # How strong it is within its kind (strength_of), so that the warnings one analysis raised read strongest first.
    strength = models.FloatField(_("strength"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=WarningState.choices, default=WarningState.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    assignee = models.ForeignKey("core.User", verbose_name=_("assigned to"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution = models.TextField(_("resolution"), blank=True)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="early_warnings")

    scope_path_field = "path"
    objects = EarlyWarningQuerySet.as_manager()

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-last_seen", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], condition=~models.Q(state="closed"),
                                               name="warning_one_open_per_key")]
        indexes = [models.Index(fields=["state", "-last_seen", "-id"], name="warning_board")]

    def __str__(self):
        return self.title

    @property
    def number(self) -> str:
        return f"YJ{self.pk}"


class WarningEvent(TimelineEvent):
    """One step of a warning's timeline (the workflow engine's event rows)."""

    append_only_message = "The warning timeline is append-only."

    warning = models.ForeignKey(EarlyWarning, on_delete=models.DO_NOTHING, db_constraint=False,
                                related_name="events")


class AnalysisMark(models.Model):
    """The worker's claim on a periodic job ("warnings": the analysis; "report:2026-11": a month's reports): a
    worker runs it only after moving `claimed_at` forward with a conditional UPDATE, so two workers never both
    run it."""

    name = models.CharField(max_length=40, primary_key=True)
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)


def _report_path(instance, filename):
    return f"insight/reports/{timezone.now():%Y/%m}/{filename}"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", pgettext_lazy("report kind", "Monthly (by the worker)")
    ON_DEMAND = "on_demand", pgettext_lazy("report kind", "On demand")


class Report(models.Model):
    """One 研判 report (.docx) of an area over a period, kept: its figures and the stored file."""

    # Like a warning, a report goes with its area (its stored file stays under MEDIA_ROOT).
    region = models.ForeignKey("areas.Region", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ReportKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))  # inclusive
    file = models.FileField(upload_to=_report_path)
    figures = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("made at"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope_path_field = "path"
    objects = InsightQuerySet.as_manager()

    class Meta:
        verbose_name = _("analysis report")
        verbose_name_plural = _("analysis reports")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["region", "period_start", "period_end"],
                                               condition=models.Q(kind="monthly"), name="report_one_monthly")]
