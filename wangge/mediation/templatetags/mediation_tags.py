"""Template helpers for the mediation pages: labels for the ledger's codes, masked personal data,
optional links (a page another part may or may not have installed) and the dispute a case became."""
from django import template
from django.urls import NoReverseMatch, reverse

from wangge.core.roles import can as role_can
from wangge.mediation.models import (
    CommitteeKind,
    Confirmation,
    DisputeType,
    Level,
    PartyKind,
    PartyRole,
    Performance,
    ReferralOutcome,
    Risk,
    SessionState,
    Source,
    State,
)
from wangge.mediation.workflow import FLOW

register = template.Library()

# Labels come from the models' choices (one source, translated by the catalogue); actions are labelled once, in the
# workflow table (FLOW.label).
TYPE_LABELS = dict(DisputeType.choices)
SOURCE_LABELS = dict(Source.choices)
LEVEL_LABELS = dict(Level.choices)
RISK_LABELS = dict(Risk.choices)
STATE_LABELS = dict(State.choices)
ROLE_LABELS = dict(PartyRole.choices)
KIND_LABELS = dict(PartyKind.choices)
SESSION_LABELS = dict(SessionState.choices)
CONFIRMATION_LABELS = dict(Confirmation.choices)
PERFORMANCE_LABELS = dict(Performance.choices)
OUTCOME_LABELS = dict(ReferralOutcome.choices)
COMMITTEE_KIND_LABELS = dict(CommitteeKind.choices)
# Buttons that end or send away someone's work: shown in the quieter style.
DANGER_ACTIONS = {"fail", "withdraw", "refuse_confirmation", "escalate", "transfer"}

LABELS = {"type": TYPE_LABELS, "source": SOURCE_LABELS, "level": LEVEL_LABELS, "risk": RISK_LABELS,
          "state": STATE_LABELS, "role": ROLE_LABELS, "kind": KIND_LABELS, "session": SESSION_LABELS,
          "confirmation": CONFIRMATION_LABELS, "performance": PERFORMANCE_LABELS, "outcome": OUTCOME_LABELS,
          "committee_kind": COMMITTEE_KIND_LABELS}


@register.filter
def label(value, kind: str) -> str:
    """{{ dispute.type|label:"type" }} -> Neighbours (邻里纠纷)."""
    value = "" if value is None else value
    if kind == "action":  # workflow actions and timeline events: labelled once, in the workflow table
        return FLOW.label(value) if value else ""
    return LABELS.get(kind, {}).get(value, value)


@register.filter
def is_danger(action) -> bool:
    return action in DANGER_ACTIONS


@register.simple_tag
def url_if(name, *args) -> str:
    """The address of a named page, or "" when that page is not installed (another part builds it)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag
def visible_dispute(user, case):
    """The dispute a case became, if the user may see it (for the link on the case page), else None."""
    from wangge.mediation.models import Dispute

    if not role_can(user, "mediation.view"):
        return None
    return Dispute.objects.visible_to(user).filter(case_id=case.pk).first()


@register.simple_tag
def may_make_dispute(user, case) -> bool:
    """Whether the case page offers 转为矛盾纠纷: a 矛盾纠纷-class case not yet a dispute, to one who registers."""
    from wangge.mediation.models import Dispute
    from wangge.mediation.services import DISPUTE_MAJOR_CODE

    return (role_can(user, "mediation.register") and case.category.major.code == DISPUTE_MAJOR_CODE
            and not Dispute.objects.filter(case_id=case.pk).exists())


@register.simple_tag
def dispute_type_choices():
    return list(TYPE_LABELS.items())
