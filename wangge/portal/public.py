"""What the public may learn about a case: plain-words status and the timeline as public steps.

A tracking code opens the case to whoever holds it, so this module decides, in one place, what leaves the
building: the category, the grid's name (public geography, docs/decisions/0002), the times, the steps as
labels, the final resolution at close and a reject reason. Never a person: no reporter name or phone, no
staff name or username, no notes of internal steps (returns, extension requests, urging).
"""
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.cases.models import Case, CaseEvent, Rating, State

STATUS_WORDS = {
    State.REPORTED: (_("Received"), _("Your report has been received and is waiting to be accepted.")),
    State.REGISTERED: (pgettext_lazy("portal", "Accepted"), _("Accepted; a unit to handle it is being chosen.")),
    State.DISPATCHED: (_("Dispatched"), _("Sent to the unit in charge, waiting for it to accept.")),
    State.ACCEPTED: (_("Being handled"), _("The unit in charge has accepted it and is handling it.")),
    State.HANDLED: (_("Being verified"), _("The unit in charge has finished; the result is being verified.")),
    State.CLOSED: (_("Closed"), _("The problem was handled, verified and closed.")),
    State.REJECTED: (_("Not accepted"), _("After review, this report was not accepted.")),
    State.MERGED: (_("Merged"), _("The same problem is already being handled; this report was merged into it.")),
}

# Steps the public sees, by timeline action. Actions not listed here (return, request/deny extension, urge)
# are the platform's internal traffic: left out, with their notes.
PUBLIC_STEPS = {
    "report": _("Report received"),
    "register": _("Accepted and registered"),
    "reject": _("Not accepted"),
    "dispatch": _("Sent to the unit in charge"),
    "accept": _("Accepted by the unit in charge"),
    "approve_extension": _("Deadline extended"),
    "handle": _("Handled by the unit in charge"),
    "verify_rework": _("Not verified; handled again"),
    "verify_close": _("Verified and closed"),
    "escalate": _("Passed to the level above"),
    "supervise": _("Supervised by the level above"),
    "merge": _("Merged with the same problem"),
    "self_resolve": _("Resolved on the spot by the grid worker, closed"),
    "rate": _("Follow-up rating"),
}
# The only step whose note the public reads: why a report was not taken up.
STEPS_WITH_NOTE = {"reject"}

RATING_WORDS = dict(Rating.choices)  # the labels are the model's (one source)


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
        "rating": str(RATING_WORDS.get(case.rating, "")),
        "rated_at": case.rated_at,
        "steps": public_steps(case),
        "photo_count": case.photos.filter(stage="report").count(),
    }
