"""A court's pages (诉前移送): refer a case with its letter, and the court's referrals with their outcome."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wangge.core.keyset import keyset_page
from wangge.mediation import services, workflow
from wangge.mediation.forms import ReferralForm
from wangge.mediation.models import Referral, ReferralOutcome
from wangge.mediation.views import PAGE_SIZE, dispute_form_page, disputes_for

OUTCOMES = {"pending": ReferralOutcome.PENDING, "settled": ReferralOutcome.SETTLED,
            "returned": ReferralOutcome.RETURNED}


def require_court(user):
    if not workflow.is_court_handler(user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def refer(request):
    require_court(request.user)
    return dispute_form_page(request, ReferralForm, services.do_refer,
                             _("Referred: %(number)s, waiting for the mediation office to route it"),
                             "mediation/referral_new.html", can_search=False)


@login_required
@require_GET
def referrals(request):
    """The court's referrals, newest first, with where each stands and its outcome (调解成功 / 退回诉讼)."""
    user = request.user
    require_court(user)
    outcome = (request.GET.get("outcome") or "").strip()
    rows = (Referral.objects.filter(court_id=user.department_id, dispute__in=disputes_for(user))
            .select_related("dispute__committee", "dispute__agreement"))
    if outcome in OUTCOMES:
        rows = rows.filter(outcome=OUTCOMES[outcome])
    page = keyset_page(rows, ("-referred_at", "-id"), request.GET, PAGE_SIZE)
    return render(request, "mediation/referrals.html",
                  {"page": page, "outcome": outcome, "query": f"outcome={outcome}" if outcome in OUTCOMES else ""})
