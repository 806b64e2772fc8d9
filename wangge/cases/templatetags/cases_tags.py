"""Template helpers for the case pages: Chinese labels for states, actions and channels, deadline
countdowns, masked phones and permission checks."""
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone


register = template.Library()

STATE_LABELS = {
    "reported": "已上报", "registered": "已立案", "rejected": "不予立案", "dispatched": "已派遣",
    "accepted": "已签收", "handled": "已处置", "closed": "已结案", "merged": "已合并",
}
ACTION_LABELS = {
    "report": "上报", "register": "立案", "reject": "不予立案", "self_resolve": "自行处置（当场解决）",
    "escalate": "上报上级", "merge": "合并到原事件", "dispatch": "派遣", "accept": "签收", "return": "退回",
    "supervise": "督办", "urge": "催办", "request_extension": "申请延期", "approve_extension": "同意延期",
    "deny_extension": "不同意延期", "handle": "处置反馈", "verify_close": "核查结案", "verify_rework": "核查返工",
    "rate": "回访评价", "add_photos": "添加照片", "flag_unsigned": "超时未签收（系统标记）",
    "flag_overdue": "超期未办结（系统标记）",
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
    return ACTION_LABELS.get(value, value or "")


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
