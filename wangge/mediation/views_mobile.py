"""调解员手机端: a mediator's phone pages under /mediation/m/.

  /mediation/m/                     我的调解: to accept, mediating, today's sessions, agreements due a follow-up
  /mediation/m/<pk>/                a compact dispute card (parties masked) with the quick actions
  /mediation/m/<pk>/act/<action>/   POST one quick action (services.do_act with the version the card showed)
  /mediation/m/<pk>/party/<party>/phone/   POST 查看完整号码 with a reason (core's do_reveal writes the audit row)
  /mediation/m/me/                  我的调解档案: the year's cases, agreed, success rate and mean party rating
                                    (the shared measures' formulas), and every dispute I handled

Only the mediator role uses these pages (others get 403; their workbench is the staff pages). Every read goes
through `Dispute.objects.visible_to(user)`, so a dispute that is not theirs answers 404 like one that does not
exist. A refused action changes nothing and re-renders the card with the reason, at the status the API gives
the same refusal (wangge/core/refusals.py): 403 (a role that may not), 409 (not in this state, refused by a
guard, or someone changed the dispute since the card was loaded), 422 (bad input, shown at its field).
"""
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from wangge.core.personal import keep_revealed, mask_id_number, mask_phone, reveal_key
from wangge.core.roles import Role
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, do_reveal
from wangge.mediation import workflow
from wangge.mediation.models import (
    Dispute,
    Mediator,
    Party,
    Performance,
    Session,
    SessionState,
    State,
)

# The labels for the ledger's codes are kept once, with the staff pages' template helpers.
from wangge.mediation.templatetags.mediation_tags import (
    LEVEL_LABELS,
    PERFORMANCE_LABELS,
    RISK_LABELS,
    ROLE_LABELS,
    SESSION_LABELS,
    STATE_LABELS,
    TYPE_LABELS,
)
from wangge.mediation.views import act_page, revealed_values

# The quick actions the card offers; each posts the inputs the workflow table gives it.
QUICK_ACTIONS = ("accept", "schedule_session", "record_session", "agree", "fail", "follow_up")
LIST_LIMIT = 50


def require_mediator(user):
    if user.role != Role.MEDIATOR:
        raise PermissionDenied


def disputes_for(user):
    return Dispute.objects.visible_to(user).select_related("committee", "mediator", "grid")


def words(dispute):
    """Attach the Chinese words the pages show (templates cannot look a code up in a dict)."""
    dispute.type_word = TYPE_LABELS.get(dispute.type, dispute.type)
    dispute.state_word = STATE_LABELS.get(dispute.state, dispute.state)
    dispute.level_word = LEVEL_LABELS.get(dispute.level, dispute.level)
    dispute.risk_word = RISK_LABELS.get(dispute.risk, dispute.risk)
    return dispute


def _worded(disputes):
    return [words(d) for d in disputes]


def _today_bounds(now):
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def my_work(user, now=None) -> dict:
    """The four piles of 我的调解. A session is "today" by the local calendar day; an agreement is due a
    follow-up (待回访) when its performance is still pending and its perform-by day has passed."""
    now = now or timezone.now()
    disputes = disputes_for(user)
    start, end = _today_bounds(now)
    today = timezone.localtime(now).date()
    return {
        "to_accept": _worded(disputes.filter(state=State.REGISTERED).order_by("due_by", "id")[:LIST_LIMIT]),
        "mediating": _worded(disputes.filter(state__in=(State.ACCEPTED, State.MEDIATING))
                             .order_by("due_by", "id")[:LIST_LIMIT]),
        "sessions_today": list(Session.objects.filter(dispute__in=disputes.values("pk"), starts_at__gte=start,
                                                      starts_at__lt=end)
                               .exclude(state=SessionState.CANCELLED)
                               .select_related("dispute").order_by("starts_at", "id")),
        "follow_up": _worded(disputes.filter(state=State.AGREED, agreement__performance=Performance.PENDING,
                                          agreement__perform_by__lt=today)
                          .select_related("agreement").order_by("agreement__perform_by", "id")[:LIST_LIMIT]),
    }


@login_required
@require_GET
def mine(request):
    """我的调解 (phone first)."""
    require_mediator(request.user)
    return render(request, "mediation/mobile_mine.html", {**my_work(request.user)})


# ------------------------------------------------------------------ the dispute card


def _parties(dispute, revealed=None) -> list[dict]:
    revealed = revealed or {}
    return [{"pk": p.pk, "name": p.name, "role": ROLE_LABELS.get(p.role, p.role),
             "phone": revealed.get(p.pk) or mask_phone(p.phone), "has_phone": bool(p.phone),
             "revealed": p.pk in revealed, "id_number": mask_id_number(p.id_number), "rating": p.rating}
            for p in dispute.parties.all()]


