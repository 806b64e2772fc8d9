"""A synthetic day at the doors (`python -m wangge simulate_devices`), for demos: every card holder of a building
with a door controller passes their doors a few times (out in the morning, back in the evening, errands in
between), plus what the rules are there to notice:

* key people — residents in a watched special group — pass their doors like anyone else (key_person);
* one elderly resident living alone goes silent: their last door event is put 30 hours back (no_activity);
* now and then a stranger's card, or a card reported lost, is tried at a door (unknown_card);
* a door is forced open once in a while (door_forced).

The day is the last 24 hours replayed at `speed` times real time (default 144: a day in ten minutes), each event
stamped with its time in that day, published as each time comes. Everything it makes is synthetic.

`--live` (what `make demo` runs beside the server) goes on after that day in real time: the next 24 hours are
planned and each event published when its time comes, and every device in service says it is alive
(`Heartbeats`), so a demo left running shows its doors and cameras online, not hundreds of "offline" alerts
once the replayed day has gone quiet. The silent resident stays silent.
"""
import collections
import heapq
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from wangge.sensing.cards import make_number
from wangge.sensing.models import Card, CardState, Device, DeviceKind, DeviceState

WATCHED_TAGS = ("community_correction", "drug_user", "severe_mental_disorder", "key_petitioner")
SILENT_TAG = "elder_living_alone"


@dataclass(order=True)
class Planned:
    at: datetime
    device_code: str = field(compare=False)
    body: dict = field(compare=False)


def _times(rng: random.Random, day_start: datetime) -> list[datetime]:
    """A resident's passes in a day: out between 6 and 10, back between 16 and 21, sometimes an errand."""
    out = day_start + timedelta(hours=rng.uniform(6, 10))
    back = day_start + timedelta(hours=rng.uniform(16, 21.5))
    times = [out, back]
    if rng.random() < 0.5:
        errand = day_start + timedelta(hours=rng.uniform(10.5, 15.5))
        times += [errand, errand + timedelta(minutes=rng.uniform(10, 90))]
    return sorted(times)


class Day:
    """The plan of one day at the doors of `district` (a Region), from `start` (24 hours ago by default)."""

    def __init__(self, district, seed: int = 1, start: datetime | None = None, strangers: int = 20,
                 forced: int = 3, limit: int | None = None, silent_pass: bool = True):
        self.rng = random.Random(seed)
        self.silent_pass = silent_pass  # False on the days after the first: the silent resident stays silent
        self.start = start or timezone.now() - timedelta(hours=24)
        self.district = district
        self.strangers, self.forced, self.limit = strangers, forced, limit
        self.seq: dict[str, int] = {}
        self.silent_person: int | None = None
        self.plan: list[Planned] = []

    def _next_seq(self, code: str) -> int:
        # Sequence numbers above any earlier run's: the time in milliseconds the day starts, counting up.
        self.seq[code] = self.seq.get(code, int(self.start.timestamp() * 1000)) + 1
        return self.seq[code]

    def _event(self, door: Device, at: datetime, **body) -> None:
        body = {"seq": self._next_seq(door.code), "ts": at.isoformat(), "door": "1", **body}
        self.plan.append(Planned(at, door.code, body))

    def build(self) -> list[Planned]:
        from wangge.registry.models import PersonTag

        doors = {}
        for door in (Device.objects.filter(kind=DeviceKind.DOOR, state=DeviceState.IN_SERVICE,
                                           grid__path__startswith=self.district.path, building__isnull=False)
                     .order_by("code")):
            doors.setdefault(door.building_id, door)
        cards = list(Card.objects.filter(building_id__in=list(doors), state=CardState.ACTIVE)
                     .order_by("pk").values_list("number", "person_id", "building_id")[:self.limit])
        silent = set(PersonTag.objects.filter(tag__code=SILENT_TAG, person_id__in=[c[1] for c in cards])
                     .values_list("person_id", flat=True)[:1])
        # A resident's daily pattern is laid on the local day the window starts in; a pass that falls before the
        # window is the same pass a day later, so every 24-hour window holds one whole day whatever the hour.
        day_start = timezone.localtime(self.start).replace(hour=0, minute=0, second=0, microsecond=0)
        for number, person_id, building_id in cards:
            door = doors[building_id]
            if person_id in silent:
                self.silent_person = person_id
                if self.silent_pass:
                    self._event(door, self.start - timedelta(hours=6), card=number, direction="in", granted=True)
                continue
            for n, at in enumerate(_times(self.rng, day_start)):
                if at < self.start:
                    at += timedelta(hours=24)
                self._event(door, at, card=number, direction="out" if n % 2 == 0 else "in", granted=True)
        door_list = list(doors.values())
        lost = list(Card.objects.filter(building_id__in=list(doors), state=CardState.LOST)
                    .values_list("number", "building_id")[:self.strangers])
        for n in range(self.strangers if door_list else 0):
            at = self.start + timedelta(hours=self.rng.uniform(0, 24))
            if n % 2 and lost:
                number, building_id = lost[n % len(lost)]
                door = doors[building_id]
            else:
                number, door = make_number("510107", 900_000_000 + self.rng.randrange(99_999_999)), \
                    self.rng.choice(door_list)
            self._event(door, at, card=number, direction="in", granted=False, reason="invalid_card")
        for _ in range(self.forced if door_list else 0):
            at = self.start + timedelta(hours=self.rng.uniform(0, 24))
            self._event(self.rng.choice(door_list), at, alarm="forced_open", direction="in")
        heapq.heapify(self.plan)
        return sorted(self.plan)


class Heartbeats:
    """Every device in service in `district` says it is alive once every `period` seconds, the devices spread
    evenly over the period (a district's thousands of devices do not all beat in the same second). Times are
    `time.monotonic()` seconds."""

    def __init__(self, district, period: float, now: float):
        codes = list(Device.objects.filter(state=DeviceState.IN_SERVICE, grid__path__startswith=district.path)
                     .order_by("code").values_list("code", flat=True))
        self.period = period
        step = period / max(1, len(codes))
        self.queue = collections.deque((now + n * step, code) for n, code in enumerate(codes))

    def __len__(self):
        return len(self.queue)

    def due(self, now: float) -> list[str]:
        """The devices whose beat has come (each is then due again a period later)."""
        codes = []
        while self.queue and self.queue[0][0] <= now:
            at, code = self.queue.popleft()
            codes.append(code)
            self.queue.append((at + self.period, code))
        return codes

    def next_at(self) -> float | None:
        return self.queue[0][0] if self.queue else None


def heartbeat(at: datetime) -> bytes:
    return json.dumps({"type": "heartbeat", "ts": at.isoformat()}).encode()


def topic(code: str) -> str:
    from wangge.sensing.mqtt import device_topic

    return device_topic(code)


def payload(planned: Planned) -> bytes:
    return json.dumps(planned.body, ensure_ascii=False).encode()
