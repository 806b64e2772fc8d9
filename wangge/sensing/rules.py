"""Rules → alerts. A rule is data (`AlertRule`: on/off, severity, thresholds, per area); the rule of the
nearest area at or above a grid applies, else the platform's default below.

Two kinds of rule:

* on events, as they are stored (`on_events`, called by ingestion with the events that were new):
  `key_person` (a person in a watched special group passes a door), `unknown_card` (a card not ours, lost,
  revoked, suspended, or not valid on this building's doors), `door_forced` (the controller's own
  forced-open or held-open alarm); and a `no_activity` alert of a person who passes a door again is cleared;
* on time, by the worker (`poll`): `no_activity` (a person tagged 独居老人 with an active card has had no
  door event for N hours), `over_occupancy` (more distinct cards on one house in 7 days than its registered
  residents plus a margin: possible 群租, to check on a visit).

`device_offline` is raised by the connectivity poller (connectivity.py).
"""
import time
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wangge.areas.models import Region
from wangge.registry.codes import tag_message
from wangge.sensing.alerts import Title, clear_alert, raise_alert, source_of
from wangge.sensing.cards import mask_card
from wangge.sensing.models import AlertRule, AlertType, CardState, Severity

DEFAULTS = {
    AlertType.KEY_PERSON: (Severity.MAJOR, {"tags": ["community_correction", "drug_user", "severe_mental_disorder",
                                                     "key_petitioner"], "notify_departments": ["GA"]}),
    AlertType.NO_ACTIVITY: (Severity.CRITICAL, {"hours": 24, "tags": ["elder_living_alone"]}),
    AlertType.UNKNOWN_CARD: (Severity.MINOR, {}),
    AlertType.OVER_OCCUPANCY: (Severity.WARNING, {"days": 7, "margin": 2}),
    AlertType.DOOR_FORCED: (Severity.MAJOR, {}),
    AlertType.DEVICE_OFFLINE: (Severity.MINOR, {"after_minutes": 30}),
}


@dataclass
class Rule:
    type: str
    enabled: bool
    severity: str
    params: dict = field(default_factory=dict)


class RuleBook:
    """Every rule, read once (a few rows) and answered per grid path: the nearest area's rule wins."""

    TTL = 5.0  # seconds a process keeps the rules: an edit takes effect within them
    _cached: tuple[float, "RuleBook"] | None = None

    def __init__(self):
        self.by_type: dict[str, list[tuple[str, Rule]]] = {}
        for row in AlertRule.objects.select_related("region"):
            default_severity, default_params = DEFAULTS[row.type]
            rule = Rule(row.type, row.enabled, row.severity or default_severity, {**default_params, **row.params})
            self.by_type.setdefault(row.type, []).append((row.region.path if row.region_id else "", rule))
        for entries in self.by_type.values():
            entries.sort(key=lambda entry: -len(entry[0]))

    @classmethod
    def current(cls) -> "RuleBook":
        now = time.monotonic()
        if cls._cached is None or now - cls._cached[0] > cls.TTL:
            cls._cached = (now, cls())
        return cls._cached[1]

    @classmethod
    def forget(cls):
        cls._cached = None

    def get(self, type: str, path: str) -> Rule:
        for prefix, rule in self.by_type.get(type, ()):
            if path.startswith(prefix):
                return rule
        severity, params = DEFAULTS[type]
        return Rule(type, True, severity, dict(params))


def rule_for(type: str, grid: Region) -> Rule:
    return RuleBook.current().get(type, grid.path)


# --- on events ----------------------------------------------------------------------------------------


def on_events(device, events: list, now=None) -> int:
    """Apply the event rules to `events` (AccessEvent rows just stored for `device`, never a repeat).
    Returns how many alerts were raised or counted."""
    return on_events_many([(device, events)], now)


