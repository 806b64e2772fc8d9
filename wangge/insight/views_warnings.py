"""The early-warning board (研判预警), one warning's page, and the 研判 reports list (docs/early-warning.md).

The board reads stored warnings (the worker's analysis writes them; a page never runs it), filtered by kind,
source, category, severity, state and area (the area picker), paged by cursor, with the concentration curve of the
chosen source/category beside it. The warning page explains itself: the numbers behind it, its neighbours, the
records (linked), the timeline and one form per action the user may take (workflow.FLOW).
"""
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.keyset import keyset_page
from wangge.core.redirects import safe_next
from wangge.core.refusals import page_status, take_posted_action
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, require
from wangge.core.staff import timeline_rows
from wangge.insight import queries, report, services
from wangge.insight.models import (
    AnalysisMark,
    EarlyWarning,
    Report,
    WarningEvent,
    WarningKind,
    WarningSeverity,
    WarningSource,
    WarningState,
)
from wangge.insight.sources import category_labels
from wangge.insight.workflow import FLOW

PAGE_SIZE = 30

DETAIL_LABELS = {
    "window_from": pgettext_lazy("warning detail", "Window from"),
    "window_to": pgettext_lazy("warning detail", "Window to"),
    "observed": pgettext_lazy("warning detail", "Observed"),
    "expected": pgettext_lazy("warning detail", "Expected"),
    "neighbourhood": pgettext_lazy("warning detail", "In the grid and its neighbours"),
    "mean": pgettext_lazy("warning detail", "Mean per grid"),
    "total": pgettext_lazy("warning detail", "In all grids"),
    "grids": pgettext_lazy("warning detail", "Grids tested"),
    "z": pgettext_lazy("warning detail", "Gi* z-score"),
    "p": pgettext_lazy("warning detail", "p-value"),
    "q": pgettext_lazy("warning detail", "q-value (FDR)"),
    "ratio": pgettext_lazy("warning detail", "Observed / expected"),
    "baseline": pgettext_lazy("warning detail", "Baseline weeks"),
    "baseline_kind": pgettext_lazy("warning detail", "Baseline"),
    "threshold": pgettext_lazy("warning detail", "Threshold"),
    "caller": pgettext_lazy("warning detail", "Caller"),
    "metres": pgettext_lazy("warning detail", "Within (metres)"),
    "radius": pgettext_lazy("warning detail", "Spread (metres from the centre)"),
    "addresses": pgettext_lazy("warning detail", "Addresses"),
    "first": pgettext_lazy("warning detail", "First"),
    "last": pgettext_lazy("warning detail", "Last"),
    "pairs": pgettext_lazy("warning detail", "Pairs close in space and time"),
    "expected_pairs": pgettext_lazy("warning detail", "Expected pairs (shuffled times)"),
    "close_in_space": pgettext_lazy("warning detail", "Pairs close in space"),
    "days": pgettext_lazy("warning detail", "Within (days)"),
    "permutations": pgettext_lazy("warning detail", "Shuffles"),
}
BASELINES = {"seasonal": pgettext_lazy("baseline", "the same weeks in earlier years"),
             "recent": pgettext_lazy("baseline", "the 8 weeks before")}
RECORD_PAGES = {"case": "cases:detail", "dispute": "mediation:detail", "alert": "sensing:alert"}
EXPLAIN = {
    "hotspot": pgettext_lazy("warning explanation", "Getis-Ord Gi*: this grid and the grids touching it hold "
                             "clearly more than the district's average, more than chance would put together (one-sided"
                             " p, corrected for testing every grid with Benjamini–Hochberg: q ≤ 0.05)."),
    "spike": pgettext_lazy("warning explanation", "This week's count against the area's own baseline: the chance of "
                           "this many or more in a week at the usual rate (Poisson upper tail), corrected with "
                           "Benjamini–Hochberg across every area and category; at least twice the expected count."),
    "repeat_caller": pgettext_lazy("warning explanation", "One caller (the same phone or citizen account) reported "
                                   "this many cases within the window."),
    "repeat_place": pgettext_lazy("warning explanation", "This many cases within a few dozen metres of each other, or "
                                  "at one address, within the window."),
    "near_repeat": pgettext_lazy("warning explanation", "Knox test: more pairs of incidents close in both space and "
                                 "time than when the times are shuffled among the places; these incidents form one "
                                 "chain of such pairs."),
}


def _number(value):
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 0.001 and value else round(value, 4)
    return value


def readable_details(details: dict) -> list[tuple[str, object]]:
    rows = []
    for key, value in details.items():
        if key == "neighbours":
            continue
        if key == "baseline_kind":
            value = BASELINES.get(value, value)
        elif key == "baseline" or key == "addresses":
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, str) and len(value) >= 19 and "T" in value:
            value = value[:16].replace("T", " ")
        rows.append((DETAIL_LABELS.get(key, key), _number(value)))
    return rows


