"""The alerts and cards API (告警、门禁卡). See docs/api/alerts.md.

Reads go through `visible_to` (an alert outside the caller's area answers 404, like one that does not exist);
writes through the operations in services.py, whose refusals become statuses in wangge/core/refusals.py: a
role that may not act 403, an action not allowed in this state or refused by its guard 409 (code "state",
"guard"), a stale version 409 (code "version"), bad input 422 naming the field. Nothing changes on a refusal.
Card numbers are masked in every answer.
"""
from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from wangge.areas.models import Region
from wangge.core.api_errors import field_error, query_choice
from wangge.core.numbers import RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.refusals import require
from wangge.sensing import services
from wangge.sensing.cards import mask_card
from wangge.sensing.models import Alert, AlertState, AlertType, Card, Severity
from wangge.sensing.workflow import FLOW

router = Router(tags=["sensing"])


class AlertOut(Schema):
    id: int
    number: str
    type: str
    severity: str
    state: str
    title: str
    grid: str = Field(description="grid code")
    source: str
    device: str | None = Field(None, description="device code")
    person: int | None = None
    house: int | None = None
    building: int | None = None
    first_seen: datetime = Field(description="the first occurrence, by the source's clock (a device's event time)")
    last_seen: datetime = Field(description="the latest occurrence, by the source's clock")
    raised_at: datetime = Field(description="when the platform raised it; escalation counts from here")
    count: int
    version: int
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str
    case: str | None = Field(None, description="case number, when turned into a case")
    details: dict


class AlertDetail(AlertOut):
    allowed_actions: list[str]
    timeline: list[dict]


def _alert_out(alert: Alert) -> dict:
    details = dict(alert.details)
    if details.get("card") and "*" not in str(details["card"]):
        details["card"] = mask_card(str(details["card"]))
    return {
        "id": alert.pk, "number": alert.number, "type": alert.type, "severity": alert.severity,
        "state": alert.state, "title": alert.title, "grid": alert.grid.code, "source": alert.source,
        "device": alert.device.code if alert.device_id else None, "person": alert.person_id,
        "house": alert.house_id, "building": alert.building_id, "first_seen": alert.first_seen,
        "last_seen": alert.last_seen, "raised_at": alert.raised_at, "count": alert.count, "version": alert.version,
        "acknowledged_at": alert.acknowledged_at, "closed_at": alert.closed_at, "resolution": alert.resolution,
        "case": alert.case.number if alert.case_id else None, "details": details,
    }


def _alerts(user):
    return Alert.objects.visible_to(user).select_related("grid", "device", "case")


class AlertFilters(Schema):
    type: str | None = None
    status: str | None = Field(None, description="active, acknowledged, closed, or open (active and acknowledged)")
    severity: str | None = None
    area: str | None = Field(None, description="region code: alerts in that area")


@router.get("/alerts", response=list[AlertOut], summary="Alerts in my area 告警")
@paginate(LimitOffsetPagination)
def list_alerts(request, filters: Query[AlertFilters]):
    """Newest first. Filters: type, status (or "open"), severity, area (a region code in the caller's area)."""
    user = request.user
    require(user, "sensing.view")
    alerts = _alerts(user)
    f = filters
    if f.type:
        alerts = alerts.filter(type=query_choice(f.type, AlertType.values, "type"))
    if f.status:
        status = query_choice(f.status, [*AlertState.values, "open"], "status")
        alerts = alerts.open() if status == "open" else alerts.filter(state=status)
    if f.severity:
        alerts = alerts.filter(severity=query_choice(f.severity, Severity.values, "severity"))
    if f.area:
        region = Region.objects.visible_to(user).filter(code=f.area.strip()[:20]).first()
        if region is None:
            raise Http404
        alerts = alerts.filter(grid__path__startswith=region.path)
    return [_alert_out(a) for a in alerts.order_by("-last_seen", "-id")]


def _one(user, id) -> Alert:
    alert = _alerts(user).filter(pk=id).first()
    if alert is None:
        raise Http404
    return alert


def _detail(user, alert) -> dict:
    events = alert.events.order_by("at", "id")
    return {**_alert_out(alert), "allowed_actions": FLOW.allowed_actions(alert, user),
            "timeline": [{"at": e.at.isoformat(), "action": e.action, "from_state": e.from_state,
                          "to_state": e.to_state, "note": e.note, "details": e.details} for e in events]}


@router.get("/alerts/{int:id}", response=AlertDetail, summary="One alert with its timeline 告警详情")
def get_alert(request, id: RowId):
    require(request.user, "sensing.view")
    return _detail(request.user, _one(request.user, id))