def card_context(request, dispute, *, failed_action=None, error=None, error_field=None, values=None,
                 revealed=None, reveal_error=None) -> dict:
    user = request.user
    allowed = [a for a in workflow.allowed_actions(dispute, user) if a in QUICK_ACTIONS]
    words(dispute)
    sessions = list(dispute.sessions.order_by("starts_at", "id"))
    for session in sessions:
        session.state_word = SESSION_LABELS.get(session.state, session.state)
    forms = [{"action": a, "label": workflow.FLOW.label(a), "params": workflow.FLOW.params(a),
              "error": error if a == failed_action else None,
              "error_field": error_field if a == failed_action else None,
              "values": (values or {}) if a == failed_action else {}} for a in allowed]
    return {
        "dispute": dispute, "forms": forms, "sessions": sessions,
        "scheduled": [s for s in sessions if s.state == SessionState.SCHEDULED],
        "agreement": _agreement(dispute),
        "parties": _parties(dispute, revealed), "reveal_error": reveal_error,
        "error": error, "failed_action": failed_action,
        "performance_choices": [(v, PERFORMANCE_LABELS[v]) for v in Performance.values if v != Performance.PENDING],
        "min_start": timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M"),
    }


def _agreement(dispute):
    agreement = getattr(dispute, "agreement", None) if dispute.state == State.AGREED else None
    if agreement is not None:
        agreement.performance_word = PERFORMANCE_LABELS.get(agreement.performance, agreement.performance)
    return agreement


def _dispute(user, pk):
    return get_visible_or_404(disputes_for(user).select_related("region"), user, pk=pk)


@login_required
@require_GET
def card(request, pk):
    require_mediator(request.user)
    dispute = _dispute(request.user, pk)
    revealed = {pk: values["phone"] for pk, values in revealed_values(request, dispute, ("phone",)).items()}
    return render(request, "mediation/mobile_card.html", card_context(request, dispute, revealed=revealed))


def _params(request, action) -> dict:
    """The action's inputs as posted; empty optional inputs are left out so the operation's defaults hold."""
    params = {}
    for name in workflow.FLOW.params(action):
        value = (request.POST.get(name) or "").strip()
        if value or name in ("terms", "reason", "record", "performance", "starts_at", "session"):
            params[name] = value
    return params


@login_required
@require_POST
def act(request, pk, action):
    """One quick action. The card posts the version it showed; a stale one is a 409, never a silent overwrite."""
    user = request.user
    require_mediator(user)
    if action not in QUICK_ACTIONS:
        raise Http404
    return act_page(request, pk, action, _dispute, lambda: _params(request, action),
                    lambda fresh: redirect(reverse("mediation:mobile_card", args=[fresh.pk])),
                    lambda dispute, refused: _refused(request, dispute, action, refused))


def _refused(request, dispute, action, refused):
    context = card_context(request, dispute, failed_action=action, error=refused.message, values=refused.values,
                           error_field=refused.field if refused.field in workflow.FLOW.params(action) else None)
    return render(request, "mediation/mobile_card.html", context, status=refused.status)


@login_required
@require_POST
def reveal_phone(request, pk, party):
    """查看完整号码: a mediator calls a party. One number in the clear, for a reason, logged by do_reveal."""
    require_mediator(request.user)
    dispute = _dispute(request.user, pk)
    found = Party.objects.filter(dispute=dispute, pk=party).first()
    if found is None or not found.phone:
        raise Http404
    try:
        value = do_reveal(request.user, found, "phone", request.POST.get("reason", ""))
    except OperationError as exc:
        context = card_context(request, dispute, reveal_error={"party": found.pk, "message": exc.message})
        return render(request, "mediation/mobile_card.html", context, status=400)
    keep_revealed(request, reveal_key("mediation.party", found.pk, "phone"), value)
    return redirect(reverse("mediation:mobile_card", args=[dispute.pk]) + f"#party-{found.pk}")


# ------------------------------------------------------------------ my record


def mediator_record(user, year=None) -> dict | None:
    """The mediator's own record. The year's figures come from the shared measures (measures.mediator_ranking,
    the 十佳调解员 formulas: cases = disputes on them accepted in the year, 调解成功率 = agreed ÷ cases, the mean
    of their parties' 1–5 ratings), so the phone shows what the ranking shows. Beside them, two small counts
    over all time: every dispute assigned to them (经手) and those still open (在办)."""
    from wangge.mediation import measures

    mediator = Mediator.objects.filter(user=user).first()
    if mediator is None:
        return None
    year = year or timezone.localdate().year
    ranking = measures.mediator_ranking(user, measures.RankingQuery(year=year, min_cases=measures.MIN_CASES,
                                                                    anchor=None))
    mine = next((r for r in ranking["ranking"] + ranking["below_threshold"] if r["mediator"] == mediator.pk),
                {"cases": 0, "agreed": 0, "success_rate": measures.ratio(0, 0), "mean_rating": None, "ratings": 0})
    counts = Dispute.objects.visible_to(user).filter(mediator=mediator).aggregate(
        handled=Count("pk"), open=Count("pk", filter=Q(state__in=(State.REGISTERED, State.ACCEPTED,
                                                                   State.MEDIATING))))
    return {"mediator": mediator, "year": year, "cases": mine["cases"], "agreed": mine["agreed"],
            "success_rate": mine["success_rate"]["display"], "mean_rating": mine["mean_rating"],
            "ratings": mine["ratings"], **counts}


@login_required
@require_GET
def me(request):
    require_mediator(request.user)
    record = mediator_record(request.user)
    recent = []
    if record is not None:
        recent = list(disputes_for(request.user).filter(mediator=record["mediator"])
                      .order_by("-reported_at", "-id")[:20])
        _worded(recent)
    return render(request, "mediation/mobile_me.html", {"record": record, "recent": recent})
