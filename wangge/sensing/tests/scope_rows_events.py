"""Jurisdiction matrix rows for door events (GET /api/v1/devices/{code}/events).

`_devices(world)` puts a door in grid 0 (home), one in grid 4 (the other street) and one in the matrix's second
district, each with three events read from cards whose full numbers no answer may show (masked only)."""
from datetime import timedelta

from django.utils import timezone

from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER)
FAR_GRID = "510108002001001"
CARDS = {"MX-DOOR-HOME": "5101070000077701", "MX-DOOR-AWAY": "5101070000077719", "MX-DOOR-FAR": "5101080000077727"}


def _devices(world):
    if getattr(world, "sensing_event_rows", None):
        return world.sensing_event_rows
    from wangge.areas.models import Region
    from wangge.sensing.testing import door_event, make_device

    grids = {"MX-DOOR-HOME": world.grids[0], "MX-DOOR-AWAY": world.grids[4],
             "MX-DOOR-FAR": Region.objects.get(code=FAR_GRID)}
    now = timezone.now()
    for code, grid in grids.items():
        device = make_device(grid, code, name=f"door {code[-4:].lower()}")
        for seq in range(3):
            door_event(device, seq, card=CARDS[code], at=now - timedelta(minutes=seq), card_check="unknown")
    world.sensing_event_rows = grids
    return grids


def _records(world, user):
    from wangge.sensing.models import Device

    _devices(world)
    visible = Device.objects.visible_to(user).filter(code__startswith="MX-DOOR")
    inside = list(visible.order_by("code").values_list("code", flat=True))
    outside = list(Device.objects.filter(code__startswith="MX-DOOR").exclude(pk__in=visible.values("pk"))
                   .order_by("code").values_list("code", flat=True))
    return inside, outside


def _events_of_the_device(response, ctx):
    from wangge.sensing.cards import mask_card

    items = response.json()["items"]
    assert [item["seq"] for item in items] == [0, 1, 2]
    assert {item["card"] for item in items} == {mask_card(CARDS[ctx.record_id])}


def _full_card_numbers(user):
    from wangge.sensing.models import Card

    return list(CARDS.values()) + list(Card.objects.values_list("number", flat=True))


ROWS = [
    Row("api device events", "/api/v1/devices/{code}/events", record_key="code", roles=READERS,
        objects=_records, check=_events_of_the_device, tags={"api", "sensing"}),
]

FORBIDDEN = [_full_card_numbers]
