"""The periodic 研判 report (docs/insight-report.md): an area's month (or any period) as a .docx.

What it holds, each against the period before (of the same length):

1. cases — received, closed, 结案率 and 按期结案率, from the measures engine (`wangge.cases.measures.CASES`: the
   one module that defines them; never a formula of our own), and the categories with the most cases;
2. disputes and alerts received;
3. the top hot spots (the warnings of kind hotspot seen in the period, by z);
4. the warnings open at the end of the period and those closed in it, with what was done (their timelines).

The figures are computed once into a dict (kept on the Report row) and the document is written from them, so a
test reads the same numbers from the row and from the .docx. Text goes through the catalogue in the site's
language (a report is printed for the centre's meeting, in Chinese by default).
"""
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.measures import local_midnight

TOP_HOTSPOTS = 5
TOP_CATEGORIES = 5
WARNINGS_LISTED = 30
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class PlatformReader:
    """Who the worker reads the measures as: the platform (every area); the report's region anchors the figures.
    A report made on demand reads as the operator who asked for it instead."""

    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = True
    role: str = "administrator"
    scope_node: object = None
    region_id: object = None
    department_id: object = None
    pk: object = None
    username: str = "system"


def previous_month(day: date) -> tuple[date, date]:
    """[first, last] days of the month before `day`'s."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def period_before(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before [start, end]; a whole month's is the month before."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        return previous_month(start)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def _case_figures(reader, region, start, end, now) -> dict:
    from wangge.cases.measures import CASES

    query = CASES.parse(reader, {"region": region.code, "from": start.isoformat(), "to": end.isoformat(),
                                 "group_by": "major"})
    stats = CASES.stats(reader, query, now=now)
    total = stats["total"]
    counts, measures = total["counts"], total["measures"]
    categories = sorted(({"label": str(row["label"]), "received": row["counts"]["received"]}
                         for row in stats["rows"] if row["counts"]["received"]), key=lambda r: -r["received"])
    return {"received": counts["received"], "closed": counts["closed"], "due": counts["due"],
            "closed_on_time": counts["closed_on_time"], "close_rate": measures["close_rate"]["rate"],
            "on_time_rate": measures["on_time_rate"]["rate"], "categories": categories[:TOP_CATEGORIES]}


def _other_counts(region, start, end) -> dict:
    from wangge.mediation.models import Dispute
    from wangge.sensing.models import Alert

    first, after = local_midnight(start), local_midnight(end + timedelta(days=1))
    return {"disputes": Dispute.objects.filter(region__path__startswith=region.path, reported_at__gte=first,
                                               reported_at__lt=after).count(),
            "alerts": Alert.objects.filter(grid__path__startswith=region.path, first_seen__gte=first,
                                           first_seen__lt=after).count()}


def _change(now_value, before_value) -> dict:
    if now_value is None or before_value is None:
        return {"now": now_value, "before": before_value, "change": None}
    return {"now": now_value, "before": before_value, "change": round(now_value - before_value, 4)}


def _warnings(region, start, end) -> tuple[list, list]:
    from wangge.insight.models import EarlyWarning, WarningEvent, WarningKind, WarningState

    first, after = local_midnight(start), local_midnight(end + timedelta(days=1))
    in_area = EarlyWarning.objects.filter(path__startswith=region.path, first_seen__lt=after)
    hot = sorted(in_area.filter(kind=WarningKind.HOTSPOT, last_seen__gte=first),
                 key=lambda w: -(w.details.get("z") or 0))[:TOP_HOTSPOTS]
    hotspots = [{"number": w.number, "title": w.title, "observed": w.details.get("observed"),
                 "z": w.details.get("z"), "q": w.details.get("q"), "state": str(w.get_state_display())} for w in hot]
    listed = list(in_area.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=first))
                  .exclude(state=WarningState.CLOSED, closed_at__lt=first).order_by("-last_seen")[:WARNINGS_LISTED])
    events = {}
    for event in WarningEvent.objects.filter(warning__in=listed, at__lt=after).order_by("at", "id"):
        events.setdefault(event.warning_id, []).append(event)
    from wangge.insight.workflow import FLOW

    warnings = []
    for w in listed:
        steps = [f"{timezone.localtime(e.at):%m-%d %H:%M} {e.actor_name} {FLOW.label(e.action)}"
                 + (f": {e.note}" if e.note and e.action not in ("raise", "repeat") else "")
                 for e in events.get(w.pk, [])]
        warnings.append({"number": w.number, "title": w.title, "kind": str(w.get_kind_display()),
                         "state": str(w.get_state_display()), "steps": steps})
    return hotspots, warnings


def compute_figures(reader, region, start: date, end: date, now=None) -> dict:
    """Everything the report prints, as plain data (kept on the Report row)."""
    now = now or timezone.now()
    before_start, before_end = period_before(start, end)
    cases_now = _case_figures(reader, region, start, end, now)
    cases_before = _case_figures(reader, region, before_start, before_end, now)
    others_now, others_before = _other_counts(region, start, end), _other_counts(region, before_start, before_end)
    hotspots, warnings = _warnings(region, start, end)
    measures = {name: _change(cases_now[name], cases_before[name])
                for name in ("received", "closed", "close_rate", "on_time_rate")}
    measures.update({name: _change(others_now[name], others_before[name]) for name in ("disputes", "alerts")})
    return {"region": {"code": region.code, "name": region.name}, "from": start.isoformat(), "to": end.isoformat(),
            "before_from": before_start.isoformat(), "before_to": before_end.isoformat(), "measures": measures,
            "due": cases_now["due"], "closed_on_time": cases_now["closed_on_time"],
            "categories": cases_now["categories"], "hotspots": hotspots, "warnings": warnings}


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _signed(change, rate: bool) -> str:
    if change is None:
        return "—"
    if rate:
        return f"{change * 100:+.2f} {_('points')}"
    return f"{change:+d}" if isinstance(change, int) else f"{change:+}"


MEASURE_ORDER = ("received", "closed", "close_rate", "on_time_rate", "disputes", "alerts")
RATE_MEASURES = {"close_rate", "on_time_rate"}


def measure_labels() -> dict:
    return {"received": _("Cases received"), "closed": _("Cases closed"), "close_rate": _("Closure rate"),
            "on_time_rate": _("On-time closure rate"), "disputes": _("Disputes received"),
            "alerts": _("Alerts raised")}


def build_docx(figures: dict) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    heading = document.add_heading(_("Situation report: %(area)s") % {"area": figures["region"]["name"]},
                                   level=0)
    heading.runs[0].font.size = Pt(20)
    document.add_paragraph(_("Period: %(start)s to %(end)s; compared with %(before_start)s to %(before_end)s.") % {
        "start": figures["from"], "end": figures["to"], "before_start": figures["before_from"],
        "before_end": figures["before_to"]})
    document.add_heading(_("1. Key measures"), level=1)
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, (_("Measure"), _("This period"), _("Period before"), _("Change"))):
        cell.text = text
    labels = measure_labels()
    for name in MEASURE_ORDER:
        row = figures["measures"][name]
        rate = name in RATE_MEASURES
        cells = table.add_row().cells
        cells[0].text = str(labels[name])
        cells[1].text = _rate(row["now"]) if rate else str(row["now"])
        cells[2].text = _rate(row["before"]) if rate else str(row["before"])
        cells[3].text = _signed(row["change"], rate)
    document.add_paragraph(_("Cases due to close: %(due)s; closed on time: %(on_time)s.") % {
        "due": figures["due"], "on_time": figures["closed_on_time"]})
    if figures["categories"]:
        document.add_paragraph(_("Most reported categories: %(list)s.") % {"list": "; ".join(
            f"{c['label']} {c['received']}" for c in figures["categories"])})
    document.add_heading(_("2. Hot spots"), level=1)
    if not figures["hotspots"]:
        document.add_paragraph(_("No significant hot spot in this period."))
    for spot in figures["hotspots"]:
        document.add_paragraph(_("%(number)s %(title)s (z = %(z)s, q = %(q)s; %(state)s)") % {
            "number": spot["number"], "title": spot["title"], "z": spot["z"],
            "q": f"{spot['q']:.4f}" if spot["q"] is not None else "—", "state": spot["state"]}, style="List Bullet")
    document.add_heading(_("3. Early warnings and what was done"), level=1)
    if not figures["warnings"]:
        document.add_paragraph(_("No early warning open or closed in this period."))
    for warning in figures["warnings"]:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{warning['number']} {warning['title']}").bold = True
        paragraph.add_run(f" · {warning['kind']} · {warning['state']}")
        for step in warning["steps"]:
            document.add_paragraph(step, style="List Bullet 2")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def filename(report) -> str:
    return f"report-{report.region.code}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.docx"


def download(row):
    """The stored .docx as an attachment (read whole: a report is tens of kilobytes)."""
    from django.http import HttpResponse
    from django.utils.encoding import escape_uri_path

    with row.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename(row))}"
    return response
