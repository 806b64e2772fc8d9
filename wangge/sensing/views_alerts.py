"""The alert board (告警中心) for command centres and the grid team, and the alert page.

The board lists the open alerts of the user's area (or a chosen part of it), most severe and most recent
first, filtered by type, severity and state, paged by cursor; it refreshes itself every 30 seconds (a
`<meta http-equiv="refresh">`-free fetch of its own list by static/wangge/alerts.js), so alerts arrive on the
centre's wall without anyone touching it. The alert page shows what raised it and the numbers behind it, the
timeline, and one form per action the user may take (workflow.FLOW).
"""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.dates import iso_date_or_none
from wangge.core.keyset import keyset_page
from wangge.core.redirects import safe_next
from wangge.core.refusals import take_posted_action
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import require
from wangge.core.staff import timeline_rows
from wangge.sensing import services
from wangge.sensing.alerts import DEFAULT_SORT, SORTS
from wangge.sensing.cards import mask_card
from wangge.sensing.models import Alert, AlertEvent, AlertState, AlertType, Resolution, Severity
from wangge.sensing.workflow import FLOW

PAGE_SIZE = 30

# The numbers behind an alert (its `details`), as a reader reads them.
DETAIL_LABELS = {
    "card": pgettext_lazy("alert detail", "Card"), "why": pgettext_lazy("alert detail", "Why the card was not valid"),
    "at": pgettext_lazy("alert detail", "At"), "door": pgettext_lazy("alert detail", "Door"),
    "direction": pgettext_lazy("alert detail", "Direction"), "alarm": pgettext_lazy("alert detail", "Alarm"),
    "hours": pgettext_lazy("alert detail", "Hours without a door event"),
    "last_event": pgettext_lazy("alert detail", "Last door event"),
    "cards": pgettext_lazy("alert detail", "Distinct cards used"),
    "residents": pgettext_lazy("alert detail", "Registered residents"),
    "margin": pgettext_lazy("alert detail", "Margin"), "days": pgettext_lazy("alert detail", "Days counted"),
    "minutes": pgettext_lazy("alert detail", "Minutes"),
    "offline_since": pgettext_lazy("alert detail", "Offline since"),
    "last_seen": pgettext_lazy("alert detail", "Last message"),
}
DETAIL_VALUES = {
    "unknown": pgettext_lazy("card check", "not a card of ours"), "malformed": pgettext_lazy("card check", "misread"),
    "lost": pgettext_lazy("card check", "reported lost"), "revoked": pgettext_lazy("card check", "revoked"),
    "suspended": pgettext_lazy("card check", "suspended"), "replaced": pgettext_lazy("card check", "replaced"),
    "elsewhere": pgettext_lazy("card check", "not valid on this building's doors"),
    "forced_open": pgettext_lazy("door alarm", "forced open"), "held_open": pgettext_lazy("door alarm", "held open"),
    "in": pgettext_lazy("direction", "In"), "out": pgettext_lazy("direction", "Out"),
}


def readable_details(details: dict) -> list[tuple[str, str]]:
    """[(label, value)] of an alert's details: known keys labelled, codes named, times local; card numbers masked."""
    from datetime import datetime

    rows = []
    for key, value in details.items():
        if key == "card" and value and "*" not in str(value):
            value = mask_card(str(value))
        elif isinstance(value, str) and value in DETAIL_VALUES:
            value = DETAIL_VALUES[value]
        elif isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
            try:
                value = timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M:%S")
            except ValueError:
                pass
        rows.append((DETAIL_LABELS.get(key, key), "—" if value is None else value))
    return rows


FILTERS = ("type", "severity", "state", "area", "from", "to", "sort")


def read_filters(get) -> dict:
    chosen = {key: (get.get(key) or "").strip()[:40] for key in FILTERS}
    if chosen["state"] not in (*AlertState.values, "all"):
        chosen["state"] = "open"
    if chosen["sort"] not in SORTS:
        chosen["sort"] = DEFAULT_SORT
    for key in ("from", "to"):  # the days first seen (local); not a date: a filter that cannot apply, left out
        if chosen[key] and iso_date_or_none(chosen[key]) is None:
            chosen[key] = ""
    return chosen


