"""Operations of insight's early warnings and reports: storing what the analysis found, the warning actions (the
table in workflow.py: `do_act`), and making a 研判 report (`do_make_report`, in report.py's terms). Each takes
the acting user (None: the worker), runs in one transaction and writes its audit row.
"""
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.areas.models import Region
from wangge.core import audit
from wangge.core.models import User
from wangge.core.roles import can
from wangge.core.services import OperationError, text_param
from wangge.insight.models import OPEN_WARNING_STATES, EarlyWarning, WarningKind, WarningState, strength_of
from wangge.insight.workflow import FLOW

LABEL = {
    "note": pgettext_lazy("warning input", "note"),
    "category": pgettext_lazy("warning input", "case category"),
    "assignee": pgettext_lazy("warning input", "assignee"),
}
SEVERITY_RANK = {"high": 0, "medium": 1}


def _text(params, name, *, required=True, limit=2000):
    return text_param(params, name, LABEL[name], required=required, limit=limit)


# --- what the analysis found ------------------------------------------------------------------------------


def warning_title(kind: str, source: str, category: str, region_name: str, details: dict,
                  labels: dict | None = None) -> str:
    """A warning's one line, in the active language: the kind, what it counts and where. `labels`: the category
    labels (sources.category_labels), when the caller has them already."""
    from wangge.insight.analysis import HOTSPOT_DAYS
    from wangge.insight.sources import category_labels

    if labels is None and category:
        labels = category_labels()
    what = labels.get((source, category), "") if category else ""
    label = dict(WarningKind.choices)[kind]
    if kind == WarningKind.HOTSPOT:
        return _("Hot spot of %(what)s in %(area)s: %(n)s in %(days)s days") % {
            "what": what, "area": region_name, "n": details.get("observed"), "days": HOTSPOT_DAYS}
    if kind == WarningKind.SPIKE:
        return _("%(what)s up in %(area)s this week: %(n)s against %(expected)s expected") % {
            "what": what, "area": region_name, "n": details.get("observed"), "expected": details.get("expected")}
    if kind == WarningKind.NEAR_REPEAT:
        return _("%(n)s near-repeat %(what)s in %(area)s") % {"n": details.get("observed"), "what": what,
                                                              "area": region_name}
    return _("%(kind)s: %(n)s reports in %(area)s") % {"kind": label, "n": details.get("observed"),
                                                       "area": region_name}


def shown_title(warning, labels: dict) -> str:
    """The warning's line in the reader's language (the stored `title` is in the platform's default language, for
    exports, reports and the audit): made again from its kind, category, area and numbers."""
    return warning_title(warning.kind, warning.source, warning.category, warning.region.name, warning.details,
                         labels)


def store_findings(findings, now=None) -> dict:
    """Raise a warning for each new finding; refresh the open warning of one found again (its numbers, records,
    last seen; a "repeat" row on its timeline when the count changed). One open warning per (kind, key)."""
    now = now or timezone.now()
    regions = {r.pk: r for r in Region.objects.filter(pk__in={f.region_id for f in findings})}
    raised = seen = 0
    with translation.override(settings.LANGUAGE_CODE):
        for finding in findings:
            region = regions[finding.region_id]
            title = warning_title(finding.kind, finding.source, finding.category, region.name, finding.details)
            if _store(finding, region, title, now):
                raised += 1
            else:
                seen += 1
    return {"warnings_raised": raised, "warnings_seen_again": seen}


def _store(finding, region, title, now) -> bool:
    for attempt in range(2):
        with transaction.atomic():
            existing = (EarlyWarning.objects.select_for_update()
                        .filter(kind=finding.kind, key=finding.key, state__in=OPEN_WARNING_STATES).first())
            if existing is not None:
                _seen_again(existing, finding, title, now)
                return False
            try:
                with transaction.atomic():
                    warning = EarlyWarning.objects.create(
                        kind=finding.kind, key=finding.key, source=finding.source, category=finding.category,
                        region=region, path=region.path, grid_id=finding.grid_id, severity=finding.severity,
                        title=title[:200], details=finding.details, records=finding.records, first_seen=now,
                        last_seen=now, strength=strength_of(finding.kind, finding.details))
            except IntegrityError:
                if attempt:
                    raise
                continue  # another worker raised it a moment ago: ours is a repeat of theirs
            FLOW.record(None, warning, "raise", from_state="", to_state=WarningState.ACTIVE, note=warning.title,
                        details={"kind": finding.kind, "key": finding.key}, now=now, actor_name="system")
            return True
    raise AssertionError("unreachable")


