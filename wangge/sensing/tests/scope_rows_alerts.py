"""Jurisdiction matrix rows for alerts and cards (API and pages); see wangge/core/tests/scope_matrix.py.

`_sensing(world)` adds, on the registry rows' base data (home grid, the other street's grid, the second
district), a door controller on each building, a card for each head of household and an alert on each door.
"""
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

WATCHERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER)


def _sensing(world):
    if getattr(world, "sensing_rows", None):
        return world.sensing_rows
    from wangge.registry.tests.scope_rows import _registry
    from wangge.sensing import services
    from wangge.sensing.alerts import raise_alert, source_of
    from wangge.sensing.testing import make_device

    data = _registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    made = {}
    for key in ("home", "away", "far"):
        building = data[key]["building"]
        door = make_device(building.grid, f"DOOR-{key.upper()}", building=building, name=f"{key}门禁")
        card = services.do_issue_card(admin, data[key]["head"])
        alert = raise_alert("door_forced", source_of("device", door.pk), grid_id=door.grid_id,
                            title=f"{key}门被强行打开", device_id=door.pk, building_id=building.pk,
                            details={"card": card.number}).alert
        made[key] = {"door": door, "card": card, "alert": alert}
    world.sensing_rows = made
    return made


def _records(model):
    def objects(world, user):
        _sensing(world)
        visible = model.objects.visible_to(user)
        inside = list(visible.order_by("pk").values_list("pk", flat=True)[:2])
        outside = list(model.objects.exclude(pk__in=visible.values("pk")).order_by("-pk")
                       .values_list("pk", flat=True)[:2])
        return inside, outside
    return objects


def _alerts():
    from wangge.sensing.models import Alert

    return Alert


def _alert_records(world, user):
    return _records(_alerts())(world, user)


def _card_records(world, user):
    from wangge.sensing.models import Card

    return _records(Card)(world, user)


def _building_records(world, user):
    from wangge.registry.models import Building

    return _records(Building)(world, user)


def _listed_alerts_are_visible(response, ctx):
    from wangge.sensing.models import Alert

    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Alert.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _listed_cards_are_visible(response, ctx):
    from wangge.sensing.models import Card

    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Card.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _row(name, url, **kwargs):
    return Row(name, url, setup=_sensing, roles=WATCHERS, **kwargs)


ROWS = [
    _row("api: alerts", "/api/v1/alerts?limit=1000", check=_listed_alerts_are_visible),
    _row("api: alerts in an area", "/api/v1/alerts?area={code}&status=open"),
    _row("api: alert", "/api/v1/alerts/{id}", objects=_alert_records),
    _row("api: cards", "/api/v1/cards?limit=1000", check=_listed_cards_are_visible),
    _row("api: coverage", "/api/v1/coverage/buildings"),
    _row("api: coverage of an area", "/api/v1/coverage/buildings?area={code}"),
    _row("page: coverage", "/sensing/coverage/?area={code}"),
    _row("api: card holders", "/api/v1/cards/holders"),
    _row("api: card holders of an area", "/api/v1/cards/holders?area={code}"),
    _row("page: card holders", "/sensing/cards/holders/?area={code}"),
    _row("page: building card", "/sensing/buildings/{id}/", objects=_building_records),
    _row("page: alert rules", "/sensing/rules/"),
    _row("page: alert board", "/sensing/alerts/"),
    _row("page: alert board of an area", "/sensing/alerts/?area={code}"),
    _row("page: alert", "/sensing/alerts/{id}/", objects=_alert_records),
]


def _every_card_number(user):
    """Card numbers are never shown whole, to anyone."""
    from wangge.sensing.models import Card

    return list(Card.objects.values_list("number", flat=True))


FORBIDDEN = [_every_card_number]
