from django.utils.translation import gettext_lazy, pgettext_lazy

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
    State.REPORTED: (gettext_lazy("Received"), gettext_lazy("Your report has been received and is waiting to be accepted.")),
    State.REGISTERED: (pgettext_lazy("portal", "Accepted"), gettext_lazy("Accepted; a unit to handle it is being chosen.")),
    State.DISPATCHED: (gettext_lazy("Dispatched"), gettext_lazy("Sent to the unit in charge, waiting for it to accept.")),
    State.ACCEPTED: (gettext_lazy("Being handled"), gettext_lazy("The unit in charge has accepted it and is handling it.")),
    State.HANDLED: (gettext_lazy("Being verified"), gettext_lazy("The unit in charge has finished; the result is being verified.")),
    State.CLOSED: (gettext_lazy("Closed"), gettext_lazy("The problem was handled, verified and closed.")),
    State.REJECTED: (gettext_lazy("Not accepted"), gettext_lazy("After review, this report was not accepted.")),
    State.MERGED: (gettext_lazy("Merged"), gettext_lazy("The same problem is already being handled; this report was merged into it.")),
}

# Steps the public sees, by timeline action. Actions not listed here (return, request/deny extension, urge)
# are the platform's internal traffic: left out, with their notes.
PUBLIC_STEPS = {
    "report": gettext_lazy("Report received"),
    "register": gettext_lazy("Accepted and registered"),
    "reject": gettext_lazy("Not accepted"),
    "dispatch": gettext_lazy("Sent to the unit in charge"),
    "accept": gettext_lazy("Accepted by the unit in charge"),
    "approve_extension": gettext_lazy("Deadline extended"),
    "handle": gettext_lazy("Handled by the unit in charge"),
    "verify_rework": gettext_lazy("Not verified; handled again"),
    "verify_close": gettext_lazy("Verified and closed"),
    "escalate": gettext_lazy("Passed to the level above"),
    "supervise": gettext_lazy("Supervised by the level above"),
    "merge": gettext_lazy("Merged with the same problem"),
    "self_resolve": gettext_lazy("Resolved on the spot by the grid worker, closed"),
    "rate": gettext_lazy("Follow-up rating"),
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