def _seen_again(warning, finding, title, now) -> None:
    changed = warning.details.get("observed") != finding.details.get("observed")
    severity = min(warning.severity, finding.severity, key=lambda s: SEVERITY_RANK.get(s, 9))
    EarlyWarning.objects.filter(pk=warning.pk).update(
        details=finding.details, records=finding.records, last_seen=now, times_seen=F("times_seen") + 1,
        strength=strength_of(finding.kind, finding.details),
        severity=severity, title=title[:200])
    if changed:
        warning.refresh_from_db()
        FLOW.record(None, warning, "repeat", note=warning.title, now=now, actor_name="system",
                    details={"observed": finding.details.get("observed")})


# --- the warning's actions ----------------------------------------------------------------------------------


def do_act(actor, warning, action: str, *, expected_version: int, now=None, **params) -> EarlyWarning:
    """Take `action` on `warning` (the table in workflow.py): area, version claim, check, effect, timeline, audit."""
    return FLOW.act(actor, warning, action, expected_version, now=now, **params)


@FLOW.effect("acknowledge")
def _acknowledge(actor, warning, params, now):
    warning.acknowledged_at, warning.acknowledged_by = now, actor
    return _text(params, "note", required=False), {}


def colleagues(warning, actor) -> list:
    """Who `actor` may assign a warning to: active users they know of (User.visible_to), who read warnings and
    whose area holds it."""
    paths = _paths_above(warning.path)
    users = (User.objects.visible_to(actor).filter(is_active=True, region__path__in=paths).select_related("region")
             .order_by("role", "username"))
    return [u for u in users if can(u, "insight.view")]


