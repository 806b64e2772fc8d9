"""Test fixtures of sensing: a door controller and a camera on the first grid's building, and a card."""
from django.utils import timezone

from wangge.core.roles import Role
from wangge.sensing.models import AccessEvent, Device


def make_device(grid, code, kind="door", building=None, **extra) -> Device:
    return Device.objects.create(code=code, kind=kind, name=extra.pop("name", f"{kind} {code}"), grid=grid,
                                 building=building, **extra)


def door_event(device, seq, *, card="", at=None, person_id=None, card_id=None, card_check="", alarm="",
               granted=True, direction="in") -> AccessEvent:
    """An event as ingestion stores it (saved, so rules and queries see it)."""
    return AccessEvent.objects.create(device=device, seq=seq, at=at or timezone.now(), grid_id=device.grid_id,
                                      card_number=card, card_id=card_id, person_id=person_id, card_check=card_check,
                                      alarm=alarm, granted=granted, direction=direction, door="1")


def build_sensing(world, registry) -> dict:
    """Doors on both registry buildings, a camera on the first, and an active card for the first head."""
    from wangge.sensing import services

    admin = world.users[Role.ADMINISTRATOR]
    home, away = registry["home"], registry["away"]
    door = make_device(world.grids[0], "DOOR-HOME-1", building=home["building"], name="幸福路1号1栋门禁")
    away_door = make_device(world.grids[4], "DOOR-AWAY-1", building=away["building"], name="幸福路1号1栋门禁(外)")
    camera = make_device(world.grids[0], "51010700001320000001", kind="camera", building=home["building"],
                         camera_class="courtyard", storage_days=30, play_url="https://video.example.invalid/play/1")
    card = services.do_issue_card(admin, home["head"])
    return {"door": door, "away_door": away_door, "camera": camera, "card": card}
