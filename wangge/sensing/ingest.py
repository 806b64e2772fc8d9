"""Door and gate events in (门禁/道闸记录接入): what a device sends, checked field by field, and stored once.

A message is one event object or a list of them (at most `MAX_BATCH`), the same over HTTP
(`POST /api/v1/devices/events`, api_events.py) and MQTT (`wangge/devices/<code>/events`, mqtt.py):

    {"seq": 1042, "ts": "2026-12-07T08:15:02+08:00", "card": "5101070000000123", "door": "1",
     "direction": "in", "granted": true}
    {"seq": 1043, "ts": 1765066502000, "plate": "川A12345", "direction": "out", "granted": false,
     "reason": "not_registered"}                                  (a gate: `plate` instead of `card`)
    {"seq": 1044, "ts": ..., "door": "1", "alarm": "forced_open"}  (a door controller's own alarm)
    {"type": "heartbeat", "ts": ...}                               (only marks the device seen)

`check_events` refuses a whole message with every bad field named (`EventErrors`: index, field, message);
nothing of it is stored. `store_events` writes the events in one transaction: card numbers resolved in one
query (`cards.resolve`), the rows through the bulk writer's `insert_new` (a repeat of (device, seq, at) — a
device retrying after a lost answer, the broker re-delivering after a restart — is skipped by the unique
constraint `accessevent_once`), the event rules run on the rows that were new only, and the device marked seen.
Why (device, seq, at) and not (device, seq): a controller's counter starts again at 0 after a reset or a
firmware update, and the event's own time tells the two apart (docs/api/devices.md).
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time

from django.conf import settings
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from wangge.core.bulk import BulkWriter, Table
from wangge.sensing import cards
from wangge.sensing.models import AccessEvent, Device, DeviceKind

MAX_BATCH = 1000  # events in one message
FUTURE_SLACK = timedelta(minutes=5)  # a device's clock may run this far ahead of ours
MAX_SEQ = 2 ** 63 - 1
ALARMS = ("forced_open", "held_open")
ACCESS_KINDS = (DeviceKind.DOOR, DeviceKind.GATE)
MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z: beyond it no datetime exists
SEEN_RESOLUTION = timedelta(seconds=10)  # the device's last message is written no more often (connectivity)
MAX_ERRORS = 50  # field errors reported for one message; the rest are counted, not listed
# The event table's unique constraint (a row written answers its values, to tell which were new).
UNIQUE = ("device_id", "seq", "at")


class EventErrors(Exception):
    """A message refused: `errors` is a list of (index of the event or None for the message, field, message)."""

    def __init__(self, errors: list[tuple[int | None, str, str]], total: int | None = None):
        super().__init__("; ".join(f"{'' if i is None else f'[{i}]'}{f}: {m}" for i, f, m in errors[:5]))
        self.errors = errors
        self.total = total if total is not None else len(errors)


@dataclass
class Checked:
    """The events of a message that passed every check, and the time of the latest (heartbeats included)."""

    events: list[dict] = field(default_factory=list)
    latest: datetime | None = None


@dataclass
class Stored:
    stored: int = 0
    duplicates: int = 0
    new_rows: list = field(default_factory=list)  # the AccessEvents written (the rules ran on these)


def event_items(data) -> tuple[list, bool]:
    """The events of a decoded message and whether it was a list; refuses what is neither an object nor a
    list of at most MAX_BATCH."""
    if isinstance(data, dict):
        return [data], False
    if isinstance(data, list):
        if not data:
            raise EventErrors([(None, "body", _("The message holds no event"))])
        if len(data) > MAX_BATCH:
            raise BatchTooLarge(len(data))
        return data, True
    raise EventErrors([(None, "body", _("Send one event object or a list of events"))])


class BatchTooLarge(EventErrors):
    def __init__(self, count: int):
        super().__init__([(None, "body", _("At most %(limit)s events in one message, not %(count)s")
                           % {"limit": MAX_BATCH, "count": count})])


def retention_days() -> int:
    return int(getattr(settings, "WANGGE_EVENT_RETENTION_DAYS", 180))


def _parse_ts(value, now: datetime):
    """(datetime, None) or (None, message)."""
    if isinstance(value, bool):
        return None, _("Give the time as ISO 8601 text or Unix milliseconds")
    if isinstance(value, int):
        if not 0 <= value <= MAX_MS:
            return None, _("Unix milliseconds out of range")
        return datetime.fromtimestamp(value / 1000, UTC), None
    if isinstance(value, str) and len(value) <= 40:
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
        if moment is not None:
            if timezone.is_naive(moment):  # a controller set to local time, as most in China are
                moment = timezone.make_aware(moment)
            return moment, None
    if value is None:
        return None, _("The time is missing")
    return None, _("Give the time as ISO 8601 text or Unix milliseconds")


def _text(item, name, limit, errors, index, required=False) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            errors.append((index, name, _("This field is required")))
        return ""
    if not isinstance(value, str):
        errors.append((index, name, _("Must be text")))
        return ""
    value = value.strip()
    if len(value) > limit:
        errors.append((index, name, _("At most %(limit)s characters") % {"limit": limit}))
        return ""
    if "\x00" in value:
        errors.append((index, name, _("Must be text")))
        return ""
    return value


def check_events(device: Device, items: list, now: datetime | None = None, *, listed: bool = True) -> Checked:
    """Every event of a message checked against `device`; refuses the message (EventErrors) if any is bad.

    Times: not more than FUTURE_SLACK ahead of `now`, not before the device was installed, not older than the
    retention period (it would be deleted at once). A door event carries a card of 16 digits (an unknown but
    well-formed card is stored and flagged by `card_check`) or a controller alarm; a gate event a plate."""
    return Checker(device, now).check(items, listed=listed)


class Checker:
    """`check_events` for one device at one time: the limits worked out once for the many messages of a door
    in the subscriber's batch."""

    def __init__(self, device: Device, now: datetime | None = None):
        self.device = device
        self.now = now = now or timezone.now()
        self.latest_allowed = now + FUTURE_SLACK
        self.earliest = now - timedelta(days=retention_days())
        self.installed = None
        if device.installed_on:
            self.installed = timezone.make_aware(datetime.combine(device.installed_on, day_time.min))
            self.earliest = max(self.earliest, self.installed)

    def check(self, items: list, *, listed: bool = True) -> Checked:
        device, now = self.device, self.now
        errors: list[tuple[int | None, str, str]] = []
        checked = Checked()
        latest_allowed, earliest, installed = self.latest_allowed, self.earliest, self.installed
        is_door, is_gate = device.kind == DeviceKind.DOOR, device.kind == DeviceKind.GATE
        for position, item in enumerate(items):
            index = position if listed else None
            bad = len(errors)
            if not isinstance(item, dict):
                errors.append((index, "event", _("Each event is a JSON object")))
                continue
            kind = item.get("type", "event")
            if kind not in ("event", "heartbeat"):
                errors.append((index, "type", _("Unknown type: use event or heartbeat")))
                continue
            if kind == "heartbeat" and item.get("ts") is None:
                at, problem = now, None
            else:
                at, problem = _parse_ts(item.get("ts"), now)
            if problem:
                errors.append((index, "ts", problem))
            elif at > latest_allowed:
                errors.append((index, "ts", _("The time is more than 5 minutes ahead of the server's")))
            elif installed is not None and at < installed:
                errors.append((index, "ts", _("The time is before the device was installed (%(date)s)")
                               % {"date": device.installed_on.isoformat()}))
            elif at < earliest:
                errors.append((index, "ts", _("The time is older than the retention period (%(days)s days)")
                               % {"days": retention_days()}))
            if kind == "heartbeat":
                if len(errors) == bad and (checked.latest is None or at > checked.latest):
                    checked.latest = at
                continue
            if device.kind not in ACCESS_KINDS:
                errors.append((index, "type", _("Only door controllers and gates send access events")))
                continue
            seq = item.get("seq")
            if isinstance(seq, bool) or not isinstance(seq, int):
                errors.append((index, "seq", _("The sequence number is missing") if seq is None
                               else _("The sequence number must be a whole number")))
            elif not 0 <= seq <= MAX_SEQ:
                errors.append((index, "seq", _("The sequence number is out of range")))
            alarm = item.get("alarm") or ""
            if alarm and (not is_door or alarm not in ALARMS):
                errors.append((index, "alarm", _("Unknown alarm: use forced_open or held_open") if is_door
                               else _("Only door controllers send alarms")))
            card = plate = ""
            if is_door:
                if "plate" in item:
                    errors.append((index, "plate", _("A door controller sends a card, not a plate")))
                card = _text(item, "card", 32, errors, index, required=not alarm)
                if card and not cards.NUMBER.match(card):
                    errors.append((index, "card", _("A card number is 16 digits")))
            elif is_gate:
                if "card" in item:
                    errors.append((index, "card", _("A gate sends a plate, not a card")))
                plate = _text(item, "plate", 16, errors, index, required=True).upper()
                if plate and not (5 <= len(plate) <= 10 and all(c.isalnum() for c in plate)):
                    errors.append((index, "plate", _("Not a licence plate")))
            door = _text(item, "door", 32, errors, index)
            direction = item.get("direction") or ""
            if direction not in ("", "in", "out"):
                errors.append((index, "direction", _("Use in or out")))
            elif not direction and not alarm:
                errors.append((index, "direction", _("This field is required")))
            granted = item.get("granted")
            if granted is not None and not isinstance(granted, bool):
                errors.append((index, "granted", _("Use true or false")))
            elif granted is None and not alarm:
                errors.append((index, "granted", _("This field is required")))
            reason = _text(item, "reason", 64, errors, index, required=granted is False)
            if len(errors) > bad:
                continue
            checked.events.append({"seq": seq, "at": at, "card_number": card, "plate": plate, "door": door,
                                   "direction": direction, "granted": granted, "reason": reason, "alarm": alarm})
            if checked.latest is None or at > checked.latest:
                checked.latest = at
        if errors:
            raise EventErrors(errors[:MAX_ERRORS], total=len(errors))
        return checked


