"""Who hears about a dispute event. `services._record` calls `dispute_event(event_id)` after the commit.

| event | who | channel |
|---|---|---|
| register, route, transfer, escalate | the mediators of the committee it now sits with, and the operators of that committee's region | inbox |
| assign_mediator, schedule_session | the mediator assigned | inbox + SMS |
| agree, fail, withdraw of a court referral | the referring court's handlers: settled, or returned to litigation | inbox |
| apply_confirmation | the court applied to | inbox |
| confirm, refuse_confirmation | the mediator and the committee's operators | inbox |

The person who took the action is never told about it.
"""
from django.urls import NoReverseMatch, reverse

from wangge.core.models import User
from wangge.core.notify import notify
from wangge.core.roles import OPERATORS, Role
from wangge.mediation.models import Dispute, DisputeEvent

TITLES = {
    "register": "新登记矛盾纠纷，请受理",
    "route": "多调办分流纠纷，请受理",
    "transfer": "移交纠纷，请受理",
    "escalate": "下级上交纠纷，请受理",
    "assign_mediator": "您被指派调解纠纷",
    "schedule_session": "调解会已安排",
    "agree": "移送纠纷已调解成功",
    "fail": "移送纠纷调解不成，退回诉讼",
    "withdraw": "移送纠纷已撤回，退回诉讼",
    "apply_confirmation": "司法确认申请，请审查",
    "confirm": "调解协议已司法确认",
    "refuse_confirmation": "调解协议司法确认被驳回",
}
TO_COMMITTEE = {"register", "route", "transfer", "escalate"}
TO_MEDIATOR = {"assign_mediator", "schedule_session"}
TO_COURT = {"agree", "fail", "withdraw"}
DECISIONS = {"confirm", "refuse_confirmation"}


def may_notify(action: str) -> bool:
    return action in TITLES


def dispute_event(event_id: int) -> None:
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
        notify(users, kind=f"mediation.{action}", title=f"{TITLES[action]}：{dispute.number} {dispute.title}",
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
