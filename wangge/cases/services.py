"""Operations on cases. Each takes the acting user and runs in one transaction with a timeline row (CaseEvent)
and an audit row. Workflow actions go through the engine (`do_act` is `workflow.FLOW.act`: area, version claim,
the table's check, the effect registered below, timeline, audit, notifications after the commit).
"""
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.areas.models import Region
from wangge.areas.services import locate_point
from wangge.cases import catalogue
from wangge.cases.models import Case, CaseCounter, Category, Channel, PhotoStage, Priority, Rating, State
from wangge.cases.photos import attach_photos, clean_photos, photo_transaction
from wangge.cases.workflow import FLOW
from wangge.core.ids import as_row_id
from wangge.core.models import Department
from wangge.core.numbering import next_day_number
from wangge.core.personal import checked_phone
from wangge.core.roles import OPERATORS, Role, can
from wangge.core.services import OperationError
from wangge.core.workdays import add_working_days, add_working_hours

MAX_EXTENSION_DAYS = 30


def deadlines(category: Category, priority: str, start):
    """(accept_by, handle_by) from the category's limits, in working hours and working days."""
    days = category.urgent_handle_within_days if priority == Priority.URGENT else category.handle_within_days
    return add_working_hours(start, category.accept_within_hours), add_working_days(start, days)


def _next_number(now) -> str:
    """WG + date + a 6-digit sequence of the day (wangge.core.numbering)."""
    return next_day_number(CaseCounter, "WG", now)


# Letters and digits that cannot be misread over the phone (no 0/O, 1/I/L).
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _position in range(10))


# Which channels each reporting role may use; citizens come through do_report_public.
CHANNELS_BY_ROLE = {
    Role.GRID_WORKER: {Channel.GRID_WORKER},
    Role.SYSTEM: {Channel.DEVICE, Channel.OTHER_SYSTEM},
    **{role: {Channel.GRID_WORKER, Channel.HOTLINE_12345, Channel.LEADER, Channel.OTHER_SYSTEM}
       for role in OPERATORS},
}


def _check_fields(category, title, priority):
    if not isinstance(category, Category):
        try:
            category = Category.objects.select_related("major").filter(pk=int(category), active=True).first()
        except (TypeError, ValueError):
            category = None
    if category is None or not category.active:
        raise OperationError(_("unknown category"), field="category")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise OperationError(_("title is empty or too long"), field="title")
    priority = priority or category.default_priority
    if priority not in Priority.values:
        raise OperationError(_("Unknown priority %(priority)s") % {"priority": repr(priority)}, field="priority")
    return category, title, priority


def _create_case(actor, *, channel, category, title, priority, grid, lng, lat, now, description="", address="",
                 reporter_name="", reporter_phone="", anonymous=False, external_id="", submission_key="") -> Case:
    accept_by, handle_by = deadlines(category, priority, now)
    reporter_phone = checked_phone(reporter_phone, "reporter_phone")
    case = Case.objects.create(
        number=_next_number(now), tracking_code=new_tracking_code(), channel=channel, category=category,
        title=title, description=(description or "").strip(), lng=lng, lat=lat, address=(address or "").strip()[:200],
        grid=grid, owner_region=grid, reporter=actor if getattr(actor, "pk", None) else None,
        reporter_name="" if anonymous else (reporter_name or getattr(actor, "full_name", "") or "")[:50],
        reporter_phone="" if anonymous else reporter_phone, anonymous=anonymous,
        external_id=external_id or "", priority=priority, reported_at=now, accept_by=accept_by,
        handle_by=handle_by, submission_key=submission_key)
    FLOW.record(actor, case, "report", from_state="", to_state=State.REPORTED,
                details={"channel": channel, "category": category.full_code}, now=now)
    return case


def default_channel(actor) -> str:
    """The channel a report comes through when the caller does not say: a system's own feed, a grid worker's
    patrol, an operator's entry (most often a 12345 work order)."""
    role = getattr(actor, "role", None)
    if role == Role.SYSTEM:
        return Channel.OTHER_SYSTEM
    if role in OPERATORS:
        return Channel.HOTLINE_12345
    return Channel.GRID_WORKER


def _check_category(category) -> Category:
    """A category given as a row, an id (a number) or a 5-digit full code (the string "01001")."""
    if isinstance(category, Category):
        return category
    if isinstance(category, int) and not isinstance(category, bool):
        return _check_fields(category, "-", None)[0]
    text = str(category or "").strip()
    found = None
    if len(text) == 5 and text.isdigit():
        found = catalogue.active_by_code(text)
    elif text.isdigit():
        found = Category.objects.select_related("major").filter(pk=as_row_id(text), active=True).first()
    if found is None:
        raise OperationError(_("unknown category"), field="category")
    return found


