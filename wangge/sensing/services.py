"""Operations of sensing: the alert actions (the table in workflow.py: `do_act`), access cards, device
credentials and opening a camera. Each takes the acting user, runs in one transaction and writes its audit row.
Device registry operations are in services_devices.py; ingestion in ingest.py.
"""
import functools
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.core import audit
from wangge.core.models import User
from wangge.core.services import NotInArea, OperationError, require, text_param
from wangge.sensing import cards
from wangge.sensing.models import Alert, Card, CardState, Device, Resolution
from wangge.sensing.workflow import FLOW

LABEL = {
    "note": pgettext_lazy("alert input", "note"),
    "resolution": pgettext_lazy("alert input", "resolution"),
    "category": pgettext_lazy("alert input", "case category"),
    "assignee": pgettext_lazy("alert input", "assignee"),
    "reason": pgettext_lazy("alert input", "reason"),
}


def _text(params, name, *, required=True, limit=2000):
    return text_param(params, name, LABEL[name], required=required, limit=limit)


def _yes_no(params, name) -> bool | None:
    value = str(params.get(name) if params.get(name) is not None else "").strip().lower()
    return {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}.get(value)


# --- alerts ---------------------------------------------------------------------------------------------


def do_act(actor, alert, action: str, *, expected_version: int, now=None, **params) -> Alert:
    """Take `action` on `alert` (the table in workflow.py): area, version claim, check, effect, timeline, audit."""
    return FLOW.act(actor, alert, action, expected_version, now=now, **params)


@FLOW.effect("acknowledge")
def _acknowledge(actor, alert, params, now):
    alert.acknowledged_at, alert.acknowledged_by = now, actor
    return _text(params, "note", required=False), {}


@FLOW.effect("close")
def _close(actor, alert, params, now):
    resolution = str(params.get("resolution") or "").strip()
    if resolution not in (Resolution.TRUE, Resolution.FALSE_ALARM, Resolution.DUPLICATE):
        raise OperationError(_("Choose what the alert was: true, a false alarm or a duplicate"), field="resolution")
    alert.resolution, alert.closed_at, alert.closed_by = resolution, now, actor
    return _text(params, "note", required=resolution != Resolution.TRUE), {"resolution": resolution}


@FLOW.effect("to_case")
def _to_case(actor, alert, params, now):
    """转为事件: a case in the alert's grid, reported through the device channel, in this transaction; the
    alert closes with the resolution "case" and links to it (the case's description names the alert)."""
    from wangge.cases.models import Channel
    from wangge.cases.services import do_report_case

    note = _text(params, "note", required=False)
    point = alert.device or alert.building
    description = "\n".join(filter(None, [alert.title, note, _("From alert %(number)s") % {"number": alert.number}]))
    case = do_report_case(actor, category=params.get("category"), title=alert.title[:100], description=description,
                          grid=alert.grid, lng=getattr(point, "lng", None), lat=getattr(point, "lat", None),
                          channel=Channel.DEVICE, from_alert=True, now=now)
    alert.case, alert.resolution, alert.closed_at, alert.closed_by = case, Resolution.CASE, now, actor
    return note, {"case": case.number}


@FLOW.effect("comment")
def _comment(actor, alert, params, now):
    return _text(params, "note"), {}


@FLOW.effect("assign")
def _assign(actor, alert, params, now):
    raw = str(params.get("assignee") or "").strip()
    assignee = None
    if raw.isdigit():
        assignee = User.objects.visible_to(actor).filter(pk=int(raw), is_active=True).first()
    if assignee is None or not alert.grid.path.startswith(assignee.scope_node.path if assignee.scope_node else "~"):
        raise OperationError(_("Choose a colleague whose area holds the alert"), field="assignee")
    alert.assignee = assignee
    return _text(params, "note", required=False), {"assignee": assignee.username}


def _welfare_step(action, actor, alert, params, now):
    """The no-activity ladder: each step recorded with what came of it; the alert stays open until closed."""
    step = {"call": 1, "visit": 2, "contact": 3}[action]
    alert.welfare_step = max(alert.welfare_step, step)
    details = {"step": step}
    for name in ("reached", "found_well"):
        if params.get(name) is not None:
            details[name] = _yes_no(params, name)
    return _text(params, "note"), details


# The engine passes an effect the params only: each step of the ladder gets a wrapper naming itself.
for _step_action in ("call", "visit", "contact"):
    FLOW.effect(_step_action)(functools.partial(_welfare_step, _step_action))
FLOW.assert_complete()


# --- access cards -----------------------------------------------------------------------------------------


def _card_in_area(actor, card: Card) -> Card:
    require(actor, "sensing.cards")
    if not Card.objects.visible_to(actor).filter(pk=card.pk).exists():
        raise NotInArea(_("The card is outside your area."))
    return Card.objects.select_for_update().get(pk=card.pk)


