"""The dispute page (纠纷详情): the parties (masked), risk, committee and mediator, sessions, the agreement with
its judicial confirmation and follow-ups, the referral, petition progress and the timeline; one form per
allowed action (workflow.allowed_actions) and the POST that takes it.

Action-form contract (the browser test drives it): each allowed action is a
`<form method="post" action="/mediation/<pk>/act/<action>/" data-action="<action>">` with a hidden `version`
and inputs named exactly as the action's parameters (the workflow table's `params`), and one submit button.

A refused action changes nothing and re-renders the page with the reason, at the status the API gives the same
refusal (wangge/core/refusals.py): 404 outside the area, 403 a role that may not, 409 not in this state,
refused by a guard or a stale version, 422 bad input.
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.core.models import Department
from wangge.core.personal import keep_revealed, mask_id_number, mask_phone, reveal_key
from wangge.core.redirects import safe_next
from wangge.core.roles import OPERATORS
from wangge.core.services import OperationError, do_reveal
from wangge.core.staff import staff_labels
from wangge.mediation import services, workflow
from wangge.mediation.models import (
    Agreement,
    Committee,
    CommitteeKind,
    Dispute,
    Party,
    Performance,
    PetitionProgress,
    Referral,
    Session,
    SessionState,
)
from wangge.mediation.templatetags.mediation_tags import PERFORMANCE_LABELS
from wangge.mediation.views import (
    act_page,
    disputes_for,
    mediator_labels,
    require,
    revealed_values,
    timeline,
)

REVEAL_FIELDS = ("phone", "id_number")


def committees_for(dispute):
    """Committees a dispute may be routed or transferred to: active, not the office, serving its region (at it
    or above), taking its type, other than the one it sits with."""
    paths = _ancestor_paths(dispute.region.path)
    found = (Committee.objects.filter(active=True, region__path__in=paths).exclude(kind=CommitteeKind.OFFICE)
             .exclude(pk=dispute.committee_id or 0).select_related("region").order_by("-region__path", "name"))
    return [c for c in found if c.takes(dispute.type)]


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def courts():
    return Department.objects.filter(code__in=workflow.COURT_CODES).order_by("name")


def _parties(viewer, dispute, revealed=None):
    rows = []
    for party in Party.objects.filter(dispute=dispute).order_by("id"):
        shown = (revealed or {}).get(party.pk, {})
        rows.append({"party": party, "phone": shown.get("phone") or mask_phone(party.phone),
                     "id_number": shown.get("id_number") or mask_id_number(party.id_number),
                     "revealed": set(shown)})
    return rows


def _leader_label(viewer, dispute) -> str:
    if dispute.leader_id:
        return staff_labels(viewer, [dispute.leader])[dispute.leader_id]
    return dispute.leader_name


def dispute_context(request, dispute, *, failed_action=None, error=None, values=None, revealed=None) -> dict:
    user = request.user
    allowed = workflow.allowed_actions(dispute, user)
    forms = [{"action": a, "label": workflow.FLOW.label(a), "params": workflow.FLOW.params(a),
              "error": error if a == failed_action else None,
              "values": (values or {}) if a == failed_action else {}} for a in allowed]
    agreement = Agreement.objects.filter(dispute=dispute).select_related("confirmation_court").first()
    referral = Referral.objects.filter(dispute=dispute).select_related("court").first()
    sessions = list(Session.objects.filter(dispute=dispute).select_related("mediator").order_by("starts_at", "id"))
    parties = _parties(user, dispute, revealed)
    names = mediator_labels(user, [dispute.mediator] + [s.mediator for s in sessions])
    for s in sessions:
        s.mediator_label = names.get(s.mediator_id, "")
    return {
        "dispute": dispute, "forms": forms, "allowed": allowed, "timeline": timeline(user, dispute),
        "parties": parties, "sessions": sessions, "agreement": agreement,
        "follow_ups": list(agreement.follow_ups.all()) if agreement else [],
        "referral": referral, "progress": list(PetitionProgress.objects.filter(dispute=dispute).order_by("month")),
        "leader": _leader_label(user, dispute), "mediator_label": names.get(dispute.mediator_id, ""),
        "committees": committees_for(dispute) if {"route", "transfer"} & set(allowed) else [],
        "mediators": list(services.eligible_mediators(dispute)) if "assign_mediator" in allowed else [],
        "scheduled": [s for s in sessions if s.state == SessionState.SCHEDULED],
        "courts": courts() if "apply_confirmation" in allowed else [],
        "performances": [(p, PERFORMANCE_LABELS[p]) for p in Performance.values if p != Performance.PENDING],
        "ratings": [(str(n), _("%(n)s points") % {"n": n}) for n in range(5, 0, -1)],
        "error": error, "failed_action": failed_action,
        "is_operator": user.role in OPERATORS,
        "can_reveal": user.role in OPERATORS or user.role == "mediator",
    }


def _dispute(user, pk) -> Dispute:
    dispute = disputes_for(user).select_related("committee__region", "leader", "case").filter(pk=pk).first()
    if dispute is None:
        raise Http404
    return dispute


@login_required
@require_GET
def detail(request, pk):
    require(request.user, "mediation.view")
    dispute = _dispute(request.user, pk)
    context = dispute_context(request, dispute, revealed=revealed_values(request, dispute, REVEAL_FIELDS))
    return render(request, "mediation/detail.html", context)


def _params(request, action) -> dict:
    """The action's inputs as posted; a box left unticked is False, an empty choice is "not chosen"."""
    params = {}
    for name in workflow.FLOW.params(action):
        if name == "chosen_by_parties":
            params[name] = request.POST.get(name) == "1"
            continue
        params[name] = (request.POST.get(name) or "").strip()
    return params