def validate_report(actor, *, category, title, description="", lng=None, lat=None, crs="wgs84", grid=None,
                    channel=Channel.GRID_WORKER, reporter_name="", reporter_phone="", priority=None, address="",
                    external_id="", resolved_on_spot=False, from_alert=False) -> dict:
    """Every check do_report_case makes, with nothing written: the cleaned fields for `_create_case`.

    `from_alert`: a device alert turned into a case (sensing) comes through the device channel, whoever turns it.

    POST /api/v1/cases/validate answers with this alone, so it costs the same reads as a real report."""
    if not can(actor, "cases.report"):
        raise OperationError(_("not allowed"))
    if channel not in Channel.values:
        raise OperationError(_("Unknown channel %(channel)s") % {"channel": repr(channel)}, field="channel")
    allowed = CHANNELS_BY_ROLE.get(actor.role, set(Channel.values) - {Channel.CITIZEN})
    if channel not in (allowed | {Channel.DEVICE} if from_alert else allowed):
        raise OperationError(_("This role may not report through the channel %(channel)s") % {"channel": channel},
                             field="channel")
    if resolved_on_spot and actor.role != Role.GRID_WORKER:
        raise OperationError(_("only grid workers resolve on the spot"),
                             field="resolved_on_spot")
    category = _check_category(category)
    category, title, priority = _check_fields(category, title, priority)
    if len(description or "") > 5000:
        raise OperationError(_("description is too long"), field="description")
    external_id = str(external_id or "").strip()
    if len(external_id) > 64:
        raise OperationError(_("external number is too long"), field="external_id")
    grid, lng, lat = locate_point(lng, lat, crs, within=actor, grid=grid)
    if external_id and Case.objects.filter(channel=channel, external_id=external_id).exists():
        raise OperationError(_("External number %(number)s was received already") % {"number": external_id},
                             field="external_id")
    return dict(channel=channel, category=category, title=title, priority=priority, grid=grid, lng=lng, lat=lat,
                description=description, address=address, reporter_name=reporter_name,
                reporter_phone=checked_phone(reporter_phone, "reporter_phone"), external_id=external_id)


def record_event(actor, case, action: str, *, note: str = "", details=None, now=None) -> None:
    """A timeline and audit row for something that moves no state (photos added, …), in the caller's
    transaction."""
    FLOW.record(actor, case, action, note=note, details=details, now=now)


def do_report_case(actor, *, category, title, description="", lng=None, lat=None, crs="wgs84", grid=None,
                   channel=Channel.GRID_WORKER, reporter_name="", reporter_phone="", priority=None,
                   address="", external_id="", now=None, resolved_on_spot=False, resolution="",
                   photos=None, submission_key="", from_alert=False) -> Case:
    """上报: a new case from staff or a connected system, located to its grid (in the actor's area).

    `submission_key` (the report form's one-time key): the same key from the same reporter again answers the
    case the first submit made, and makes nothing (a double tap, a retry after a lost answer).

    `resolved_on_spot` (自行处置): a grid worker who dealt with it there and then reports and closes it in one
    transaction; it is closed with `resolution` (else the description), self-resolved and on time.
    `photos` (uploaded files) are checked and re-encoded before anything is written; one bad photo and
    nothing is kept.
    """
    submission_key = (submission_key or "")[:40]
    earlier = _submitted(actor, submission_key)
    if earlier is not None:
        return earlier
    # Decoding photos is the slow part: done before the transaction takes the write lock.
    cleaned = clean_photos(photos) if photos else []
    now = now or timezone.now()
    try:
        return _report_case(actor, cleaned, now, submission_key, resolution, category=category, title=title,
                            description=description, lng=lng, lat=lat, crs=crs, grid=grid, channel=channel,
                            reporter_name=reporter_name, reporter_phone=reporter_phone, priority=priority,
                            address=address, external_id=external_id, resolved_on_spot=resolved_on_spot,
                            from_alert=from_alert)
    except IntegrityError:
        earlier = _submitted(actor, submission_key)  # the same form, submitted twice at once: the first one
        if earlier is None:
            raise
        return earlier


def _submitted(actor, submission_key):
    if not submission_key or getattr(actor, "pk", None) is None:
        return None
    return Case.objects.filter(reporter=actor, submission_key=submission_key).first()