def _category_choices():
    labels = category_labels()
    return [(source, label, [(code, name) for (s, code), name in sorted(labels.items()) if s == source])
            for source, label in WarningSource.choices]


def _query(chosen, leave_out=()) -> str:
    return urlencode({k: chosen[k] for k in queries.FILTERS if chosen.get(k) and k not in leave_out
                      and not (k == "state" and chosen[k] == "open")
                      and not (k == "sort" and chosen[k] == queries.DEFAULT_SORT)})


def _board_filters(request):
    """(user, chosen, errors, area) of the board and its export: the filters checked once, the area one the user
    may see (404 otherwise)."""
    user = request.user
    require(user, "insight.view")
    chosen, errors = queries.read_filters(request.GET)
    area = get_visible_or_404(Region.objects.all(), user, code=chosen["area"]) if chosen["area"] else None
    return user, chosen, errors, area


@login_required
@require_GET
def board_export(request):
    """The board's warnings, as filtered, as .xlsx (with its audit row)."""
    user, chosen, errors, area = _board_filters(request)
    if errors:
        return HttpResponse("; ".join(f"{name}: {message}" for name, message in errors.items()), status=400,
                            content_type="text/plain; charset=utf-8")
    name, content = services.export_warnings(user, queries.warnings_for(user, chosen, area), category_labels())
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def board(request):
    user, chosen, errors, area = _board_filters(request)
    for name in errors:  # a filter that cannot apply is shown as an error and left out: the board lists nothing
        chosen[name] = ""
    warnings = queries.warnings_for(user, chosen, area) if not errors else EarlyWarning.objects.none()
    order = queries.SORTS.get(chosen["sort"], queries.SORTS[queries.DEFAULT_SORT])
    page = keyset_page(warnings, order, request.GET, PAGE_SIZE, prefix="w")
    curve_area = area or queries.home_area(user)
    curve = None
    if curve_area is not None and not errors:
        start, end = queries.curve_window(chosen)
        curve = queries.concentration(curve_area, chosen["source"] or "case", chosen["category"], start, end)
    labels = category_labels()
    for warning in page.object_list:
        warning.shown_title = services.shown_title(warning, labels)
    last_run = AnalysisMark.objects.filter(name="warnings").values_list("claimed_at", flat=True).first()
    context = {
        "last_run": last_run,
        "page": page, "chosen": chosen, "errors": errors, "query": _query(chosen),
        "area_query": _query(chosen, leave_out=("area",)), "picker": area_picker(user, area),
        "sorts": [("severity", _("Severity first")), ("recent", _("Most recently seen"))],
        "kinds": WarningKind.choices, "sources": WarningSource.choices, "severities": WarningSeverity.choices,
        "states": [("open", _("Open")), *WarningState.choices, ("all", _("All"))],
        "categories": _category_choices(), "curve": curve,
        "labels": {f"{s}:{c}": name for (s, c), name in labels.items()},
    }
    return render(request, "insight/warnings_board.html", context, status=400 if errors else 200)


def _warning(user, pk) -> EarlyWarning:
    warning = (EarlyWarning.objects.visible_to(user)
               .select_related("region", "grid", "assignee", "acknowledged_by", "closed_by", "case").filter(pk=pk)
               .first())
    if warning is None:
        raise Http404
    return warning


def _record_links(warning) -> list[dict]:
    links = []
    for source, pk, number in warning.records:
        try:
            href = reverse(RECORD_PAGES[source], args=[pk])
        except (KeyError, NoReverseMatch):
            href = ""
        links.append({"source": source, "id": pk, "number": number, "href": href})
    return links


def _queue_link(warning) -> str:
    """The filtered list behind a warning — the case queue, the dispute ledger or the alert board — with its area,
    category and window."""
    if warning.source == WarningSource.CASE:
        url, params = reverse("cases:queue"), {"area": warning.region.code, "state": "all"}
        if warning.category:
            params["major"] = warning.category
    elif warning.source == WarningSource.DISPUTE:
        url, params = reverse("mediation:ledger"), {"area": warning.region.code}
        if warning.category:
            params["type"] = warning.category
    else:
        url, params = reverse("sensing:alerts"), {"area": warning.region.code, "state": "all"}
        if warning.category:
            params["type"] = warning.category
    if warning.details.get("window_from") and warning.source != WarningSource.ALERT:
        params["from"] = warning.details["window_from"][:10]
        params["to"] = warning.details.get("window_to", "")[:10]
    return url + "?" + urlencode(params)