@login_required
@require_POST
def act(request, pk, action):
    """Take one action on a dispute (POST from the dispute page)."""
    user = request.user
    require(user, "mediation.view")
    if action not in workflow.ACTIONS:
        raise Http404
    return act_page(request, pk, action, _dispute, lambda: _params(request, action),
                    lambda fresh: redirect(_after_acting(request, fresh)),
                    lambda dispute, refused: render(request, "mediation/detail.html", dispute_context(
                        request, dispute, failed_action=action, error=refused.message, values=refused.values),
                        status=refused.status))


def _after_acting(request, dispute) -> str:
    """Where an action leads: back where it was posted from, or the ledger if the dispute is no longer the user's."""
    here = reverse("mediation:detail", args=[dispute.pk])
    target = safe_next(request, here)
    if target == here and not disputes_for(request.user).filter(pk=dispute.pk).exists():
        target = reverse("mediation:ledger")  # routed or transferred away: no longer the user's to see
    return target


@login_required
@require_POST
def reveal(request, pk, party_pk, field):
    """查看完整号码: a party's phone or ID number in the clear, for a reason; do_reveal writes the audit row.
    Staff who act on disputes (operators, mediators) may; others see the masked value only."""
    user = request.user
    require(user, "mediation.view")
    if field not in REVEAL_FIELDS:
        raise Http404
    dispute = _dispute(user, pk)
    party = Party.objects.filter(dispute=dispute, pk=party_pk).first()
    if party is None or not getattr(party, field):
        raise Http404
    if not (user.role in OPERATORS or user.role == "mediator"):
        raise PermissionDenied
    try:
        value = do_reveal(user, party, field, request.POST.get("reason", ""))
    except OperationError as exc:
        context = dispute_context(request, dispute)
        context["reveal_error"] = {"party": party.pk, "field": field, "message": exc.message}
        return render(request, "mediation/detail.html", context, status=422)
    keep_revealed(request, reveal_key("mediation.party", party.pk, field), value)
    return redirect(reverse("mediation:detail", args=[dispute.pk]) + f"#party-{party.pk}")


@login_required
@require_GET
def letter(request, pk):
    """The court's referral letter, only to those who see the dispute (letters are never public media)."""
    require(request.user, "mediation.view")
    dispute = _dispute(request.user, pk)
    referral = Referral.objects.filter(dispute=dispute).first()
    if referral is None or not referral.letter:
        raise Http404
    try:
        handle = referral.letter.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=referral.letter.name.rsplit("/", 1)[-1])