def _report_case(actor, cleaned, now, submission_key, resolution, **given) -> Case:
    resolved_on_spot = given["resolved_on_spot"]
    with photo_transaction() as stored:
        fields = validate_report(actor, **given)
        case = _create_case(actor, now=now, submission_key=submission_key if actor is not None else "", **fields)
        if cleaned:
            attach_photos(actor, case, cleaned, PhotoStage.REPORT, now, stored, checked=False)
        if resolved_on_spot:
            text = (resolution or "").strip() or case.description or _("resolved on the spot")
            case = do_act(actor, case, "self_resolve", expected_version=case.version, now=now, resolution=text)
    return case


def do_report_public(*, category, title, description="", lng=None, lat=None, crs="wgs84", address="",
                     reporter_name="", reporter_phone="", anonymous=False, channel=Channel.CITIZEN,
                     external_id="", now=None, photos=None, submission_key="") -> Case:
    """群众上报: a case from someone without an account (the portal, Open311). No actor; the point may be
    anywhere the platform has grids. Anonymous reports keep no name or phone. `photos` as in do_report_case;
    `submission_key` as there too (the portal form's one-time key, unique among reports without a reporter)."""
    submission_key = (submission_key or "")[:40]
    earlier = _submitted_public(submission_key)
    if earlier is not None:
        return earlier
    try:
        return _report_public(category=category, title=title, description=description, lng=lng, lat=lat, crs=crs,
                              address=address, reporter_name=reporter_name, reporter_phone=reporter_phone,
                              anonymous=anonymous, channel=channel, external_id=external_id, now=now,
                              photos=photos, submission_key=submission_key)
    except IntegrityError:
        earlier = _submitted_public(submission_key)  # the same form twice at once: the first one's case
        if earlier is None:
            raise
        return earlier


def _submitted_public(submission_key):
    if not submission_key:
        return None
    return Case.objects.filter(reporter__isnull=True, submission_key=submission_key).first()


def _report_public(*, category, title, description, lng, lat, crs, address, reporter_name, reporter_phone,
                   anonymous, channel, external_id, now, photos, submission_key) -> Case:
    cleaned = clean_photos(photos) if photos else []
    now = now or timezone.now()
    with photo_transaction() as stored:
        category, title, _priority = _check_fields(_check_category(category), title, None)
        grid, lng, lat = locate_point(lng, lat, crs)
        case = _create_case(None, channel=channel, category=category, title=title,
                            priority=category.default_priority, grid=grid, lng=lng, lat=lat, now=now,
                            description=description, address=address, reporter_name=reporter_name,
                            reporter_phone=reporter_phone, anonymous=anonymous, external_id=external_id,
                            submission_key=submission_key)
        if cleaned:
            attach_photos(None, case, cleaned, PhotoStage.REPORT, now, stored, checked=False)
    return case


def do_rate_public(tracking_code: str, *, rating: str, note: str = "", now=None) -> Case:
    """群众评价: the reporter rates their closed case by its tracking code; once only."""
    now = now or timezone.now()
    if rating not in Rating.values:
        raise OperationError(_("unknown rating"), field="rating")
    with transaction.atomic():
        case = Case.objects.filter(tracking_code=str(tracking_code or "").strip().upper()).first()
        if case is None:
            raise OperationError(_("unknown tracking code"), field="tracking_code")
        if case.state != State.CLOSED:
            raise OperationError(_("the case is not closed yet"), field="rating")
        claimed = Case.objects.filter(pk=case.pk, state=State.CLOSED, rating="").update(
            rating=rating, rating_note=(note or "").strip()[:500], rated_at=now, version=F("version") + 1)
        if not claimed:
            raise OperationError(_("already rated"), field="rating")
        case.refresh_from_db()
        FLOW.record(None, case, "rate", note=case.rating_note, details={"rating": rating, "by": "citizen"}, now=now,
                    actor_name="citizen")
    return case


# What each input is called in a refusal ("请填写退回理由"), translated like every message.
LABEL = {
    "reject": pgettext_lazy("case input", "reason for not registering"),
    "return": pgettext_lazy("case input", "reason for returning"),
    "extend": pgettext_lazy("case input", "reason for the extension"),
    "refuse": pgettext_lazy("case input", "reason for refusing the extension"),
    "done": pgettext_lazy("case input", "what was done"),
    "rework": pgettext_lazy("case input", "reason for the rework"),
    "supervise": pgettext_lazy("case input", "supervision note"),
}


