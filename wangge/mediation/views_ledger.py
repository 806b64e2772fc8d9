"""The ledger (矛盾纠纷一本账): every dispute in the user's area, filtered, sorted and paged."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.dates import iso_date_or_none
from wangge.core.ids import as_row_id
from wangge.core.keyset import keyset_page
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.mediation.models import (
    OPEN_STATES,
    Committee,
    DisputeType,
    Level,
    Risk,
    Source,
    State,
)
from wangge.mediation.templatetags.mediation_tags import (
    LEVEL_LABELS,
    RISK_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    TYPE_LABELS,
)
from wangge.mediation.views import PAGE_SIZE, disputes_for, label_mediators, require

SORTS = {
    "reported": ("-reported_at", "-id"),
    "oldest": ("reported_at", "id"),
    "due": ("due_by", "id"),  # keyset paging (core/keyset.py) puts NULLs last going up
    "amount": (("-amount", "nulls_last"), "-id"),  # disputes without an amount last, on both databases
}
SORT_LABELS = {"reported": pgettext_lazy("dispute sort", "Newest"),
               "oldest": pgettext_lazy("dispute sort", "Oldest"), "due": pgettext_lazy("dispute sort", "Due date"),
               "amount": pgettext_lazy("dispute sort", "Largest amount")}
FILTERS = ("state", "type", "source", "level", "committee", "risk", "q", "from", "to", "sort", "area")




def read_filters(get) -> dict:
    chosen = {key: (get.get(key) or "").strip()[:60] for key in FILTERS}
    if chosen["sort"] not in SORTS:
        chosen["sort"] = "reported"
    for key in ("from", "to"):
        if chosen[key] and iso_date_or_none(chosen[key]) is None:
            chosen[key] = ""  # not a date: ignored, as a filter that cannot apply
    return chosen


def filtered_disputes(user, chosen, area=None):
    disputes = disputes_for(user)
    if area is not None:
        disputes = disputes.filter(region__path__startswith=area.path)
    if chosen["state"] in State.values:
        disputes = disputes.filter(state=chosen["state"])
    elif chosen["state"] == "open":
        disputes = disputes.filter(state__in=OPEN_STATES)
    for key, choices in (("type", DisputeType), ("source", Source), ("level", Level), ("risk", Risk)):
        if chosen[key] in choices.values:
            disputes = disputes.filter(**{key: chosen[key]})
    if chosen["committee"].isdigit():  # an id too long for the column matches nothing
        committee_id = as_row_id(chosen["committee"])
        disputes = disputes.filter(committee_id=committee_id) if committee_id else disputes.none()
    if chosen["from"]:
        disputes = disputes.filter(reported_at__date__gte=iso_date_or_none(chosen["from"]))
    if chosen["to"]:
        disputes = disputes.filter(reported_at__date__lte=iso_date_or_none(chosen["to"]))
    q = chosen["q"]
    if q:
        disputes = disputes.filter(Q(number__icontains=q) | Q(title__contains=q) | Q(summary__contains=q)
                                   | Q(address__contains=q) | Q(parties__name__contains=q)).distinct()
    return disputes


def _committees(user):
    """The committees the user's disputes sit with (what can usefully be filtered by)."""
    ids = disputes_for(user).exclude(committee=None).values("committee_id")
    return Committee.objects.filter(pk__in=ids).select_related("region").order_by("level", "name")


def _query(chosen) -> str:
    return urlencode({k: v for k, v in chosen.items() if v and not (k == "sort" and v == "reported")})


@login_required
@require_GET
def ledger(request):
    user = request.user
    require(user, "mediation.view")
    chosen = read_filters(request.GET)
    # An area outside the user's answers 404 like any other address.
    area = get_visible_or_404(Region.objects.all(), user, code=chosen["area"]) if chosen["area"] else None
    page = keyset_page(filtered_disputes(user, chosen, area), SORTS[chosen["sort"]], request.GET, PAGE_SIZE)
    page.object_list = label_mediators(user, page.object_list)
    context = {
        "page": page, "chosen": chosen, "query": _query(chosen), "picker": area_picker(user, area),
        "area_query": _query({**chosen, "area": ""}),
        "states": [("open", _("Open"))] + list(STATE_LABELS.items()),
        "types": list(TYPE_LABELS.items()), "sources": list(SOURCE_LABELS.items()),
        "levels": list(LEVEL_LABELS.items()), "risks": list(RISK_LABELS.items()),
        "committees": _committees(user), "sorts": list(SORT_LABELS.items()),
        "can_register": can(user, "mediation.register") and user.role != "system",
    }
    return render(request, "mediation/ledger.html", context)
