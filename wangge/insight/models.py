"""The rollups behind the one map (一张图) and the figures the centres steer by (docs/insight.md).

One table serves cases, disputes and alerts: for every region on a record's path (grid, community, street,
district) one row per local day (and per month) × kind × state, with the count. A map level reads the rows
whose `parent` is the region in view — a few hundred rows, whatever the number of records behind them.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    CASE = "case", _("Cases")
    DISPUTE = "dispute", _("Disputes")
    ALERT = "alert", _("Alerts")


class Span(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")


class Rollup(models.Model):
    """Records of `source` whose grid lies in `region`, first reported on `day` (local; the first of the month
    for a month row), of `kind` (a case's major category code, a dispute's type, an alert's type), now in `state`.
    Rebuilt, never edited: `wangge/insight/rollups.py` recomputes whole days."""

    source = models.CharField(max_length=8, choices=Source.choices)
    span = models.CharField(max_length=1, choices=Span.choices)
    region = models.ForeignKey("areas.Region", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # The region's parent, so a map level reads its children's rows with one index range.
    parent = models.ForeignKey("areas.Region", null=True, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)
    day = models.DateField()
    kind = models.CharField(max_length=24)
    state = models.CharField(max_length=16)
    n = models.PositiveIntegerField(default=0)
    # Cases closed on time (按期结案) among them; 0 for the other sources.
    on_time = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "span", "region", "day", "kind", "state"],
                                               name="rollup_one_row_per_key")]
        # A map level reads its children's rows (by parent, usually only the all-kinds rows) and its own (by
        # region). On PostgreSQL both indexes also carry the counted columns (migration 0004), so the reads are
        # index-only scans.
        indexes = [models.Index(fields=["source", "span", "parent", "kind", "day"], name="rollup_children"),
                   models.Index(fields=["source", "span", "region", "day"], name="rollup_own")]


class RegionAncestor(models.Model):
    """Each grid's regions from itself up to the top (grid, community, street, district…), with their parents:
    the join that spreads a grid's counts to every level in one INSERT … SELECT. Rebuilt from `areas.Region`
    when the regions change (rollups.sync_ancestors)."""

    grid = models.ForeignKey("areas.Region", on_delete=models.CASCADE, related_name="rollup_ancestors",
                             db_constraint=False)
    region = models.ForeignKey("areas.Region", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    parent = models.ForeignKey("areas.Region", null=True, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "region"], name="rollup_ancestor_once")]


class RollupMark(models.Model):
    """How far each source's rollups are current: the worker recomputes the days touched since `upto`."""

    source = models.CharField(max_length=8, choices=Source.choices, primary_key=True)
    upto = models.DateTimeField()
    regions_version = models.CharField(max_length=64, blank=True)

# The early warnings and the 研判 reports (their own module, so the parts of insight land separately).
from wangge.insight.models_warnings import *  # noqa: E402,F401,F403
