"""Template helpers for the case pages: Chinese labels for states, actions and channels, deadline
countdowns, masked phones and permission checks."""
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from wangge.cases.workflow import FLOW
from wangge.core.personal import mask_phone
from wangge.core.roles import can as role_can

register = template.Library()

STATE_LABELS = {
    "reported": "已上报", "registered": "已立案", "rejected": "不予立案", "dispatched": "已派遣",
    "accepted": "已签收", "handled": "已处置", "closed": "已结案", "merged": "已合并",
}
CHANNEL_LABELS = {
    "grid_worker": "网格员上报", "citizen": "群众上报", "hotline_12345": "12345热线", "device": "设备/视频预警",
    "other_system": "其他系统", "leader": "领导交办",
}
PRIORITY_LABELS = {"normal": "一般", "urgent": "紧急"}
RATING_LABELS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
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


@register.filter(name="mask_phone")
def mask_phone_filter(value) -> str:
    return mask_phone(value or "")


@register.filter
def can(user, permission: str) -> bool:
    return role_can(user, permission)


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分钟"


@register.filter
def countdown(deadline, now=None) -> str:
    """剩余 2天3小时 / 已超期 5小时0分 (calendar time to the working-time deadline)."""
    if not deadline:
        return "—"
    left = (deadline - (now or timezone.now())).total_seconds()
    return f"剩余 {_span(left)}" if left >= 0 else f"已超期 {_span(left)}"


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