def warning_context(request, warning, *, failed_action=None, error=None, values=None) -> dict:
    from wangge.cases.forms import category_choices

    user = request.user
    allowed = FLOW.allowed_actions(warning, user)
    forms = [{"action": a, "label": FLOW.label(a), "params": FLOW.params(a),
              "error": error if a == failed_action else None,
              "values": (values or {}) if a == failed_action else {}} for a in allowed]
    timeline = timeline_rows(user, WarningEvent.objects.filter(warning=warning))
    for row in timeline:
        row["label"] = FLOW.label(row["event"].action)
    labels = category_labels()
    return {
        "warning": warning, "title": services.shown_title(warning, labels), "forms": forms, "allowed": allowed,
        "details": readable_details(warning.details),
        "neighbours": warning.details.get("neighbours") or [], "explain": EXPLAIN.get(warning.kind, ""),
        "category_label": labels.get((warning.source, warning.category), ""),
        "records": _record_links(warning), "queue": _queue_link(warning),
        "timeline": timeline,
        "categories": category_choices() if "hand_down" in allowed else [],
        "colleagues": services.colleagues(warning, user) if "assign" in allowed else [],
        "error": error, "failed_action": failed_action,
        "back": safe_next(request, reverse("insight:warnings")),
    }


@login_required
@require_GET
def detail(request, pk):
    require(request.user, "insight.view")
    return render(request, "insight/warnings_detail.html", warning_context(request, _warning(request.user, pk)))


@login_required
@require_POST
def act(request, pk, action):
    user = request.user
    require(user, "insight.view")
    if action not in FLOW.actions:
        raise Http404
    warning = _warning(user, pk)
    fresh, refused = take_posted_action(request, FLOW, warning, action, services.do_act)
    if refused:
        context = warning_context(request, _warning(user, pk), failed_action=action, error=refused.message,
                                  values=refused.values)
        return render(request, "insight/warnings_detail.html", context, status=refused.status)
    return redirect(safe_next(request, reverse("insight:warning", args=[fresh.pk])))


# --- reports ----------------------------------------------------------------------------------------------------


def _report_form_defaults() -> dict:
    start, end = report.previous_month(date.today())
    return {"from": start.isoformat(), "to": end.isoformat()}


@login_required
@require_http_methods(["GET", "POST"])
def reports(request):
    """The 研判 reports of the user's area (their own level's and the levels below), and the form that makes one."""
    user = request.user
    require(user, "insight.view")
    chosen_area = (request.GET.get("area") or "").strip()[:20]
    area = get_visible_or_404(Region.objects.all(), user, code=chosen_area) if chosen_area else None
    values, error, error_field, status = _report_form_defaults(), None, None, 200
    if request.method == "POST":
        values = {name: (request.POST.get(name) or "").strip()[:20] for name in ("area", "from", "to")}
        try:
            region = get_visible_or_404(Region.objects.all(), user, code=values["area"]) if values["area"] else \
                queries.home_area(user)
            if region is None:
                raise Http404
            made = services.do_make_report(user, region, _day(values["from"], "from"), _day(values["to"], "to"))
            return redirect(reverse("insight:reports") + f"#report-{made.pk}")
        except OperationError as exc:
            error, error_field, status = exc.message, exc.field, page_status(exc)
    rows = Report.objects.visible_to(user).select_related("region", "created_by")
    if area is not None:
        rows = rows.filter(path__startswith=area.path)
    page = keyset_page(rows, ("-created_at", "-id"), request.GET, PAGE_SIZE, prefix="r")
    home = queries.home_area(user)
    return render(request, "insight/report_list.html", {
        "page": page, "query": urlencode({"area": area.code}) if area else "", "picker": area_picker(user, area),
        "area_query": "", "values": values, "error": error, "error_field": error_field,
        "areas": _report_areas(user, home)}, status=status)


def _day(value, field) -> date:
    parsed = None
    try:
        parsed = parse_date(value) if value else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise OperationError(_("%(field)s is not a date (YYYY-MM-DD)") % {"field": field}, field=field)
    return parsed


def _report_areas(user, home) -> list:
    """The areas an operator may ask a report for: their own and, below it, the streets and communities."""
    if home is None:
        return []
    below = Region.objects.visible_to(user).filter(path__startswith=home.path, level__in=services.REPORT_LEVELS)
    return list(below.order_by("path").values("code", "name", "level")[:300])


@login_required
@require_GET
def report_file(request, pk):
    require(request.user, "insight.view")
    found = Report.objects.visible_to(request.user).select_related("region").filter(pk=pk).first()
    if found is None or not found.file:
        raise Http404
    return report.download(found)