class AlertActionIn(Schema):
    """The version the caller last saw, and the action's own inputs (docs/api/alerts.md)."""

    version: int
    note: str | None = None
    resolution: str | None = Field(None, description="close: true, false_alarm or duplicate")
    category: str | None = Field(None, description="to_case: the case category (5-digit code or id)")
    assignee: int | None = Field(None, description="assign: a user id")
    reached: bool | None = Field(None, description="call: whether the resident answered")
    found_well: bool | None = Field(None, description="visit: whether the resident was found well")


@router.post("/alerts/{int:id}/actions/{action}", response=AlertDetail,
             summary="Act on an alert 告警处置 (确认、关闭、转事件、评论、指派、回访)")
def act_on_alert(request, id: RowId, action: str, payload: AlertActionIn):
    user = request.user
    require(user, "sensing.view")
    alert = _one(user, id)
    params = {name: getattr(payload, name) for name in FLOW.params(action)} if action in FLOW.actions else {}
    for name in ("reached", "found_well"):
        if params.get(name) is not None:
            params[name] = "yes" if params[name] else "no"
    done = services.do_act(user, alert, action, expected_version=payload.version, **params)
    return _detail(user, _one(user, done.pk))


# --- cards ----------------------------------------------------------------------------------------------


class CardOut(Schema):
    id: int
    number: str = Field(description="masked")
    person: int
    house: int
    building: int
    state: str
    issued_at: datetime
    replaces: int | None = None


def _card_out(card: Card) -> dict:
    return {"id": card.pk, "number": mask_card(card.number), "person": card.person_id, "house": card.house_id,
            "building": card.building_id, "state": card.state, "issued_at": card.issued_at,
            "replaces": card.replaces_id}


class CardFilters(Schema):
    person: RowId | None = None
    house: RowId | None = None
    state: str | None = None


@router.get("/cards", response=list[CardOut], summary="Access cards in my area 门禁卡")
@paginate(LimitOffsetPagination)
def list_cards(request, filters: Query[CardFilters]):
    require(request.user, "sensing.view")
    cards = Card.objects.visible_to(request.user)
    if filters.person is not None:
        cards = cards.filter(person_id=filters.person)
    if filters.house is not None:
        cards = cards.filter(house_id=filters.house)
    if filters.state:
        from wangge.sensing.models import CardState

        cards = cards.filter(state=query_choice(filters.state, CardState.values, "state"))
    return [_card_out(c) for c in cards.order_by("-issued_at", "-id")]


class CardIn(Schema):
    person: RowId
    note: str = ""


@router.post("/cards", response={201: CardOut}, summary="Issue a card 发卡")
def issue_card(request, payload: CardIn):
    from wangge.registry.models import Person

    person = Person.objects.visible_to(request.user).filter(pk=payload.person).first()
    if person is None:
        raise field_error("body", "person", _("No such person in your area"))
    return Status(201, _card_out(services.do_issue_card(request.user, person, note=payload.note)))


class CardActionIn(Schema):
    note: str = ""


@router.post("/cards/{int:id}/actions/{action}", response=CardOut,
             summary="Suspend, resume, report lost, revoke or replace a card 停用、恢复、挂失、注销、补卡")
def act_on_card(request, id: RowId, action: str, payload: CardActionIn):
    require(request.user, "sensing.cards")
    card = Card.objects.visible_to(request.user).filter(pk=id).first()
    if card is None:
        raise Http404
    if action == "replace":
        return _card_out(services.do_replace_card(request.user, card, note=payload.note))
    return _card_out(services.do_card_action(request.user, card, action, note=payload.note))


# --- 三个一 coverage ------------------------------------------------------------------------------------


@router.get("/coverage/buildings", summary='Buildings\' "three ones" coverage 一栋楼"三个一"覆盖')
def building_coverage(request, area: str | None = None):
    """One row per child of `area` (a region code; the caller's own area by default) and the total: buildings,
    rental ones, with a building head, with networked door access, with video kept ≥ 30 days, with all three."""
    from wangge.sensing.coverage import coverage

    user = request.user
    require(user, "sensing.view")
    region = None
    if area:
        region = Region.objects.visible_to(user).filter(code=area.strip()[:20]).first()
        if region is None:
            raise Http404
    rows, total = coverage(user, region)
    return {"total": total.as_dict(), "rows": [row.as_dict() for row in rows]}


@router.get("/cards/holders", summary="Card holders by category 持卡人分类统计")
def card_holders(request, area: str | None = None):
    """Active cards' holders per child of `area` (the caller's own by default) and the total: all, by kind
    (registered, floating, separated, overseas), in care groups, and in special groups (only for callers allowed
    to see special groups; otherwise the key is absent)."""
    from wangge.sensing.holders import holders

    user = request.user
    require(user, "sensing.view")
    region = None
    if area:
        region = Region.objects.visible_to(user).filter(code=area.strip()[:20]).first()
        if region is None:
            raise Http404
    rows, total, _special = holders(user, region)
    return {"total": total, "rows": [{"code": child.code, "name": child.name, **counts} for child, counts in rows]}
