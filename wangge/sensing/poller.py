"""Sensing's clock (registered with the worker in apps.py): escalation of alerts nobody acknowledged in time,
and the rules that run on time (rules.poll: no activity, over-occupancy).

Escalation (逐级上报): an active alert — raised and not acknowledged — raised longer ago than its rule's
`escalate_minutes` (counted from when the platform raised it, not from the device's time of the event)
(by default 15 for critical alerts, 60 for major ones; minor alerts and warnings wait on the board) is claimed
with a conditional UPDATE on `escalated_at IS NULL AND state = 'active'`, so two workers never escalate twice,
and the "escalate" row is recorded; after the commit the operators of the level above the grid's community are
told (inbox and text: notifications.py). The claim does not bump `version`: a flag is not an edit.

The time rules run at most every `RULES_EVERY` (a process-local clock: two workers may both run them, and
`raise_alert` keeps that from raising twice).
"""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.sensing import rules
from wangge.sensing.models import Alert, AlertState, Severity
from wangge.sensing.workflow import FLOW

ESCALATE_MINUTES = {Severity.CRITICAL: 15, Severity.MAJOR: 60}
RULES_EVERY = timedelta(minutes=10)
_last_rules_run = {"at": None}


def escalate_after(alert) -> int | None:
    rule = rules.rule_for(alert.type, alert.grid)
    minutes = rule.params.get("escalate_minutes", ESCALATE_MINUTES.get(alert.severity))
    return int(minutes) if minutes else None


def escalate(now) -> int:
    done = 0
    oldest = now - timedelta(minutes=min(ESCALATE_MINUTES.values()))
    candidates = (Alert.objects.filter(state=AlertState.ACTIVE, escalated_at__isnull=True, raised_at__lt=oldest)
                  .select_related("grid"))
    for alert in candidates:
        minutes = escalate_after(alert)
        if minutes is None or alert.raised_at > now - timedelta(minutes=minutes):
            continue
        with transaction.atomic():
            claimed = Alert.objects.filter(pk=alert.pk, state=AlertState.ACTIVE, escalated_at__isnull=True).update(
                escalated_at=now)
            if not claimed:
                continue
            alert.escalated_at = now
            FLOW.record(None, alert, "escalate", now=now, actor_name="system",
                        note=_("Not acknowledged within %(minutes)s minutes") % {"minutes": minutes},
                        details={"minutes": minutes})
        done += 1
    return done


def poll(now=None) -> dict:
    now = now or timezone.now()
    counts = {"alerts_escalated": escalate(now)}
    last = _last_rules_run["at"]
    if last is None or now - last >= RULES_EVERY or now < last:
        _last_rules_run["at"] = now
        found = rules.poll(now)
        counts.update({f"alerts_{name}": n for name, n in found.items()})
    return counts
