"""Who hears about a case event (通知规则). `services._record` calls `case_event(event_id)` after each
operation's transaction commits; the rules read the event and the case as they are then.

Event → who [channel]:

- dispatch, verify_rework (返工) → the assignee: the department's handlers, or the operators and grid workers
  bound to the assigned region [inbox + SMS]
- supervise (督办), urge (催办) → the assignee [inbox + SMS]
- approve_extension, deny_extension → the assignee [inbox]
- return (退回), handle (待核查), request_extension → the owner level's operators, and the operator who
  dispatched the case [inbox]
- escalate (上报上级) → the operators of the level the case now belongs to [inbox]
- flag_unsigned (超时未签收), flag_overdue (超期) → the assignee; the owner level's operators and the dispatcher
  [inbox + SMS to the assignee]
- report from a citizen with a phone → the citizen: receipt with the tracking code [SMS]
- verify_close, self_resolve (办结) → the citizen: closed, please rate, with the tracking code [SMS]
- reject (不予立案), merge (合并) → the citizen: the reason, or the original's tracking code [SMS]
- register (立案) → the citizen: registered, with the tracking code [SMS]
- register, reject, merge, verify_close → the staff member who reported it (a grid worker, say) [inbox]

Messages are settled (marked read) once the case has moved past the step they asked for, whoever took it: a
"please accept" once the case is accepted or returned, a "please verify" once verified, a "please dispatch
again" once dispatched, an extension request once decided; everything once the case is closed, rejected or
merged. So an inbox holds what is still waiting for its reader.

"The owner level's operators" are the operators bound to the case's responsible level (`owner_region`,
the grid at intake), or, when that level has none (a grid has grid workers, not operators), those of the
nearest level above that has some. The person who took the action is never told about it.
"""
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.cases.models import Case, CaseEvent, Channel, State
from wangge.core.models import User
from wangge.core.notify import notify, notify_phone, sentences, settle
from wangge.core.roles import OPERATORS, Role

ASSIGNEE_ROLES = (*OPERATORS, Role.GRID_WORKER)

TITLES = {
    "dispatch": gettext_lazy("New case dispatched, please accept"),
    "verify_rework": gettext_lazy("Case not verified, please rework"),
    "supervise": gettext_lazy("Case supervised"),
    "urge": gettext_lazy("Case urged"),
    "approve_extension": gettext_lazy("Extension approved"),
    "deny_extension": gettext_lazy("Extension denied"),
    "return": gettext_lazy("Case returned, please dispatch again"),
    "handle": gettext_lazy("Case handled, please verify"),
    "request_extension": gettext_lazy("Extension request awaiting approval"),
    "escalate": gettext_lazy("Case escalated from below, please take it"),
    "flag_unsigned": gettext_lazy("Case not accepted in time"),
    "flag_overdue": gettext_lazy("Case overdue"),
}
TO_ASSIGNEE = {"dispatch", "verify_rework", "supervise", "urge", "approve_extension", "deny_extension"}
ASSIGNEE_SMS = {"dispatch", "verify_rework", "supervise", "urge"}
TO_OWNER = {"return", "handle", "request_extension"}
FLAGS = {"flag_unsigned", "flag_overdue"}
CLOSING = {"verify_close", "self_resolve"}
TO_STAFF = TO_ASSIGNEE | TO_OWNER | FLAGS | {"escalate"}
TO_CITIZEN = CLOSING | {"report", "register", "reject", "merge"}
# The regions are read for their names and paths only: never their (large) boundaries.
NO_POLYGONS = ("grid__polygon", "owner_region__polygon", "assignee_region__polygon")


TO_REPORTER = {"register", "reject", "merge", "verify_close"}
REPORTER_TITLES = {
    "register": gettext_lazy("Your report is registered"),
    "reject": gettext_lazy("Your report was not registered"),
    "merge": gettext_lazy("Your report was merged with an earlier one"),
    "verify_close": gettext_lazy("Your report is closed"),
}
# Actions after which some message may have been answered (the rest, a rating or a comment, answer nothing).
SETTLING = {"register", "reject", "merge", "dispatch", "accept", "return", "handle", "verify_close",
            "verify_rework", "approve_extension", "deny_extension", "escalate", "self_resolve"}