# --- storing ---------------------------------------------------------------------------------------------


_TABLE: dict[str, Table] = {}


def _table() -> Table:
    """The event table as the bulk writer sees it (columns and defaults worked out once per database)."""
    vendor = connection.vendor
    if vendor not in _TABLE:
        _TABLE[vendor] = Table(AccessEvent, with_pk=False)
    return _TABLE[vendor]


def store_events(device: Device, checked: Checked | list, now: datetime | None = None) -> Stored:
    """Store checked events of `device` (which has its grid loaded) in one transaction: see the module's text."""
    return store_many([(device, checked)], now)[0]


def store_many(batches: list[tuple[Device, Checked | list]], now: datetime | None = None) -> list[Stored]:
    """Several devices' checked events in one transaction (the MQTT subscriber's batch; HTTP's is one device):
    one card query and one insert for all, the rules on the new rows of all at once, then `mark_seen` per
    device. Answers a `Stored` per batch, in order. Each device appears once (its messages merged)."""
    from wangge.sensing.connectivity import mark_seen
    from wangge.sensing.rules import on_events_many

    now = now or timezone.now()
    batches = [(device, checked if isinstance(checked, Checked) else _checked(checked)) for device, checked in batches]
    numbers = {event["card_number"] for _device, checked in batches for event in checked.events
               if event["card_number"]}
    rows = []
    with transaction.atomic():
        resolved = cards.resolve(numbers, None) if numbers else {}
        for device, checked in batches:
            building = device.building_id
            for event in checked.events:
                card = resolved.get(event["card_number"]) if event["card_number"] else None
                check = ""
                if card is not None:
                    check = card.check
                    if not check and building and card.building_id and card.building_id != building:
                        check = "elsewhere"  # resolved for no building above: one query for many doors
                rows.append({**event, "device_id": device.pk, "grid_id": device.grid_id, "received_at": now,
                             "card_id": card.card_id if card else None,
                             "person_id": card.person_id if card else None, "card_check": check})
        new = _insert(rows)
        by_device: dict[int, list] = {}
        for row in rows:
            if new is not None:  # some were repeats: keep the rows written (each key once)
                key = (row["device_id"], row["seq"], row["at"])
                if key not in new:
                    continue
                new.discard(key)
            by_device.setdefault(row["device_id"], []).append(_stored_event(row))
        answers = []
        for device, checked in batches:
            new_rows = by_device.get(device.pk, [])
            answers.append(Stored(stored=len(new_rows), duplicates=len(checked.events) - len(new_rows),
                                  new_rows=new_rows))
        # The rules on the new rows only (a repeat raises nothing and counts nothing), all doors at once.
        on_events_many([(device, answer.new_rows) for (device, _checked), answer in zip(batches, answers)], now)
        # Online is about the message (received now), however old the events it carries (a controller
        # sending what it buffered while the network was down is online now); what the door has records of
        # starts at its earliest event (the no-activity rule waits until a door has watched long enough).
        for device, checked in batches:
            if checked.latest is not None and _worth_marking(device, now):
                mark_seen(device, now, since=min([event["at"] for event in checked.events] + [now]))
    return answers