def on_events_many(batches: list, now=None) -> int:
    """`on_events` for several devices' new events at once (the MQTT subscriber stores a batch of many doors'
    messages in one transaction): the people's watched tags and their open no-activity alerts are read once
    for the batch, not once per door."""
    from wangge.registry.models import PersonTag

    batches = [(device, events) for device, events in batches if events]
    if not batches:
        return 0
    now = now or timezone.now()
    book = RuleBook.current()
    touched = 0
    people = {e.person_id for _device, events in batches for e in events if e.person_id}
    key_rules = {device.pk: book.get(AlertType.KEY_PERSON, device.grid.path) for device, _events in batches}
    codes = {code for rule in key_rules.values() if rule.enabled for code in rule.params["tags"]}
    tags = []  # (person, tag code, tag name) of the people seen, for the watched groups of any area
    if people and codes:
        tags = list(PersonTag.objects.filter(person_id__in=people, tag__code__in=codes)
                    .values_list("person_id", "tag__code", "tag__name"))
    if people:
        touched += _clear_no_activity(people, [e for _device, events in batches for e in events])
    for device, events in batches:
        path = device.grid.path
        key_rule = key_rules[device.pk]
        watched = {}
        if key_rule.enabled:
            wanted = set(key_rule.params["tags"])
            for person_id, code, tag_name in tags:
                if code in wanted:
                    watched.setdefault(person_id, (code, tag_name))
        unknown_rule, forced_rule = book.get(AlertType.UNKNOWN_CARD, path), book.get(AlertType.DOOR_FORCED, path)
        # Repeats within the batch are counted at once: (rule, source) -> [the latest event, how many, the earliest
        # time].
        hits: dict[tuple, list] = {}
        for event in events:
            if event.person_id in watched:
                _hit(hits, ("key_person", event.person_id), event)
            if unknown_rule.enabled and event.card_number and event.card_check:
                _hit(hits, ("unknown_card",), event)
            if forced_rule.enabled and event.alarm in ("forced_open", "held_open"):
                _hit(hits, ("door_forced",), event)
        for key, (event, times, since) in hits.items():
            seen = {"now": now, "times": times, "at": event.at, "since": since}
            if key[0] == "key_person":
                _key_person(device, event, watched[event.person_id], key_rule, **seen)
            elif key[0] == "unknown_card":
                _unknown_card(device, event, unknown_rule, **seen)
            else:
                _door_forced(device, event, forced_rule, **seen)
            touched += times
    return touched


def _hit(hits: dict, key: tuple, event) -> None:
    found = hits.get(key)
    if found is None:
        hits[key] = [event, 1, event.at]
    else:
        if event.at >= found[0].at:
            found[0] = event
        found[1] += 1
        found[2] = min(found[2], event.at)


def _key_person(device, event, tag, rule, **seen):
    code, tag_name = tag
    group = tag_message(code, tag_name) or tag_name  # a default group's English id: shown in the reader's language
    raise_alert(AlertType.KEY_PERSON, source_of("person", event.person_id), grid_id=device.grid_id,
                severity=rule.severity, person_id=event.person_id, device_id=device.pk,
                building_id=device.building_id,
                title=Title(gettext_noop("%(group)s passed %(door)s"), {"group": group, "door": device.name},
                            contexts={"group": "tag"} if group != tag_name else {}),
                details={"door": device.code, "at": event.at.isoformat(), "direction": event.direction}, **seen)


def _unknown_card(device, event, rule, **seen):
    raise_alert(AlertType.UNKNOWN_CARD, source_of("device", device.pk), grid_id=device.grid_id,
                severity=rule.severity, device_id=device.pk, building_id=device.building_id,
                title=Title(gettext_noop("Unknown or invalid card at %(door)s"), {"door": device.name}),
                details={"card": mask_card(event.card_number), "why": event.card_check,
                         "at": event.at.isoformat()}, **seen)


def _door_forced(device, event, rule, **seen):
    raise_alert(AlertType.DOOR_FORCED, source_of("device", device.pk), grid_id=device.grid_id,
                severity=rule.severity, device_id=device.pk, building_id=device.building_id,
                title=Title(gettext_noop("Door forced or held open at %(door)s"), {"door": device.name}),
                details={"alarm": event.alarm, "door": event.door, "at": event.at.isoformat()}, **seen)


def _clear_no_activity(people: set, events: list) -> int:
    from wangge.sensing.models import Alert

    silent = set(Alert.objects.open().filter(type=AlertType.NO_ACTIVITY, person_id__in=people)
                 .values_list("person_id", flat=True))
    for person_id in silent:
        seen = max(e.at for e in events if e.person_id == person_id)
        clear_alert(AlertType.NO_ACTIVITY, source_of("person", person_id),
                    note=_("Passed a door at %(at)s") % {"at": timezone.localtime(seen).strftime("%Y-%m-%d %H:%M")})
    return len(silent)


# --- on time (the worker) ---------------------------------------------------------------------------


def poll(now=None) -> dict:
    now = now or timezone.now()
    return {"no_activity": check_no_activity(now), "over_occupancy": check_over_occupancy(now)}