# Each kind of message waits while the case is in a state that still needs what it asks for.
_TO_HANDLE = (State.DISPATCHED, State.ACCEPTED)
WAITING_WHILE = {
    "dispatch": (State.DISPATCHED,),
    "flag_unsigned": (State.DISPATCHED,),
    "verify_rework": _TO_HANDLE,
    "supervise": _TO_HANDLE,
    "urge": _TO_HANDLE,
    "flag_overdue": _TO_HANDLE,
    "approve_extension": _TO_HANDLE,
    "deny_extension": _TO_HANDLE,
    "handle": (State.HANDLED,),
    "return": (State.REGISTERED,),
    "escalate": (State.REPORTED, State.REGISTERED),
    "request_extension": (State.ACCEPTED,),
}


def may_notify(action: str, case) -> bool:
    """Whether `case_event` could tell anyone about `action`, or settle a message: a device report, say, does
    neither, and then the request that made it need not read it all back after its commit."""
    return (action in TO_STAFF or action in SETTLING or (action in TO_REPORTER and case.reporter_id is not None)
            or (action in TO_CITIZEN and bool(citizen_phone(case))))


def subject(case) -> str:
    return f"case:{case.pk}"


def waiting_kinds(case) -> set[str]:
    """The kinds of message about `case` that still wait for someone to act."""
    waiting = {kind for kind, states in WAITING_WHILE.items() if case.state in states}
    if not case.extension_requested_days:
        waiting.discard("request_extension")
    return waiting


def settle_messages(case, now=None) -> int:
    """Mark read the messages about `case` whose step has been taken."""
    done = {f"case.{kind}" for kind in WAITING_WHILE if kind not in waiting_kinds(case)}
    return settle(subject(case), done, now=now)


def case_event(event_id: int) -> None:
    # Text that is not a staff member's message (a citizen's text) is in the platform's language, whoever's
    # request made the event; staff messages are written in each recipient's language (notify).
    with translation.override(settings.LANGUAGE_CODE):
        _case_event(event_id)


def _case_event(event_id: int) -> None:
    event = CaseEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    case = (Case.objects.select_related("category", "grid", "owner_region", "assignee_department",
                                        "assignee_region").defer(*NO_POLYGONS).filter(pk=event.case_id).first())
    if case is None:
        return
    settle_messages(case, now=event.at)
    action = event.action
    staff, sms = [], False
    if action in TO_ASSIGNEE:
        staff, sms = assignee_users(case), action in ASSIGNEE_SMS
    elif action in TO_OWNER:
        staff = owner_operators(case) + _dispatcher(case)
    elif action == "escalate":
        staff = _operators_at(case.owner_region or case.grid)
    elif action in FLAGS:
        _notify_staff(event, case, owner_operators(case) + _dispatcher(case), sms=False)
        staff, sms = assignee_users(case), True
    if staff:
        _notify_staff(event, case, staff, sms=sms)
    _tell_reporter(event, case)
    _tell_citizen(event, case)


def _notify_staff(event, case, users, *, sms: bool):
    users = [u for u in users if u.pk != event.actor_id]
    if not users:
        return
    def title():
        return _("%(what)s: %(number)s %(title)s") % {"what": TITLES.get(event.action, event.action),
                                                      "number": case.number, "title": case.title}

    notify(users, kind=f"case.{event.action}", title=title, body=lambda: _body(event, case), url=case_url(case),
           sms=sms, subject=subject(case), now=event.at)


