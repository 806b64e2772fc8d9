"""What the public may learn about a case: plain-words status and the timeline as public steps.

A tracking code opens the case to whoever holds it, so this module decides, in one place, what leaves the
building: the category, the grid's name (public geography, docs/decisions/0002), the times, the steps as
labels, the final resolution at close and a reject reason. Never a person: no reporter name or phone, no
staff name or username, no notes of internal steps (returns, extension requests, urging).
"""
from dataclasses import dataclass
from datetime import datetime

from wangge.cases.models import Case, CaseEvent, Rating, State

STATUS_WORDS = {
    State.REPORTED: ("已收到", "您的反映已收到，正在等待受理。"),
    State.REGISTERED: ("已受理", "已受理立案，正在安排承办单位。"),
    State.DISPATCHED: ("已派单", "已派给承办单位，等待签收处理。"),
    State.ACCEPTED: ("处理中", "承办单位已签收，正在处理。"),
    State.HANDLED: ("核查中", "承办单位已处理完毕，正在核查处理结果。"),
    State.CLOSED: ("已办结", "问题已处理并核查办结。"),
    State.REJECTED: ("不予受理", "经审核，该反映不予受理。"),
    State.MERGED: ("已合并", "已有相同问题正在处理，本反映已并入该事件一并办理。"),
}

# Steps the public sees, by timeline action. Actions not listed here (return, request/deny extension, urge)
# are the platform's internal traffic: left out, with their notes.
PUBLIC_STEPS = {
    "report": "收到反映",
    "register": "受理立案",
    "reject": "不予受理",
    "dispatch": "派给承办单位",
    "accept": "承办单位签收",
    "approve_extension": "办理期限延长",
    "handle": "承办单位处理完毕",
    "verify_rework": "核查未通过，重新处理",
    "verify_close": "核查通过，办结",
    "escalate": "提交上级处理",
    "supervise": "上级督办",
    "merge": "并入相同问题一并办理",
    "self_resolve": "网格员当场处理，办结",
    "rate": "回访评价",
}
# The only step whose note the public reads: why a report was not taken up.
STEPS_WITH_NOTE = {"reject"}

RATING_WORDS = {Rating.SATISFIED: "满意", Rating.BASICALLY: "基本满意", Rating.UNSATISFIED: "不满意"}


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    label: str
    note: str = ""


def status_of(case: Case) -> tuple[str, str]:
    """(short status, one sentence) in plain words."""
    return STATUS_WORDS.get(case.state, (case.get_state_display(), ""))


def public_steps(case: Case) -> list[PublicStep]:
    steps = []
    for event in CaseEvent.objects.filter(case=case).only("at", "action", "note").order_by("at", "id"):
        label = PUBLIC_STEPS.get(event.action)
        if label is None:
            continue
        note = event.note.strip() if event.action in STEPS_WITH_NOTE else ""
        steps.append(PublicStep(event.at, label, note))
    return steps


def public_view(case: Case) -> dict:
    """Everything the tracking page shows, as plain values (the template never touches the case row)."""
    status, sentence = status_of(case)
    grid = case.grid
    return {
        "number": case.number,
        "tracking_code": case.tracking_code,
        "title": case.title,
        "state": case.state,
        "status": status,
        "status_sentence": sentence,
        "category": f"{case.category.major.name} / {case.category.name}",
        "grid_name": grid.name if grid else "",
        "reported_at": case.reported_at,
        "handle_by": case.handle_by if case.state not in (State.REJECTED, State.MERGED) else None,
        "closed_at": case.closed_at,
        "on_time": case.on_time,
        "is_open": case.is_open,
        "resolution": case.resolution if case.state == State.CLOSED else "",
        "reject_reason": case.resolution if case.state == State.REJECTED else "",
        "merged_into_code": (case.merged_into.tracking_code
                             if case.state == State.MERGED and case.merged_into_id else ""),
        "can_rate": case.state == State.CLOSED and not case.rating,
        "rating": RATING_WORDS.get(case.rating, ""),
        "rated_at": case.rated_at,
        "steps": public_steps(case),
        "photo_count": case.photos.filter(stage="report").count(),
    }
