"""登记 (a new entry of the ledger), the party search it calls, and 转为矛盾纠纷 from a case page."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.core.personal import mask_id_number
from wangge.core.roles import Role, can
from wangge.core.services import OperationError
from wangge.mediation import services
from wangge.mediation.forms import RegisterForm
from wangge.mediation.models import DisputeType
from wangge.mediation.views import dispute_form_page, require

SEARCH_LIMIT = 10


def require_registrar(user):
    """Registering is for people at a desk or in a grid (mediation.register); a connected system uses the API."""
    if not can(user, "mediation.register") or user.role == Role.SYSTEM:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    require_registrar(request.user)
    return dispute_form_page(request, RegisterForm, services.do_register_dispute, _("Registered: %(number)s"),
                             "mediation/register.html", can_search=can(request.user, "registry.view"))


@login_required
@require_GET
def party_search(request):
    """People and organisations in the user's area (the registry's own scoping), for a party row: an htmx
    fragment. Those who may not read the registry (mediators) get nothing and type the party in."""
    from wangge.registry.models import Organisation, Person
    from wangge.registry.queries import search_people

    user = request.user
    require_registrar(user)
    q = (request.GET.get("q") or "").strip()[:50]
    row = (request.GET.get("row") or "").strip()
    people, organisations = [], []
    if len(q) >= 2 and row.isdigit():
        people = [{"pk": p.pk, "name": p.name, "id": mask_id_number(p.id_number), "grid": p.grid.name if p.grid else ""}
                  for p in search_people(Person.objects.visible_to(user), q).select_related("grid")[:SEARCH_LIMIT]]
        organisations = list(Organisation.objects.visible_to(user).filter(Q(name__contains=q) | Q(uscc=q.upper()))
                             .select_related("grid")[:SEARCH_LIMIT])
    return render(request, "mediation/_party_results.html",
                  {"people": people, "organisations": organisations, "q": q, "row": row,
                   "asked": len(q) >= 2})


@login_required
@require_POST
def from_case(request, case_pk):
    """转为矛盾纠纷: the case page's button for a case of the 矛盾纠纷 class."""
    from wangge.cases.models import Case

    user = request.user
    require(user, "mediation.register")
    case = Case.objects.visible_to(user).filter(pk=case_pk).first()
    if case is None:
        raise Http404
    dispute_type = (request.POST.get("type") or DisputeType.OTHER).strip()
    try:
        dispute = services.do_case_to_dispute(user, case, type=dispute_type)
    except OperationError as exc:
        # Refused: the case page again, unchanged, with the reason (and a 4xx, like every refusal).
        from wangge.cases.views_case import case_context

        messages.error(request, _("Not made a dispute: %(message)s") % {"message": exc.message})
        case = Case.objects.select_related("category__major", "grid", "assignee_department", "assignee_region",
                                           "owner_region", "reporter").get(pk=case.pk)
        return render(request, "cases/detail.html", case_context(request, case), status=422)
    messages.success(request, _("Made a dispute: %(number)s") % {"number": dispute.number})
    return redirect(reverse("mediation:detail", args=[dispute.pk]))