def _tell_reporter(event, case):
    """The staff member who reported the case (a grid worker, a department) hears how it ended up."""
    if event.action not in TO_REPORTER or case.reporter_id is None or case.reporter_id == event.actor_id:
        return
    reporter = User.objects.filter(pk=case.reporter_id, is_active=True).exclude(role=Role.SYSTEM).first()
    if reporter is None:
        return
    def title():
        return _("%(what)s: %(number)s %(title)s") % {"what": REPORTER_TITLES[event.action], "number": case.number,
                                                      "title": case.title}

    notify([reporter], kind=f"case.reported_{event.action}", title=title, body=sentences(event.note),
           url=case_url(case), subject=subject(case), now=event.at)


def _body(event, case) -> str:
    parts = []
    if event.note:
        parts.append(event.note)
    if event.action in ("dispatch", "verify_rework", "urge", "flag_unsigned") and case.accept_by:
        parts.append(_("Accept by %(when)s") % {"when": _when(case.accept_by)})
    elif case.handle_by and case.is_open:
        parts.append(_("Handle by %(when)s") % {"when": _when(case.handle_by)})
    return sentences(*parts)


def _when(moment) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(moment):%m-%d %H:%M}"


def case_url(case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:  # the case pages are not mounted (a trimmed deployment)
        return f"/cases/{case.pk}/"


def assignee_users(case) -> list:
    """Who must act on a dispatched case: the department's handlers, or the assigned level's staff."""
    users = User.objects.filter(is_active=True).order_by("pk")
    if case.assignee_department_id:
        return list(users.filter(department_id=case.assignee_department_id, role=Role.DEPARTMENT_HANDLER))
    if case.assignee_region_id:
        return list(users.filter(region_id=case.assignee_region_id, role__in=ASSIGNEE_ROLES))
    return []


def _operators_at(region) -> list:
    return list(User.objects.filter(is_active=True, region=region, role__in=OPERATORS).order_by("pk"))


def owner_operators(case) -> list:
    """The operators of the case's responsible level, or of the nearest level above it that has any."""
    node = case.owner_region or case.grid
    while node is not None:
        found = _operators_at(node)
        if found:
            return found
        node = node.parent
    return []


def _dispatcher(case) -> list:
    """The operator who last dispatched the case (they wait for it to come back)."""
    event = CaseEvent.objects.filter(case=case, action="dispatch", actor__isnull=False).order_by("-at", "-id").first()
    if event is None:
        return []
    return list(User.objects.filter(pk=event.actor_id, is_active=True, role__in=OPERATORS))


# --- the citizen ---------------------------------------------------------------------------------


def citizen_phone(case) -> str:
    """The phone of a reporter without an account (portal, Open311, a 12345 caller); never a staff member's."""
    if case.anonymous or not case.reporter_phone:
        return ""
    if case.reporter_id is None or case.channel in (Channel.CITIZEN, Channel.HOTLINE_12345):
        return case.reporter_phone
    return ""


def _tell_citizen(event, case):
    phone = citizen_phone(case)
    if not phone:
        return
    code = case.tracking_code
    action = event.action
    if action == "report":
        body = _("Your report '%(title)s' has been accepted; tracking code %(code)s, use it to follow the "
                 "progress.") % {"title": case.title, "code": code}
    elif action == "register":
        body = _("Your report '%(title)s' is registered and will be handled; tracking code %(code)s.") % {
            "title": case.title, "code": code}
    elif action in CLOSING:
        body = _("Your report '%(title)s' is closed; tracking code %(code)s. Please rate the result with it.") % {
            "title": case.title, "code": code}
    elif action == "reject":
        body = _("Your report '%(title)s' was not accepted: %(reason)s. Tracking code %(code)s.") % {
            "title": case.title, "reason": event.note, "code": code}
    elif action == "merge" and case.merged_into_id:
        original = Case.objects.filter(pk=case.merged_into_id).values_list("tracking_code", flat=True).first()
        body = _("Your report '%(title)s' is handled together with the same problem reported earlier; follow it with "
                 "tracking code %(code)s.") % {"title": case.title, "code": original}
    else:
        return
    notify_phone(phone, kind=f"citizen.{action}", body=body, now=event.at)
