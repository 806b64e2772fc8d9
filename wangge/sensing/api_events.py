"""Door and gate events over HTTP (see docs/api/devices.md).

  POST /api/v1/devices/events          a device sends one event or a list of up to 1,000, with
                                       `Authorization: Bearer <device token>` (`python -m wangge device_token CODE`);
  GET  /api/v1/devices/{code}/events   staff read a device's events: scoped, card numbers masked, keyset pages.

Answers to a device: 200 {"stored", "duplicates", "heartbeats"}; 401 for a missing, wrong or replaced token or a
retired device; 413 for a batch over the limit; 422 naming the event and the field of every bad one (then nothing
of the request is stored: all or nothing); 503 with Retry-After when the database cannot take it now (retry the
same events: they are stored once).
"""
import json
from datetime import datetime
from typing import Annotated

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.security import HttpBearer

from wangge.core.keyset import MAX_CURSOR, keyset_page
from wangge.core.refusals import require
from wangge.sensing import ingest
from wangge.sensing.cards import mask_card
from wangge.sensing.models import AccessEvent, Device
from wangge.sensing.services import device_for_token

router = Router(tags=["devices"])
MAX_BODY = 1_048_576  # bytes: a thousand events fit in a fifth of it


class DeviceToken(HttpBearer):
    """The device's own credential (not a staff token): the request's `auth` is the Device."""

    def authenticate(self, request, token):
        return device_for_token(token)


class StoredOut(Schema):
    stored: int
    duplicates: int
    heartbeats: int


class ErrorOut(Schema):
    detail: list[dict]


EVENT_SCHEMA = {
    "type": "object",
    "required": ["seq", "ts"],
    "properties": {
        "type": {"type": "string", "enum": ["event", "heartbeat"], "default": "event"},
        "seq": {"type": "integer", "minimum": 0, "description": "the device's own sequence number"},
        "ts": {"oneOf": [{"type": "string", "format": "date-time"},
                         {"type": "integer", "minimum": 0, "description": "Unix milliseconds"}]},
        "card": {"type": "string", "pattern": "^[0-9]{16}$", "description": "door controllers"},
        "plate": {"type": "string", "maxLength": 16, "description": "gates, instead of card"},
        "door": {"type": "string", "maxLength": 32},
        "direction": {"type": "string", "enum": ["in", "out"]},
        "granted": {"type": "boolean"},
        "reason": {"type": "string", "maxLength": 64, "description": "when refused"},
        "alarm": {"type": "string", "enum": ["forced_open", "held_open"]},
    },
}
BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [EVENT_SCHEMA, {"type": "array", "items": EVENT_SCHEMA, "minItems": 1, "maxItems": ingest.MAX_BATCH}]}}}}}


def _refusal(errors, listed: bool, total: int) -> ValidationError:
    detail = []
    for index, field, message in errors:
        loc = ["body"] + ([index] if listed and index is not None else []) + ([] if field == "body" else [field])
        detail.append({"loc": loc, "msg": message, "type": "value_error"})
    if total > len(errors):
        detail.append({"loc": ["body"], "msg": _("%(count)s more errors not listed") % {"count": total - len(errors)},
                       "type": "value_error"})
    return ValidationError(detail)


@router.post("/devices/events", auth=DeviceToken(), response={200: StoredOut, 413: ErrorOut},
             openapi_extra=BODY, summary="A device sends door or gate events 设备上报门禁/道闸记录")
def post_events(request):
    device = request.auth
    if len(request.body) > MAX_BODY:
        return Status(413, {"detail": [{"loc": ["body"], "msg": _("The message is larger than %(size)s bytes")
                                        % {"size": MAX_BODY}, "type": "value_error"}]})
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise _refusal([(None, "body", _("Not valid JSON"))], False, 1)
    try:
        items, listed = ingest.event_items(data)
        checked = ingest.check_events(device, items, listed=listed)
    except ingest.BatchTooLarge as refused:
        return Status(413, {"detail": [{"loc": ["body"], "msg": refused.errors[0][2], "type": "value_error"}]})
    except ingest.EventErrors as refused:
        raise _refusal(refused.errors, True, refused.total)
    # A database restarting or failing over answers 503 (wangge/api.py): nothing of this request was stored,
    # and the device sends it again.
    stored = ingest.store_events(device, checked)
    heartbeats = sum(1 for item in items if isinstance(item, dict) and item.get("type") == "heartbeat")
    return {"stored": stored.stored, "duplicates": stored.duplicates, "heartbeats": heartbeats}


# --- staff reading ------------------------------------------------------------------------------------------


class EventOut(Schema):
    id: int
    seq: int
    at: datetime
    received_at: datetime
    card: str
    plate: str
    card_check: str
    door: str
    direction: str
    granted: bool | None
    reason: str
    alarm: str

    @staticmethod
    def resolve_card(event):
        return mask_card(event.card_number)


class EventPage(Schema):
    items: list[EventOut]
    next: str | None = Field(None, description="cursor of the next (older) page: ?after=")
    previous: str | None = Field(None, description="cursor of the previous (newer) page: ?before=")


class EventFilters(Schema):
    after: Annotated[str | None, Field(None, max_length=MAX_CURSOR)] = None
    before: Annotated[str | None, Field(None, max_length=MAX_CURSOR)] = None
    limit: Annotated[int, Field(50, ge=1, le=500)] = 50
    since: datetime | None = None
    until: datetime | None = None


@router.get("/devices/{code}/events", response=EventPage, summary="A device's events, cards masked 设备通行记录")
def device_events(request, code: Annotated[str, Field(max_length=64)], filters: Query[EventFilters]):
    require(request.user, "sensing.view_events")
    device = Device.objects.visible_to(request.user).filter(code=code).values("pk").first()
    if device is None:
        raise Http404
    events = AccessEvent.objects.visible_to(request.user).filter(device_id=device["pk"])
    if filters.since:
        events = events.filter(at__gte=filters.since)
    if filters.until:
        events = events.filter(at__lt=filters.until)
    page = keyset_page(events, ("-at", "-id"), {"after": filters.after, "before": filters.before}, filters.limit)
    return {"items": page.object_list, "next": page.next_cursor or None, "previous": page.previous_cursor or None}
