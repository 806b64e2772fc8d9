"""Raising and clearing alerts: the one entry every source uses (rules, the connectivity poller, later
trackers, detectors and video analytics).

`raise_alert(type, source, ...)` keeps one open alert per (type, source), as ThingsBoard keeps one active
alarm per type and originator: when one is open, the repeat moves its `last_seen` and `count` (and raises
its severity if the repeat is more severe) instead of making another. A new alert writes its "raise" row
on the timeline and an audit row (who is told is decided after the commit: notifications.py). Repeats
only count: a door passed a hundred times by the same watched person is one alert seen a hundred times.

First and last seen are the source's own times of what it saw, as ThingsBoard's alarm start and end and
Traccar's event times are: a door that uploads an hour of buffered passes shows them at their hour.
`raised_at` is when the platform knew; escalation and response times count from it, since nobody could
act earlier.

The open alert is found by the partial unique index `alert_one_open_per_source`; two writers racing to
raise the same alert meet at that index, and the loser counts a repeat instead.

A title is a `Title` (an English message id and its values): stored once in the platform's language, for
exports, SMS and the timeline, and shown on a page in its reader's language (`Alert.shown_title`). A source
with a text of its own (a camera's description) passes a plain string, kept as it is.
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone, translation

from wangge.sensing.models import (
    CONTEXTS_KEY,
    OPEN_ALERT_STATES,
    SEVERITY_RANK,
    Alert,
    AlertState,
    Resolution,
    Severity,
    title_text,
)
from wangge.sensing.workflow import FLOW


@dataclass
class Raised:
    alert: Alert
    created: bool


# The orders of a list of alerts (the board, the grid worker's home). The severities' codes sort alphabetically in
# their order of gravity (critical, major, minor, warning), so "severity" is the column itself and a keyset pager
# can walk it.
SORTS = {"severity": ("severity", "-last_seen", "-id"), "recent": ("-last_seen", "-id")}
DEFAULT_SORT = "severity"


@dataclass(frozen=True)
class Title:
    """An alert's title: `message` is marked with gettext_noop where it is written, so the catalogue has it;
    `params` are its values, kept as text and numbers (they are stored as JSON). `contexts` names the values
    that are message ids themselves, with their msgctxt (a default group's English name: {"group": "tag"});
    they are kept among the params under CONTEXTS_KEY and translated with the title."""

    message: str
    params: dict = field(default_factory=dict)
    contexts: dict = field(default_factory=dict)

    def __post_init__(self):
        plain = {k: v if isinstance(v, (int, float)) else str(v) for k, v in self.params.items()}
        if self.contexts:
            plain[CONTEXTS_KEY] = {k: str(v) for k, v in self.contexts.items()}
        object.__setattr__(self, "params", plain)

    def in_default_language(self) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return title_text(self.message, self.params)


def source_of(kind: str, pk) -> str:
    """The source key of a record: "device:12", "person:345", "house:67"."""
    return f"{kind}:{pk}"


def raise_alert(type: str, source: str, *, grid_id: int, title: Title | str, severity: str = Severity.MAJOR,
                details: dict | None = None, now=None, times: int = 1, at=None, since=None, **links) -> Raised:
    """Raise an alert of `type` about `source` (or count a repeat of the open one). `links` are the
    alert's device, person, house and building (ids: device_id=…). `times`: how many occurrences this is
    (a batch of events counts its repeats at once). `at` and `since`: when the last and the first of them
    happened by the source's clock (default: now); a clock ahead of ours is taken as now. `now` is when the
    platform raises it. In the caller's transaction."""
    now = now or timezone.now()
    at = min(at or now, now)
    since = min(since or at, at)
    details = details or {}
    if isinstance(title, Title):
        text, message, params = title.in_default_language(), title.message, title.params
    else:
        text, message, params = title, "", {}
    for attempt in range(2):
        open_alert = _open(type, source)
        if open_alert is not None:
            _repeat(open_alert, severity, details, since, at, times)
            return Raised(open_alert, False)
        try:
            with transaction.atomic():
                alert = Alert.objects.create(type=type, source=source, grid_id=grid_id, title=text[:200],
                                             title_message=message, title_params=params,
                                             severity=severity, details=details, first_seen=since, last_seen=at,
                                             raised_at=now, count=times, **links)
        except IntegrityError:
            if attempt:
                raise
            continue  # raised by someone else a moment ago: count ours as a repeat of theirs
        FLOW.record(None, alert, "raise", from_state="", to_state=AlertState.ACTIVE, note=alert.title,
                    details={"type": type, "source": source, "severity": severity}, now=now, actor_name="system")
        return Raised(alert, True)
    raise AssertionError("unreachable")


def _open(type: str, source: str) -> Alert | None:
    return Alert.objects.filter(type=type, source=source, state__in=OPEN_ALERT_STATES).first()


def _repeat(alert: Alert, severity: str, details: dict, since, at, times: int = 1) -> None:
    # Buffered events may arrive after newer ones: the seen times widen, never narrow.
    changes = {"count": F("count") + times, "last_seen": Greatest("last_seen", _moment(at)),
               "first_seen": Least("first_seen", _moment(since))}
    if SEVERITY_RANK.get(severity, 9) < SEVERITY_RANK.get(alert.severity, 9):
        changes["severity"] = severity
    if details:
        changes["details"] = {**alert.details, **details}
    Alert.objects.filter(pk=alert.pk).update(**changes)
    alert.refresh_from_db(fields=["count", "first_seen", "last_seen", "severity", "details"])


def _moment(at) -> Value:
    return Value(at, output_field=DateTimeField())


def clear_alert(type: str, source: str, *, note: str = "", now=None) -> Alert | None:
    """The source says the condition is over (a device back online): its open alert is closed with the
    resolution "cleared". None when there was none open."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(type=type, source=source,
                                                        state__in=OPEN_ALERT_STATES).first()
        if alert is None:
            return None
        from_state = alert.state
        Alert.objects.filter(pk=alert.pk).update(state=AlertState.CLOSED, resolution=Resolution.CLEARED,
                                                 closed_at=now, version=F("version") + 1)
        alert.refresh_from_db()
        FLOW.record(None, alert, "clear", from_state=from_state, note=note, now=now, actor_name="system")
    return alert
