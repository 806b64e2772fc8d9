"""The early-warning board (研判预警) and the 人民调解协议书 download."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET

from wangge.areas.models import Level, Region
from wangge.core.keyset import sequence_page
from wangge.core.refusals import require
from wangge.mediation import documents
from wangge.mediation.models import Agreement, Dispute
from wangge.mediation.warnings import KINDS, LEVEL_LABELS, STATE_LABELS, attach_disputes, warnings_for

# The board shows each kind's first few (high severity, most recent first) with a link to all of that kind, which
# is paged: a district has hundreds of warnings, and one page of all of them was 280 KB and most of its time.
PREVIEW_PER_KIND = 10
PAGE_SIZE = 25


def _areas(user):
    """Streets, communities and grids under the user's node, for the area filter."""
    regions = Region.objects.visible_to(user).filter(level__in=(Level.STREET, Level.COMMUNITY, Level.GRID))
    if user.scope_node is not None:
        regions = regions.exclude(pk=user.scope_node.pk)
    return regions.order_by("path")


@login_required
@require_GET
def board(request):
    """研判预警: the warnings over the disputes of the user's area, by kind; ?region= narrows, ?kind= picks one."""
    user = request.user
    require(user, "mediation.stats")
    code = (request.GET.get("region") or "").strip()[:32]
    area = None
    if code:
        area = Region.objects.visible_to(user).filter(code=code).first()
        if area is None:
            raise Http404
    kind = (request.GET.get("kind") or "").strip()
    if kind and kind not in KINDS:
        kind = ""  # a stale link shows every kind rather than an error page
    found = warnings_for(user, region=area, kinds={kind} if kind else None, with_disputes=False)
    page = None
    sections = []
    for key, title in KINDS.items():
        if kind and key != kind:
            continue
        of_kind = [w for w in found if w.kind == key]
        if kind:
            page = sequence_page(of_kind, request.GET, PAGE_SIZE)
            shown = list(page.object_list)
        else:
            shown = of_kind[:PREVIEW_PER_KIND]
        sections.append({"key": key, "title": title, "count": len(of_kind), "warnings": shown,
                         "more": len(of_kind) - len(shown) if not kind else 0})
    attach_disputes(user, [w for s in sections for w in s["warnings"]])
    for dispute in (d for s in sections for w in s["warnings"] for d in w.disputes):
        dispute.state_label, dispute.level_label = STATE_LABELS[dispute.state], LEVEL_LABELS[dispute.level]
    query = urlencode({name: value for name, value in (("region", area.code if area else ""), ("kind", kind)) if value})
    return render(request, "mediation/warnings.html", {
        "sections": sections, "total": len(found), "area": area, "areas": _areas(user), "kind": kind,
        "kinds": KINDS, "page": page, "query": query})


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
