"""群众自报矛盾纠纷: a citizen asks for mediation from the portal, without an account.

  /portal/dispute/                  the form: type, what happened, the place (map or phone position, the same
                                    map and script as the case report), the parties, and optionally a mediator
  /portal/dispute/mediators/        the mediators the citizen may choose near a point (htmx partial)
  /portal/dispute/done/<token>/     the receipt with the dispute number

Whom a citizen may choose: the active members of the committee that would take the dispute — the people's
committee of the community the point lies in (services.default_committee at community level). The list shows
name, title, expertise and languages; never a phone. The choice goes to do_report_dispute_public, which checks
it against the same committee.

The receipt's address carries the dispute's id signed by the server, so dispute numbers cannot be walked to read
other people's receipts. Reports share the case report's per-client limit (wangge/portal/ratelimit.py).
"""
import re

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wangge.areas.services import locate_point
from wangge.core.services import OperationError
from wangge.mediation import services
from wangge.mediation.models import Dispute, Level, Mediator
from wangge.mediation.templatetags.mediation_tags import LEVEL_LABELS, TYPE_LABELS
from wangge.portal import forms, ratelimit
from wangge.portal.forms_dispute import DisputeReportForm

RECEIPT_SALT = "wangge.portal.dispute-receipt"
RECEIPT_MAX_AGE = 7 * 24 * 3600  # a week to come back to the receipt page
PARTY_FIELD = re.compile(r"^parties\[(\d+)\]\.(name|phone)$")
FIELD_OF = {"location": "lng", "type": "type", "summary": "summary", "amount": "amount", "crs": "crs",
            "mediator": "mediator", "title": "summary"}


def eligible_near(lng, lat, crs="wgs84", dispute_type=""):
    """(committee, mediators) for a point: the community committee that would take a dispute there and its
    active members, those with the dispute type's expertise first. OperationError when the point is in no grid."""
    grid, _lng, _lat = locate_point(lng, lat, crs)
    committee = services.default_committee(Level.COMMUNITY, grid, dispute_type)
    if committee is None:
        return None, []
    mediators = list(Mediator.objects.filter(active=True, memberships__committee=committee).distinct()
                     .order_by("name", "id"))
    mediators.sort(key=lambda m: dispute_type not in (m.expertise or []))
    return committee, mediators


def public_mediator(mediator) -> dict:
    """What a citizen is shown of a mediator: never a phone, never the account."""
    return {"pk": mediator.pk, "name": mediator.name, "title": mediator.title,
            "expertise": [TYPE_LABELS.get(t, t) for t in (mediator.expertise or [])],
            "languages": list(mediator.languages or [])}


def _choices_context(params, chosen=None) -> tuple[dict, int]:
    """The mediator list for the point in `params` (lng, lat, crs, type)."""
    form = forms.LocationForm(params)
    if not form.is_valid():
        return {"mediators_hint": _("Choose the location on the map to see the local mediators to choose from.")}, 200
    try:
        committee, mediators = eligible_near(form.cleaned_data["lng"], form.cleaned_data["lat"],
                                             form.cleaned_data["crs"] or "wgs84", params.get("type") or "")
    except OperationError:
        return {"mediators_hint": _("This place is in none of the platform's grids; please choose again.")}, 200
    return {"committee": committee, "mediators": [public_mediator(m) for m in mediators],
            "chosen": str(chosen or params.get("mediator") or ""), "mediators_loaded": True}, 200


@require_GET
def mediators(request):
    context, status = _choices_context(request.GET)
    return render(request, "portal/dispute_mediators.html", context, status=status)


def _title(data) -> str:
    """The ledger needs a title; a citizen writes what happened, so the first line of it stands in. The title is
    data: it is written in the platform's language, whichever language the citizen's page was in."""
    first = data["summary"].strip().splitlines()[0].strip()
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(type)s: %(first_line)s") % {"type": TYPE_LABELS.get(data["type"], _("Dispute")),
                                                 "first_line": first[:60]}


def _page(request, form, status=200):
    data = request.POST if request.method == "POST" else request.GET
    context, _ = _choices_context(data, chosen=data.get("mediator"))
    return render(request, "portal/dispute.html", {"form": form, **context}, status=status)


def _add_service_error(form, exc):
    match = PARTY_FIELD.match(exc.field or "")
    if match and int(match.group(1)) < len(form.cleaned_data.get("party_rows", [])):
        row = form.cleaned_data["party_rows"][int(match.group(1))]
        form.add_error(f"party_{row}_{match.group(2)}", exc.message)
    elif exc.field == "parties" or (exc.field or "").startswith("parties"):
        form.add_error("party_0_name", exc.message)
    else:
        field = FIELD_OF.get(exc.field)
        form.add_error(field if field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
def report(request):
    """申请调解: the form; on POST the dispute and its parties are stored together or not at all."""
    if request.method == "GET":
        return _page(request, DisputeReportForm(initial={"type": request.GET.get("type", "")}))
    ip = ratelimit.client_ip(request)
    if ratelimit.is_limited(ip):
        response = render(request, "portal/too_many.html", {"limit": ratelimit.reports_per_hour()}, status=429)
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
        return response
    form = DisputeReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dispute = services.do_report_dispute_public(
                title=_title(data), type=data["type"], summary=data["summary"], lng=data["lng"], lat=data["lat"],
                crs=data["crs"] or "wgs84", address=data["address"], parties=data["parties"],
                amount=data["amount"], mediator=data["mediator"])
        except OperationError as exc:
            _add_service_error(form, exc)
        else:
            ratelimit.count_report(ip)
            return redirect("portal:dispute_receipt", token=signing.dumps(dispute.pk, salt=RECEIPT_SALT))
    return _page(request, form, status=400)


@require_GET
def receipt(request, token):
    try:
        pk = signing.loads(token, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
    except signing.BadSignature:  # tampered with, or older than a week
        return render(request, "portal/not_found.html", status=404)
    dispute = Dispute.objects.select_related("committee", "mediator").filter(pk=pk).first()
    if dispute is None:
        return render(request, "portal/not_found.html", status=404)
    context = {"number": dispute.number, "type": TYPE_LABELS.get(dispute.type, dispute.type),
               "reported_at": dispute.reported_at, "level": LEVEL_LABELS.get(dispute.level, ""),
               "committee": dispute.committee, "mediator": dispute.mediator.name if dispute.mediator else ""}
    return render(request, "portal/dispute_receipt.html", context)