def check_no_activity(now) -> int:
    """独居老人 with an active card and no door event for the rule's hours: one alert each (a repeat while
    it is open only counts). People without a card are not watched: the doors cannot see them; nor are people
    whose building has no door online (its silence says nothing: the door's own offline alert says why). The
    clock starts at the latest of the person's last door event, the card's issue and the door's first message,
    so a door connected an hour ago raises nothing about a day. Four queries whatever the number of people."""
    from django.db.models import Max

    from wangge.registry.models import PersonTag
    from wangge.sensing.models import AccessEvent, Card

    book = RuleBook.current()
    tags = {tag for _prefix, rule in book.by_type.get(AlertType.NO_ACTIVITY, ()) for tag in rule.params["tags"]}
    tags |= set(DEFAULTS[AlertType.NO_ACTIVITY][1]["tags"])
    holders = {}
    for person_id, grid_id, path, building_id, name, issued in (
            Card.objects.filter(state=CardState.ACTIVE, person__tags__tag__code__in=tags)
            .values_list("person_id", "grid_id", "grid__path", "building_id", "person__name", "issued_at")
            .distinct()):
        holders.setdefault(person_id, (grid_id, path, building_id, name, issued))
    if not holders:
        return 0
    person_tags = {}
    for person_id, code in PersonTag.objects.filter(person_id__in=list(holders), tag__code__in=tags).values_list(
            "person_id", "tag__code"):
        person_tags.setdefault(person_id, set()).add(code)
    last_seen = dict(AccessEvent.objects.filter(person_id__in=list(holders)).values("person_id")
                     .annotate(last=Max("at")).values_list("person_id", "last"))
    watching = _doors_watching({building for _g, _p, building, _n, _i in holders.values()}, now)
    raised = 0
    for person_id, (grid_id, path, building_id, name, issued) in holders.items():
        rule = book.get(AlertType.NO_ACTIVITY, path)
        if not rule.enabled or not person_tags.get(person_id, set()) & set(rule.params["tags"]):
            continue
        if building_id not in watching:
            continue
        hours = int(rule.params.get("hours", 24))
        last = last_seen.get(person_id)
        if max(filter(None, (last, issued, watching[building_id]))) >= now - timezone.timedelta(hours=hours):
            continue
        raise_alert(AlertType.NO_ACTIVITY, source_of("person", person_id), grid_id=grid_id, severity=rule.severity,
                    person_id=person_id, building_id=building_id,
                    title=Title(gettext_noop("No door activity for %(hours)s hours: %(name)s"),
                                {"hours": hours, "name": name}),
                    details={"hours": hours, "last_event": last.isoformat() if last else None}, now=now)
        raised += 1
    return raised


def _doors_watching(buildings: set, now) -> dict:
    """building id -> since when its doors have been reporting (the earliest first message of its doors that
    are in service and online now); buildings with no such door are left out."""
    from wangge.sensing.connectivity import connectivity
    from wangge.sensing.models import Device, DeviceKind, DeviceState

    since = {}
    for door in Device.objects.filter(building_id__in=list(buildings), kind=DeviceKind.DOOR,
                                      state=DeviceState.IN_SERVICE, first_seen_at__isnull=False):
        if connectivity(door, now) == "online":
            since[door.building_id] = min(since.get(door.building_id, door.first_seen_at), door.first_seen_at)
    return since


def check_over_occupancy(now) -> int:
    """Houses whose distinct cards seen at the doors in the rule's days exceed their registered residents
    plus the margin."""
    from wangge.registry.models import House, Person
    from wangge.sensing.models import AccessEvent

    book = RuleBook.current()
    days = max(int(rule.params.get("days", 7)) for rule in [book.get(AlertType.OVER_OCCUPANCY, "")]
               + [r for _p, r in book.by_type.get(AlertType.OVER_OCCUPANCY, ())])
    since = now - timezone.timedelta(days=days)
    seen = dict(AccessEvent.objects.filter(at__gte=since, card__isnull=False).values("card__house_id")
                .annotate(cards=Count("card_id", distinct=True)).values_list("card__house_id", "cards"))
    if not seen:
        return 0
    residents = dict(Person.objects.filter(house_id__in=list(seen), moved_out__isnull=True).values("house_id")
                     .annotate(n=Count("id")).values_list("house_id", "n"))
    raised = 0
    for house in House.objects.filter(pk__in=list(seen)).select_related("grid", "building"):
        rule = book.get(AlertType.OVER_OCCUPANCY, house.grid.path)
        living = residents.get(house.pk, 0)
        if not rule.enabled or seen[house.pk] <= living + int(rule.params.get("margin", 2)):
            continue
        raise_alert(AlertType.OVER_OCCUPANCY, source_of("house", house.pk), grid_id=house.grid_id,
                    severity=rule.severity, house_id=house.pk, building_id=house.building_id,
                    title=Title(gettext_noop("%(cards)s cards used at %(house)s, %(residents)s registered residents"),
                                {"cards": seen[house.pk], "house": house, "residents": living}),
                    details={"cards": seen[house.pk], "residents": living, "margin": rule.params.get("margin", 2),
                             "days": days}, now=now)
        raised += 1
    return raised
