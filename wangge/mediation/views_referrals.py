"""A court's pages (诉前移送): refer a case with its letter, and the court's referrals with their outcome."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wangge.core.refusals import run_form_operation
from wangge.mediation import services, workflow
from wangge.mediation.forms import PartyRows, ReferralForm, party_choice_labels
from wangge.mediation.models import Referral, ReferralOutcome
from wangge.mediation.views import PAGE_SIZE, disputes_for

OUTCOMES = {"pending": ReferralOutcome.PENDING, "settled": ReferralOutcome.SETTLED,
            "returned": ReferralOutcome.RETURNED}


def require_court(user):
    if not workflow.is_court_handler(user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def refer(request):
    user = request.user
    require_court(user)
    status = 200
    if request.method == "POST":
        form, parties = ReferralForm(user, request.POST, request.FILES), PartyRows(request.POST)
        dispute = run_form_operation(
            form, lambda data: services.do_refer(user, parties=parties.data, **form.operation_fields()), parties)
        if dispute is not None:
            messages.success(request, _("Referred: %(number)s, waiting for the mediation office to route it")
                             % {"number": dispute.number})
            return redirect(reverse("mediation:detail", args=[dispute.pk]))
        status = 400
    else:
        form, parties = ReferralForm(user), PartyRows()
    node = user.scope_node
    return render(request, "mediation/referral_new.html",
                  {"form": form, "parties": parties, "party_rows": parties.for_page(),
                   "map_code": node.code if node else "", "can_search": False, **party_choice_labels()},
                  status=status)


@login_required
@require_GET
def referrals(request):
    """The court's referrals, newest first, with where each stands and its outcome (调解成功 / 退回诉讼)."""
    user = request.user
    require_court(user)
    outcome = (request.GET.get("outcome") or "").strip()
    rows = (Referral.objects.filter(court_id=user.department_id, dispute__in=disputes_for(user))
            .select_related("dispute__committee", "dispute__agreement").order_by("-referred_at", "-id"))
    if outcome in OUTCOMES:
        rows = rows.filter(outcome=OUTCOMES[outcome])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "mediation/referrals.html",
                  {"page": page, "outcome": outcome, "query": f"outcome={outcome}" if outcome in OUTCOMES else ""})