def _paths_above(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


@FLOW.effect("assign")
def _assign(actor, warning, params, now):
    raw = str(params.get("assignee") or "").strip()
    assignee = None
    if raw.isdigit() and len(raw) < 12:
        assignee = next((u for u in colleagues(warning, actor) if u.pk == int(raw)), None)
    if assignee is None:
        raise OperationError(_("Choose a colleague whose area holds the warning"), field="assignee")
    warning.assignee = assignee
    return _text(params, "note", required=False), {"assignee": assignee.username}


@FLOW.effect("hand_down")
def _hand_down(actor, warning, params, now):
    """交办: a case in the warning's grid, in this transaction, numbered by the warning (its external number:
    a warning is handed down once); the warning closes and links to it, the case's description names it."""
    from wangge.cases.models import Channel
    from wangge.cases.services import do_report_case

    note = _text(params, "note", required=False)
    if not str(params.get("category") or "").strip():
        raise OperationError(_("Choose the case's category"), field="category")
    description = "\n".join(filter(None, [warning.title, note,
                                          _("Handed down from early warning %(number)s") % {"number": warning.number}]))
    case = do_report_case(actor, category=params.get("category"), title=warning.title[:100], description=description,
                          grid=warning.grid, channel=Channel.OTHER_SYSTEM, external_id=warning.number, now=now)
    warning.case, warning.closed_at, warning.closed_by = case, now, actor
    warning.resolution = _("Handed down as case %(number)s") % {"number": case.number}
    return note, {"case": case.number}


@FLOW.effect("comment")
def _comment(actor, warning, params, now):
    return _text(params, "note"), {}


@FLOW.effect("close")
def _close(actor, warning, params, now):
    note = _text(params, "note")
    warning.resolution, warning.closed_at, warning.closed_by = note, now, actor
    return note, {}


FLOW.assert_complete()


# --- 研判 reports -------------------------------------------------------------------------------------------

REPORT_MAX_DAYS = 366
REPORT_LEVELS = ("district", "street", "community")


def check_report_period(start, end, today=None) -> None:
    """A report's period: from ≤ to, at most REPORT_MAX_DAYS long, over by today (else OperationError, on `to` /
    `from`)."""
    today = today or timezone.localdate()
    if start is None:
        raise OperationError(_("Give the first day of the period"), field="from")
    if end is None:
        raise OperationError(_("Give the last day of the period"), field="to")
    from wangge.insight.queries import YEARS

    for value, field in ((start, "from"), (end, "to")):
        if not YEARS[0] <= value.year <= YEARS[1]:
            raise OperationError(_("%(field)s must be between %(first)s and %(last)s") % {
                "field": field, "first": YEARS[0], "last": YEARS[1]}, field=field)
    if end < start:
        raise OperationError(_("The period ends before it starts"), field="to")
    if (end - start).days + 1 > REPORT_MAX_DAYS:
        raise OperationError(_("A report covers at most %(days)s days") % {"days": REPORT_MAX_DAYS}, field="from")
    if end >= today:
        raise OperationError(_("The period must be over (end before today)"), field="to")


def do_make_report(actor, region, start, end, *, kind="on_demand", now=None):
    """Make and keep a 研判 report of `region` over [start, end] (report.py): the figures, the .docx stored, an
    audit row. `actor` None is the worker's monthly run (it reads as the platform; see report.PlatformReader)."""
    from django.core.files.base import ContentFile

    from wangge.core.services import NotInArea, require
    from wangge.insight import report
    from wangge.insight.models import Report

    now = now or timezone.now()
    if region is None:
        raise OperationError(_("Choose an area"), field="area")
    if actor is not None:
        require(actor, "insight.view")
        if not Region.objects.visible_to(actor).filter(pk=region.pk).exists():
            raise NotInArea(_("The area is outside yours."), field="region")
    if region.level not in REPORT_LEVELS:
        raise OperationError(_("Reports are made for a district, a street or a community"), field="region")
    check_report_period(start, end, timezone.localdate(now))
    reader = actor if actor is not None else report.PlatformReader()
    with translation.override(settings.LANGUAGE_CODE):
        figures = report.compute_figures(reader, region, start, end, now)
        content = report.build_docx(figures)
    row = Report(region=region, path=region.path, kind=kind, period_start=start, period_end=end, figures=figures,
                 created_at=now, created_by=actor if getattr(actor, "pk", None) else None)
    row.file.save(report.filename(row), ContentFile(content), save=False)
    try:
        with transaction.atomic():
            row.save()
            audit.record(actor, "insight.report", row, region=region.code, start=start.isoformat(),
                         end=end.isoformat(), kind=kind)
    except Exception:
        row.file.delete(save=False)  # nothing kept of a report that was not recorded
        raise
    return row


EXPORT_LIMIT = 10_000


def export_warnings(actor, warnings, labels: dict) -> tuple[str, bytes]:
    """(file name, .xlsx) of the board's warnings as filtered (the newest 10,000), with the audit row saying who
    took them. `labels`: {(source, category): name}."""
    from wangge.core.spreadsheets import table_xlsx

    heading = [_("Number"), _("Kind"), _("Records"), _("Category"), _("Severity"), _("State"), _("Title"),
               _("Area"), _("First seen"), _("Last seen"), _("Times found"), _("Assigned to"), _("Case")]
    rows = []
    for w in warnings.select_related("region", "assignee", "case").order_by("-last_seen", "-id")[:EXPORT_LIMIT]:
        rows.append([w.number, w.get_kind_display(), w.get_source_display(),
                     str(labels.get((w.source, w.category), w.category)), w.get_severity_display(),
                     w.get_state_display(), w.title, w.region.name,
                     timezone.localtime(w.first_seen).strftime("%Y-%m-%d %H:%M"),
                     timezone.localtime(w.last_seen).strftime("%Y-%m-%d %H:%M"), w.times_seen,
                     (w.assignee.full_name or w.assignee.username) if w.assignee else "",
                     w.case.number if w.case else ""])
    content = table_xlsx(_("Early warnings"), heading, rows)
    with transaction.atomic():
        audit.record(actor, "insight.warnings_export", None, rows=len(rows))
    return f"warnings-{timezone.localdate().isoformat()}.xlsx", content
