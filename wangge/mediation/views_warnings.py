"""The early-warning board (研判预警) and the 人民调解协议书 download."""
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.ids import as_row_id
from wangge.core.keyset import sequence_page
from wangge.core.redirects import safe_next
from wangge.core.refusals import page_status, require
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import FieldErrors, OperationError
from wangge.mediation import documents, services_warnings
from wangge.mediation.models import Agreement, Dispute, WarningSetAside
from wangge.mediation.services_warnings import set_aside_visible_to
from wangge.mediation.warnings import KINDS, LEVEL_LABELS, STATE_LABELS, attach_disputes, board_warnings, warning_key

# The board shows each kind's first few (high severity, most recent first) with a link to all of that kind, which
# is paged: a district has hundreds of warnings, and one page of all of them was 280 KB and most of its time.
PREVIEW_PER_KIND = 10
PAGE_SIZE = 25


@login_required
@require_GET
def board(request):
    """研判预警: the warnings over the disputes of the user's area, by kind; ?region= narrows, ?kind= picks one,
    ?set_aside=1 lists those dismissed or snoozed."""
    return _board(request)


def _board(request, status=200, refused=None):
    user = request.user
    require(user, "mediation.stats")
    source = request.GET
    code = (source.get("region") or "").strip()[:32]
    area = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    kind = (source.get("kind") or "").strip()
    if kind and kind not in KINDS:
        kind = ""  # a stale link shows every kind rather than an error page
    aside = set_aside_visible_to(user)
    query = urlencode({name: value for name, value in (("region", area.code if area else ""), ("kind", kind)) if value})
    context = {"area": area, "picker": area_picker(user, area), "kind": kind, "kinds": KINDS, "query": query,
               "area_query": urlencode({"kind": kind}) if kind else "", "aside_count": aside.count(),
               "refused": refused or {}, "here": request.get_full_path(), "snooze_days": SNOOZE_CHOICES}
    if source.get("set_aside") == "1":
        context.update(aside=sequence_page(list(aside), source, PAGE_SIZE), query="set_aside=1")
        return render(request, "mediation/warnings_aside.html", context, status=status)
    found, made = board_warnings(user, region=area)
    if kind:
        found = [w for w in found if w.kind == kind]
    page = None
    sections = []
    for key, title in KINDS.items():
        if kind and key != kind:
            continue
        of_kind = [w for w in found if w.kind == key]
        if kind:
            page = sequence_page(of_kind, source, PAGE_SIZE)
            shown = list(page.object_list)
        else:
            shown = of_kind[:PREVIEW_PER_KIND]
        sections.append({"key": key, "title": title, "count": len(of_kind), "warnings": shown,
                         "more": len(of_kind) - len(shown) if not kind else 0})
    attach_disputes(user, [w for s in sections for w in s["warnings"]])
    # What belongs together: a warning names the other kinds raised about the same disputes (an overdue dispute
    # that is also a group-incident risk shows both, wherever it is listed).
    kinds_of = defaultdict(set)
    for warning in found:
        for pk in warning.dispute_ids:
            kinds_of[pk].add(warning.kind)
    for warning in (w for s in sections for w in s["warnings"]):
        others = set().union(*(kinds_of[pk] for pk in warning.dispute_ids)) - {warning.kind}
        warning.also = [(key, KINDS[key]) for key in KINDS if key in others]
    for warning in (w for s in sections for w in s["warnings"]):  # a refused "set aside": its form opens again
        warning.refused = refused if refused and refused["key"] == warning.key else None
    for dispute in (d for s in sections for w in s["warnings"] for d in w.disputes):
        dispute.state_label, dispute.level_label = STATE_LABELS[dispute.state], LEVEL_LABELS[dispute.level]
    context.update(sections=sections, total=len(found), page=page, made=made)
    return render(request, "mediation/warnings.html", context, status=status)


SNOOZE_CHOICES = (7, 30, 90)


@login_required
@require_POST
def set_aside(request):
    """Dismiss or snooze one warning, with a reason; back to the same place on the board. Refused: the board
    again (400/403/404) with the reason next to that warning and the note kept."""
    user = request.user
    post = request.POST
    kind = post.get("kind") or ""
    ids = [as_row_id(v) for v in (post.get("disputes") or "").split(",")[:500] if v.strip()]
    days = post.get("days") or ""
    try:
        services_warnings.do_set_aside_warning(
            user, kind, [pk for pk in ids if pk], note=post.get("note") or "",
            days=int(days) if days.isdigit() and len(days) < 5 else (None if days in ("", "dismiss") else -1))
    except OperationError as refusal:
        errors = refusal.errors if isinstance(refusal, FieldErrors) else {"warning": refusal.message}
        if "warning" in errors:  # the warning is not on the board to show it beside
            messages.error(request, errors["warning"])
        return _board(request, status=page_status(refusal),
                      refused={"key": warning_key(kind, [pk for pk in ids if pk]), "errors": errors,
                               "note": post.get("note") or "", "days": days})
    messages.success(request, _("Set aside: it is listed under \"Set aside\" and can be restored."))
    return redirect(safe_next(request, reverse("mediation:warnings")))


@login_required
@require_POST
def restore(request, pk: int):
    user = request.user
    found = WarningSetAside.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    try:
        services_warnings.do_restore_warning(user, found)
    except OperationError as refusal:
        if refusal.reason == "area":
            raise Http404 from None
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Restored: the warning shows again while its rule raises it."))
    return redirect(reverse("mediation:warnings") + "?set_aside=1")


@login_required
@require_GET
def agreement_doc(request, pk: int):
    """人民调解协议书 (.docx) of an agreed dispute in the user's area; 404 outside it or without an agreement."""
    user = request.user
    require(user, "mediation.view")
    dispute = (Dispute.objects.visible_to(user).select_related("committee", "mediator", "agreement")
               .filter(pk=pk).first())
    if dispute is None:
        raise Http404
    try:
        dispute.agreement
    except Agreement.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(documents.agreement_docx(dispute), content_type=documents.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, documents.filename(dispute))
    response["Cache-Control"] = "private, no-store"
    return response