def _text(params, name, label):
    value = str(params.get(name) or "").strip()
    if not value:
        raise OperationError(_("Please fill in the %(label)s") % {"label": label}, field=name)
    return value


def _days(params):
    try:
        days = int(params.get("days"))
    except (TypeError, ValueError):
        raise OperationError(_("days must be a whole number"), field="days") from None
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise OperationError(_("The extension must be 1 to %(max)s days") % {"max": MAX_EXTENSION_DAYS}, field="days")
    return days


def departments_for(case) -> list[Department]:
    """The category's departments serving the case's area: pinned rows first, else rows by code."""
    serving = [d for d in case.category.departments.select_related("region")
               if case.grid.path.startswith(d.region.path)]
    if serving:
        return serving
    by_code = {d.code: d for d in Department.objects.filter(code__in=case.category.department_codes)
               .select_related("region") if case.grid.path.startswith(d.region.path)}
    return [by_code[code] for code in case.category.department_codes if code in by_code]


def _apply_dispatch(actor, case, params, now):
    department, region = params.get("department"), params.get("region")
    if department is not None and region is not None:
        raise OperationError(_("dispatch to a department or a region, not both"),
                             field="department")
    if department is None and region is None:
        found = departments_for(case)
        if not found:
            raise OperationError(_("no department for this category; choose one"),
                                 field="department")
        department = found[0]
    if department is not None:
        if not isinstance(department, Department):
            department = Department.objects.filter(pk=department).select_related("region").first()
        if department is None or not case.grid.path.startswith(department.region.path):
            raise OperationError(_("the department does not serve this area"), field="department")
        case.assignee_department, case.assignee_region = department, None
        target = {"department": department.code}
    else:
        if not isinstance(region, Region):
            region = Region.objects.filter(pk=region).first()
        if (region is None or not actor.region_id or region.pk == actor.region_id
                or not region.path.startswith(actor.region.path) or not case.grid.path.startswith(region.path)):
            raise OperationError(_("dispatch to a lower level holding the case"),
                                 field="region")
        case.assignee_department, case.assignee_region = None, region
        target = {"region": region.code}
    case.dispatched_at = now
    # The accept clock (签收时限) starts when the case reaches the assignee.
    case.accept_by = add_working_hours(now, case.category.accept_within_hours)
    case.unsigned_flagged_at = None
    # The dispatcher's instructions (派遣意见) go with the case: on its timeline and in the assignee's message.
    return str(params.get("note") or "").strip()[:1000], target


# --- the effects of the workflow's actions (see wangge/core/workflow.py) --------------------------------
# Each takes (actor, case, params, now), changes the fresh row the engine claimed and returns the timeline's
# (note, details); OperationError names the input at fault and rolls everything back.

FLOW.effect("dispatch")(_apply_dispatch)


@FLOW.effect("register")
def _register(actor, case, params, now):
    case.registered_at = now
    return str(params.get("note") or ""), {}


@FLOW.effect("reject")
def _reject(actor, case, params, now):
    reason = _text(params, "reason", LABEL["reject"])
    case.resolution, case.closed_at = reason, now
    return reason, {}


@FLOW.effect("accept")
def _accept(actor, case, params, now):
    case.accepted_at = now
    return "", {}


@FLOW.effect("return")
def _return(actor, case, params, now):
    reason = _text(params, "reason", LABEL["return"])
    returned_by = case.assignee_department.code if case.assignee_department_id else case.assignee_region.code
    case.assignee_department = case.assignee_region = None
    case.accepted_at = None
    case.extension_requested_days = None
    case.return_count, case.returned_at = case.return_count + 1, now
    return reason, {"returned_by": returned_by}


@FLOW.effect("request_extension")
def _request_extension(actor, case, params, now):
    days, reason = _days(params), _text(params, "reason", LABEL["extend"])
    case.extension_requested_days = days
    return reason, {"days": days}


@FLOW.effect("approve_extension")
def _approve_extension(actor, case, params, now):
    days = case.extension_requested_days
    case.handle_by = add_working_days(case.handle_by or now, days)
    case.overdue_flagged_at = None  # the new deadline is watched afresh
    case.extension_requested_days, case.extension_count = None, case.extension_count + 1
    return str(params.get("note") or ""), {"days": days, "handle_by": case.handle_by.isoformat()}


@FLOW.effect("deny_extension")
def _deny_extension(actor, case, params, now):
    days, case.extension_requested_days = case.extension_requested_days, None
    return _text(params, "reason", LABEL["refuse"]), {"days": days}