def alerts_for(user, chosen, area=None):
    alerts = Alert.objects.visible_to(user).select_related("grid", "device", "building", "person")
    if area is not None:
        alerts = alerts.filter(grid__path__startswith=area.path)
    if chosen["state"] == "open":
        alerts = alerts.open()
    elif chosen["state"] in AlertState.values:
        alerts = alerts.filter(state=chosen["state"])
    if chosen["type"] in AlertType.values:
        alerts = alerts.filter(type=chosen["type"])
    if chosen["severity"] in Severity.values:
        alerts = alerts.filter(severity=chosen["severity"])
    if chosen["from"]:
        alerts = alerts.filter(first_seen__date__gte=iso_date_or_none(chosen["from"]))
    if chosen["to"]:
        alerts = alerts.filter(first_seen__date__lte=iso_date_or_none(chosen["to"]))
    return alerts


def _query(chosen) -> str:
    defaults = {"state": "open", "sort": DEFAULT_SORT}
    return urlencode({k: v for k, v in chosen.items() if v and defaults.get(k) != v})


@login_required
@require_GET
def board(request):
    user = request.user
    require(user, "sensing.view")
    chosen = read_filters(request.GET)
    area = get_visible_or_404(Region.objects.all(), user, code=chosen["area"]) if chosen["area"] else None
    alerts = alerts_for(user, chosen, area)
    page = keyset_page(alerts, SORTS[chosen["sort"]], request.GET, PAGE_SIZE, prefix="a")
    counts = {row["severity"]: row["n"] for row in _severity_counts(alerts_for(user, {**chosen, "severity": ""},
                                                                              area))}
    context = {
        "page": page, "chosen": chosen, "query": _query(chosen), "picker": area_picker(user, area),
        "area_query": _query({**chosen, "area": ""}),
        "types": AlertType.choices, "severities": Severity.choices,
        "sorts": [("severity", _("Severity first")), ("recent", _("Most recently seen"))],
        "states": [("open", _("Open")), *AlertState.choices, ("all", _("All"))],
        "counts": [(value, label, counts.get(value, 0)) for value, label in Severity.choices],
        "refresh_seconds": 30,
    }
    template = "sensing/_alert_rows.html" if request.GET.get("rows") == "1" else "sensing/alerts.html"
    return render(request, template, context)


def _severity_counts(alerts):
    from django.db.models import Count

    return alerts.order_by().values("severity").annotate(n=Count("id"))


def _alert(user, pk) -> Alert:
    alert = (Alert.objects.visible_to(user).select_related("grid__parent", "device", "building", "house", "person",
                                                            "assignee", "acknowledged_by", "closed_by", "case")
             .filter(pk=pk).first())
    if alert is None:
        raise Http404
    return alert


def alert_context(request, alert, *, failed_action=None, error=None, values=None) -> dict:
    from wangge.cases.forms import category_choices
    from wangge.core.models import User

    user = request.user
    allowed = FLOW.allowed_actions(alert, user)
    forms = [{"action": a, "label": FLOW.label(a), "params": FLOW.params(a),
              "error": error if a == failed_action else None,
              "values": (values or {}) if a == failed_action else {}} for a in allowed]
    return {
        "alert": alert, "forms": forms, "allowed": allowed, "details": readable_details(alert.details),
        "timeline": timeline_rows(user, AlertEvent.objects.filter(alert=alert)),
        "resolutions": [(r, label) for r, label in Resolution.choices
                        if r in (Resolution.TRUE, Resolution.FALSE_ALARM, Resolution.DUPLICATE)],
        "categories": category_choices() if "to_case" in allowed else [],
        "colleagues": (User.objects.visible_to(user).filter(is_active=True, region__isnull=False)
                       .filter(region__path__in=_paths_above(alert.grid.path)).order_by("role", "username")
                       if "assign" in allowed else []),
        "error": error, "failed_action": failed_action,
        "back": safe_next(request, reverse("sensing:alerts")),
        "next": safe_next(request, ""),  # where the actions lead back to (the phone home), when it was given
    }


def _paths_above(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


@login_required
@require_GET
def detail(request, pk):
    require(request.user, "sensing.view")
    return render(request, "sensing/alert.html", alert_context(request, _alert(request.user, pk)))


@login_required
@require_POST
def act(request, pk, action):
    """Take one action on an alert (posted from the alert page, the board or the phone home)."""
    user = request.user
    require(user, "sensing.view")
    if action not in FLOW.actions:
        raise Http404
    alert = _alert(user, pk)
    fresh, refused = take_posted_action(request, FLOW, alert, action, services.do_act)
    if refused:
        context = alert_context(request, _alert(user, pk), failed_action=action, error=refused.message,
                                values=refused.values)
        return render(request, "sensing/alert.html", context, status=refused.status)
    return redirect(safe_next(request, reverse("sensing:alert", args=[fresh.pk])))
