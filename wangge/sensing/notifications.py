"""Who hears about an alert (通知规则), decided after the commit from the event as stored.

- raise → the grid team of the alert's grid (its grid workers), and the operators of the nearest level above
  that has any [inbox; SMS as well when the alert is critical]. A `key_person` alert also goes to the handlers
  of the departments named in its rule (`notify_departments`, by default the police station, code "GA").
- assign → the assignee [inbox].
- escalate (not acknowledged in time) → the operators of the level above the grid's community [inbox + SMS].
"""
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from wangge.core.models import User
from wangge.core.notify import notify
from wangge.core.roles import OPERATORS, Role
from wangge.sensing.models import AlertEvent, AlertType, Severity


def _operators_above(region) -> list:
    node = region.parent if region is not None else None
    while node is not None:
        found = list(User.objects.filter(is_active=True, region=node, role__in=OPERATORS).order_by("pk"))
        if found:
            return found
        node = node.parent
    return []


def grid_team(grid) -> list:
    return list(User.objects.filter(is_active=True, region=grid, role=Role.GRID_WORKER).order_by("pk"))


def department_handlers(codes) -> list:
    return list(User.objects.filter(is_active=True, role=Role.DEPARTMENT_HANDLER, department__code__in=list(codes))
                .order_by("pk"))


def alert_event(event_id: int) -> None:
    event = AlertEvent.objects.select_related("alert__grid__parent").filter(pk=event_id).first()
    if event is None:
        return
    alert = event.alert
    with translation.override(settings.LANGUAGE_CODE):
        url = reverse("sensing:alert", args=[alert.pk])
        subject = f"alert:{alert.pk}"
        if event.action == "raise":
            recipients = grid_team(alert.grid) + _operators_above(alert.grid)
            if alert.type == AlertType.KEY_PERSON:
                from wangge.sensing.rules import rule_for

                rule = rule_for(alert.type, alert.grid)
                codes = (rule.params if rule else {}).get("notify_departments", ["GA"])
                recipients += department_handlers(codes)
            notify(recipients, kind="alert_raised",
                   title=lambda: _("New alert: %(title)s") % {"title": alert.shown_title}, url=url,
                   subject=subject, sms=alert.severity == Severity.CRITICAL)
        elif event.action == "assign" and alert.assignee_id:
            notify([alert.assignee], kind="alert_assigned", title=lambda: _("Alert assigned to you: %(title)s")
                   % {"title": alert.shown_title}, body=event.note, url=url, subject=subject)
        elif event.action == "escalate":
            community = alert.grid.parent
            notify(_operators_above(community), kind="alert_escalated",
                   title=lambda: _("Alert not acknowledged in time: %(title)s") % {"title": alert.shown_title}, url=url,
                   subject=subject, sms=True)
