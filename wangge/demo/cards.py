"""Synthetic access cards (e居通卡) for the demo district: every resident aged 6 or more living in a building
with a door controller in service gets one card for their house (labelled synthetic by the demo district
itself). Written through the bulk writer: tens of thousands of rows in a second."""
import random

from django.db.models import Exists, OuterRef
from django.utils import timezone

from wangge.core.bulk import BulkWriter, Table
from wangge.sensing.cards import make_number
from wangge.sensing.models import AccessEvent, Alert, AlertEvent, Card, CardState, Device, DeviceKind, DeviceState

MIN_AGE = 6
LOST_SHARE = 0.01  # a few cards reported lost, so that the door rules have something to refuse


def load_cards(district, seed: int) -> dict:
    from wangge.registry.models import Person

    rng = random.Random(seed * 31 + 7)
    now = timezone.now()
    today = timezone.localdate(now)
    doors = Device.objects.filter(building=OuterRef("house__building"), kind=DeviceKind.DOOR,
                                  state=DeviceState.IN_SERVICE)
    residents = (Person.objects.filter(grid__path__startswith=district.path, moved_out__isnull=True,
                                       house__isnull=False, birth_date__lte=today.replace(year=today.year - MIN_AGE))
                 .filter(Exists(doors)).order_by("pk")
                 .values_list("pk", "house_id", "house__building_id", "house__grid_id"))
    top = Card.objects.filter(number__startswith=district.code).order_by("-number").values_list("number", flat=True)
    serial = int(top[0][6:15]) if top else 0
    rows = []
    for person_id, house_id, building_id, grid_id in residents:
        serial += 1
        lost = rng.random() < LOST_SHARE
        issued = now - timezone.timedelta(days=rng.randint(30, 900))
        rows.append({"number": make_number(district.code, serial), "person_id": person_id, "house_id": house_id,
                     "building_id": building_id, "grid_id": grid_id, "issued_at": issued,
                     "state": CardState.LOST if lost else CardState.ACTIVE,
                     "state_changed_at": issued + timezone.timedelta(days=20) if lost else None,
                     "note": "合成数据 synthetic"})
    writer = BulkWriter()
    writer.insert(Table(Card, with_pk=False), rows)
    writer.finish()
    return {"cards": len(rows)}


def wipe_cards(district) -> None:
    """Alerts, events and cards of the district (before its people and buildings go)."""
    prefix = district.path
    alerts = Alert.objects.filter(grid__path__startswith=prefix)
    AlertEvent.objects.filter(alert__in=alerts.values("pk"))._raw_delete(AlertEvent.objects.db)
    alerts._raw_delete(alerts.db)
    events = AccessEvent.objects.filter(grid__path__startswith=prefix)
    events._raw_delete(events.db)
    cards = Card.objects.filter(grid__path__startswith=prefix)
    cards.update(replaces=None)
    cards._raw_delete(cards.db)