@FLOW.effect("handle")
def _handle(actor, case, params, now):
    case.resolution, case.handled_at = _text(params, "feedback", LABEL["done"]), now
    return case.resolution, {}


@FLOW.effect("verify_close")
def _verify_close(actor, case, params, now):
    case.closed_at = now
    case.on_time = case.handle_by is None or now <= case.handle_by
    return str(params.get("note") or ""), {"on_time": case.on_time}


@FLOW.effect("verify_rework")
def _verify_rework(actor, case, params, now):
    reason = _text(params, "reason", LABEL["rework"])
    case.rework_count += 1
    case.handled_at = None
    case.dispatched_at = now
    case.accept_by = add_working_hours(now, case.category.accept_within_hours)
    case.unsigned_flagged_at = None
    return reason, {"rework_count": case.rework_count}


@FLOW.effect("escalate")
def _escalate(actor, case, params, now):
    owner = case.owner_region or case.grid
    case.owner_region = owner.parent
    case.registered_at = None
    return str(params.get("reason") or ""), {"from": owner.code, "to": owner.parent.code}


@FLOW.effect("supervise")
def _supervise(actor, case, params, now):
    case.supervise_count += 1
    return _urge(actor, case, params, now)


@FLOW.effect("urge")
def _urge(actor, case, params, now):
    return _text(params, "note", LABEL["supervise"]), {}


@FLOW.effect("merge")
def _merge(actor, case, params, now):
    original = params.get("into")
    if not isinstance(original, Case):
        original = Case.objects.filter(pk=original).first()
    if (original is None or original.pk == case.pk
            or not Case.objects.visible_to(actor).filter(pk=original.pk).exists()):
        raise OperationError(_("original case not found in your area"), field="into")
    if original.state in (State.MERGED, State.REJECTED):
        raise OperationError(_("cannot merge into that case"), field="into")
    case.merged_into, case.closed_at = original, now
    return "", {"into": original.number}


@FLOW.effect("rate")
def _rate(actor, case, params, now):
    rating = params.get("rating")
    if rating not in Rating.values:
        raise OperationError(_("unknown rating"), field="rating")
    case.rating, case.rated_at = rating, now
    case.rating_note = str(params.get("note") or "").strip()[:500]
    return str(params.get("note") or ""), {"rating": rating}


@FLOW.effect("self_resolve")
def _self_resolve(actor, case, params, now):
    case.resolution = _text(params, "resolution", LABEL["done"])
    case.self_resolved, case.on_time = True, True
    case.handled_at = case.closed_at = now
    return case.resolution, {}


FLOW.assert_complete()


# Actions that may carry photos, and the stage the photos are kept under.
PHOTO_STAGES = {"handle": PhotoStage.HANDLE, "verify_close": PhotoStage.VERIFY, "verify_rework": PhotoStage.VERIFY}


def do_register_and_dispatch(actor, case, *, expected_version: int, note: str = "", department=None, region=None,
                             instructions: str = "", now=None) -> Case:
    """立案并派遣: register the case and dispatch it, in one transaction (two timeline rows, two audit rows; the
    reporter hears of the registration and the assignee of the dispatch once it commits). Refused as a whole:
    a dispatch that cannot be made leaves the case unregistered."""
    now = now or timezone.now()
    with transaction.atomic():
        registered = FLOW.act(actor, case, "register", expected_version, now=now, note=note)
        params = {"note": instructions}
        if department is not None:
            params["department"] = department
        if region is not None:
            params["region"] = region
        return FLOW.act(actor, registered, "dispatch", registered.version, now=now, **params)


def do_act(actor, case, action: str, *, expected_version: int, now=None, photos=None, **params) -> Case:
    """Take `action` on `case` (the workflow table decides), as of `expected_version`. Returns the new row.

    `photos` (uploaded files; handle and verify actions only): checked and re-encoded before the transaction,
    then stored with the action in the same transaction, so the action and its photos happen together or not
    at all."""
    if not photos:
        return FLOW.act(actor, case, action, expected_version, now=now, **params)
    if action not in PHOTO_STAGES:
        raise OperationError(_("this action takes no photos"), field="photos")
    cleaned = clean_photos(photos)  # not an image, too large, too many: refused before anything changes
    now = now or timezone.now()
    with photo_transaction() as stored:
        fresh = FLOW.act(actor, case, action, expected_version, now=now, **params)
        attach_photos(actor, fresh, cleaned, PHOTO_STAGES[action], now, stored)
    return fresh