def _checked(events: list[dict]) -> Checked:
    """Events already in stored form (tests, imports): their latest time is when the device was last seen."""
    return Checked(events, max((event["at"] for event in events), default=None))


def _worth_marking(device: Device, at: datetime) -> bool:
    """Whether the device's last message moves by more than SEEN_RESOLUTION (or an offline alert waits to be
    cleared): offline after minutes, so a door sending every second need not write its row every second."""
    return device.offline_alerted or device.last_seen_at is None or at > device.last_seen_at + SEEN_RESOLUTION


def _stored_event(row: dict) -> AccessEvent:
    """The AccessEvent a stored row is, as `from_db` makes it (no defaults, no signals), for the rules: a
    thousand model __init__ calls cost more than the insert. Its id is not read back (the rules need none)."""
    event = AccessEvent.__new__(AccessEvent)
    event.__dict__.update(row)
    event.id = None
    event._state = ModelState()
    event._state.adding, event._state.db = False, connection.alias
    return event


def _insert(rows: list[dict]) -> set[tuple] | None:
    """Write the rows not stored yet; answers None when all were new, else the keys (device_id, seq, at) of
    those written."""
    if not rows:
        return None
    from wangge.sensing import partitions

    partitions.ensure_for(min(r["at"] for r in rows), max(r["at"] for r in rows))
    written = BulkWriter().insert_new(_table(), rows, conflict=UNIQUE, returning=UNIQUE)
    if written is None:
        return None
    return {(device_id, seq, _aware(at)) for device_id, seq, at in written}


def _aware(value) -> datetime:
    """A time as the driver answers it (SQLite: naive UTC, or text) as the aware time we sent."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