@transaction.atomic
def do_issue_card(actor, person, house=None, *, note: str = "", replaces: Card | None = None, now=None) -> Card:
    """发卡: a card to `person` for the house they live in (valid on that building's doors)."""
    from wangge.registry.models import Person

    require(actor, "sensing.cards")
    now = now or timezone.now()
    person = Person.objects.visible_to(actor).select_related("house__building", "grid").filter(pk=person.pk).first()
    if person is None:
        raise NotInArea(_("The person is outside your area."))
    house = house or person.house
    if house is None or person.house_id != house.pk or person.moved_out:
        raise OperationError(_("A card is issued for the house the person lives in"), field="house")
    if replaces is None and Card.objects.filter(person=person, house=house, state=CardState.ACTIVE).exists():
        raise OperationError(_("The person already holds an active card for this house"), field="person")
    district = house.grid.path.strip("/").split("/")
    district_code = next((code for code in district if len(code) == 6), district[-1][:6])
    card = Card.objects.create(number=cards.next_number(district_code), person=person, house=house,
                               building_id=house.building_id, grid_id=house.grid_id, issued_at=now,
                               issued_by=actor if getattr(actor, "pk", None) else None, replaces=replaces,
                               note=note[:200])
    audit.record(actor, "sensing.issue_card", card, person=person.pk, house=house.pk,
                 card=cards.mask_card(card.number), replaces=replaces.pk if replaces else None)
    return card


CARD_MOVES = {
    # action: (states it may be taken from, state after)
    "suspend": ({CardState.ACTIVE}, CardState.SUSPENDED),
    "resume": ({CardState.SUSPENDED}, CardState.ACTIVE),
    "report_lost": ({CardState.ACTIVE, CardState.SUSPENDED}, CardState.LOST),
    "revoke": ({CardState.ACTIVE, CardState.SUSPENDED, CardState.LOST}, CardState.REVOKED),
}


@transaction.atomic
def do_card_action(actor, card: Card, action: str, *, note: str = "", now=None) -> Card:
    """停用 / 恢复 / 挂失 / 注销: one move of the card's state, from the states it may be taken from."""
    if action not in CARD_MOVES:
        raise OperationError(_("Unknown action: %(action)s") % {"action": action}, field="action")
    card = _card_in_area(actor, card)
    allowed, after = CARD_MOVES[action]
    if card.state not in allowed:
        raise OperationError(_("Not possible for a card that is %(state)s") % {"state": card.get_state_display()},
                             field="action")
    before = card.state
    card.state, card.state_changed_at = after, now or timezone.now()
    if note:
        card.note = note[:200]
    card.save(update_fields=["state", "state_changed_at", "note"])
    audit.record(actor, f"sensing.card_{action}", card, from_state=before, to_state=after, note=note)
    return card


@transaction.atomic
def do_replace_card(actor, card: Card, *, note: str = "", now=None) -> Card:
    """补卡: the old card is replaced (no door takes it any more) and a new number is issued to the same
    person for the same house, in one transaction."""
    card = _card_in_area(actor, card)
    if card.state in (CardState.REPLACED, CardState.REVOKED):
        raise OperationError(_("Not possible for a card that is %(state)s") % {"state": card.get_state_display()},
                             field="action")
    before = card.state
    card.state, card.state_changed_at = CardState.REPLACED, now or timezone.now()
    card.save(update_fields=["state", "state_changed_at"])
    audit.record(actor, "sensing.card_replace", card, from_state=before, to_state=CardState.REPLACED, note=note)
    return do_issue_card(actor, card.person, card.house, note=note, replaces=card, now=now)


# --- device credentials and cameras ------------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def do_issue_device_token(actor, device: Device) -> str:
    """A new credential for `device` (HTTP bearer token and MQTT password); the old one stops working.
    The raw token is returned once and only its HMAC is kept."""
    if actor is not None:
        require(actor, "sensing.edit_devices")
    from wangge.sensing.broker_files import mosquitto_hash

    raw = f"{device.code}.{secrets.token_urlsafe(24)}"
    Device.objects.filter(pk=device.pk).update(token_hash=token_hash(raw), token_issued_at=timezone.now(),
                                               broker_hash=mosquitto_hash(raw))
    audit.record(actor, "sensing.issue_device_token", device)
    return raw


def device_for_token(raw: str) -> Device | None:
    if not raw or len(raw) > 200:
        return None
    device = Device.objects.select_related("grid", "building").filter(token_hash=token_hash(raw)).first()
    if device is None or device.state == "retired":
        return None
    return device


@transaction.atomic
def do_open_camera(actor, device: Device, reason: str) -> str:
    """调阅视频: the camera's play URL on the district's video platform, given with the reason and logged."""
    require(actor, "sensing.open_camera")
    if not Device.objects.visible_to(actor).filter(pk=device.pk).exists():
        raise NotInArea(_("The device is outside your area."))
    reason = (reason or "").strip()
    if not reason:
        raise OperationError(_("Please fill in the %(label)s") % {"label": LABEL["reason"]}, field="reason")
    if device.kind != "camera" or not device.play_url:
        raise OperationError(_("This device has no video link"), field="device")
    audit.record(actor, "sensing.open_camera", device, reason=reason[:200])
    return device.play_url

