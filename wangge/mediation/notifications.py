"""Who hears about a dispute event. `services._record` calls `dispute_event(event_id)` after the commit.

Event → who [channel]:

- register, route, transfer, escalate → the mediators of the committee it now sits with, and the operators of
  that committee's region [inbox]
- assign_mediator, schedule_session → the mediator assigned [inbox + SMS]
- agree, fail, withdraw of a court referral → the referring court's handlers: settled, or returned to
  litigation [inbox]
- apply_confirmation → the court applied to [inbox]
- confirm, refuse_confirmation → the mediator and the committee's operators [inbox]

The person who took the action is never told about it.
"""
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.models import User
from wangge.core.notify import notify
from wangge.core.roles import OPERATORS, Role
from wangge.mediation.models import Dispute, DisputeEvent

TITLES = {
    "register": gettext_lazy("New dispute registered, please accept"),
    "route": gettext_lazy("Dispute routed by the mediation office, please accept"),
    "transfer": gettext_lazy("Dispute transferred, please accept"),
    "escalate": gettext_lazy("Dispute escalated from below, please accept"),
    "assign_mediator": gettext_lazy("You are assigned to mediate a dispute"),
    "schedule_session": gettext_lazy("Mediation session scheduled"),
    "agree": gettext_lazy("Referred dispute settled"),
    "fail": gettext_lazy("Referred dispute not settled, returned to litigation"),
    "withdraw": gettext_lazy("Referred dispute withdrawn, returned to litigation"),
    "apply_confirmation": gettext_lazy("Judicial confirmation applied for, please review"),
    "confirm": gettext_lazy("Mediation agreement judicially confirmed"),
    "refuse_confirmation": gettext_lazy("Judicial confirmation of the mediation agreement refused"),
}
TO_COMMITTEE = {"register", "route", "transfer", "escalate"}
TO_MEDIATOR = {"assign_mediator", "schedule_session"}
TO_COURT = {"agree", "fail", "withdraw"}
DECISIONS = {"confirm", "refuse_confirmation"}


def may_notify(action: str) -> bool:
    return action in TITLES


def dispute_event(event_id: int) -> None:
    # Notifications are stored and sent as text: in the platform's language, whoever's request made the event.
    with translation.override(settings.LANGUAGE_CODE):
        _dispute_event(event_id)


def _dispute_event(event_id: int) -> None:
    event = DisputeEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    dispute = (Dispute.objects.select_related("committee__region", "mediator__user", "referral__court",
                                              "agreement__confirmation_court").filter(pk=event.dispute_id).first())
    if dispute is None:
        return
    action, users, sms = event.action, [], False
    if action in TO_COMMITTEE:
        users = committee_staff(dispute)
    elif action in TO_MEDIATOR:
        users, sms = mediator_users(dispute), True
    elif action in TO_COURT and hasattr(dispute, "referral"):
        users = _handlers(dispute.referral.court_id)
    elif action == "apply_confirmation" and hasattr(dispute, "agreement"):
        users = _handlers(dispute.agreement.confirmation_court_id)
    elif action in DECISIONS:
        users = mediator_users(dispute) + committee_staff(dispute, mediators=False)
    users = [u for u in dict.fromkeys(users) if u.pk != event.actor_id]
    if users:
        notify(users, kind=f"mediation.{action}", title=lambda: _("%(what)s: %(number)s %(title)s") % {
                   "what": TITLES[action], "number": dispute.number, "title": dispute.title},
               body=event.note, url=dispute_url(dispute), sms=sms, now=event.at)


def dispute_url(dispute) -> str:
    try:
        return reverse("mediation:detail", args=[dispute.pk])
    except NoReverseMatch:
        return f"/mediation/{dispute.pk}/"


def mediator_users(dispute) -> list:
    user = dispute.mediator.user if dispute.mediator_id and dispute.mediator.user_id else None
    return [user] if user is not None and user.is_active else []


def committee_staff(dispute, *, mediators=True) -> list:
    if not dispute.committee_id:
        return []
    users = []
    if mediators:
        users += list(User.objects.filter(is_active=True, role=Role.MEDIATOR,
                                          mediator__memberships__committee_id=dispute.committee_id).order_by("pk"))
    users += list(User.objects.filter(is_active=True, role__in=OPERATORS, region_id=dispute.committee.region_id)
                  .order_by("pk"))
    return users


def _handlers(department_id) -> list:
    if not department_id:
        return []
    return list(User.objects.filter(is_active=True, role=Role.DEPARTMENT_HANDLER, department_id=department_id)
                .order_by("pk"))
