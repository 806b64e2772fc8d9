"""Template helpers for the case pages: labels for states, actions and channels, deadline
countdowns, masked phones and permission checks."""
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.models import Channel, Priority, Rating, State
from wangge.cases.workflow import FLOW

register = template.Library()

# Labels come from the model's choices (one source, translated by the catalogue); actions are labelled once, in the
# workflow table (FLOW.label).
STATE_LABELS = dict(State.choices)
CHANNEL_LABELS = dict(Channel.choices)
PRIORITY_LABELS = dict(Priority.choices)
RATING_LABELS = dict(Rating.choices)
# Buttons that need a second look before they are pressed: they end or send back someone's work.
DANGER_ACTIONS = {"reject", "return", "verify_rework", "deny_extension", "merge"}


@register.filter
def state_label(value) -> str:
    return STATE_LABELS.get(value, value or "")


@register.filter
def action_label(value) -> str:
    """The label of a workflow action or timeline event: one source, the workflow table."""
    return FLOW.label(value) if value else ""


@register.filter
def channel_label(value) -> str:
    return CHANNEL_LABELS.get(value, value or "")


@register.filter
def priority_label(value) -> str:
    return PRIORITY_LABELS.get(value, value or "")


@register.filter
def rating_label(value) -> str:
    return RATING_LABELS.get(value, value or "")


@register.filter
def is_danger(action) -> bool:
    return action in DANGER_ACTIONS


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def countdown(deadline, now=None) -> str:
    """剩余 2天3小时 / 已超期 5小时0分 ("2 d 3 h left" / "5 h 0 min overdue"): calendar time to the
    working-time deadline."""
    if not deadline:
        return "—"
    left = (deadline - (now or timezone.now())).total_seconds()
    if left >= 0:
        return _("%(span)s left") % {"span": _span(left)}
    return _("%(span)s overdue") % {"span": _span(left)}


@register.filter
def is_past(deadline) -> bool:
    return bool(deadline) and deadline < timezone.now()


@register.simple_tag
def photo_url(photo) -> str:
    """The scoped photo address (cases:photo); empty if that route is not installed."""
    try:
        return reverse("cases:photo", args=[photo.pk])
    except NoReverseMatch:
        return ""
