"""Operations on cases. Each takes the acting user, checks the workflow table and the actor's area, claims
the row by its version (a stale version is a ConflictError, which the API answers with 409), applies the
change, and writes a timeline row (CaseEvent) and an audit row, all in one transaction.
"""
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wangge.areas.services import locate_point
from wangge.areas.models import Region
from wangge.cases import catalogue, notifications, workflow
from wangge.cases.models import Case, CaseCounter, CaseEvent, Category, Channel, Priority, Rating, State
from wangge.core import audit
from wangge.core.models import Department
from wangge.core.numbering import next_day_number
from wangge.core.personal import checked_phone
from wangge.core.roles import OPERATORS, Role, can
from wangge.core.services import OperationError
from wangge.core.workdays import add_working_days, add_working_hours
from wangge.core.ids import as_row_id

MAX_EXTENSION_DAYS = 30


class ConflictError(OperationError):
    """Someone else changed the case first (optimistic concurrency): reload and try again."""

    def __init__(self):
        super().__init__("事件已被他人修改，请刷新后重试 / the case was changed by someone else; reload", "version")


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
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


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
        raise OperationError("未知事项类别 / unknown category", field="category")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise OperationError("标题为空或过长 / title is empty or too long", field="title")
    priority = priority or category.default_priority
    if priority not in Priority.values:
        raise OperationError(f"unknown priority {priority!r} / 未知优先级", field="priority")
    return category, title, priority


def _create_case(actor, *, channel, category, title, priority, grid, lng, lat, now, description="", address="",
                 reporter_name="", reporter_phone="", anonymous=False, external_id="") -> Case:
    accept_by, handle_by = deadlines(category, priority, now)
    reporter_phone = checked_phone(reporter_phone, "reporter_phone")
    case = Case.objects.create(
        number=_next_number(now), tracking_code=new_tracking_code(), channel=channel, category=category,
        title=title, description=(description or "").strip(), lng=lng, lat=lat, address=(address or "").strip()[:200],
        grid=grid, owner_region=grid, reporter=actor if getattr(actor, "pk", None) else None,
        reporter_name="" if anonymous else (reporter_name or getattr(actor, "full_name", "") or "")[:50],
        reporter_phone="" if anonymous else reporter_phone, anonymous=anonymous,
        external_id=external_id or "", priority=priority, reported_at=now, accept_by=accept_by,
        handle_by=handle_by)
    _record(actor, case, "report", "", State.REPORTED, "", {"channel": channel, "category": category.full_code},
            now)
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
        raise OperationError("未知事项类别 / unknown category", field="category")
    return found


def validate_report(actor, *, category, title, description="", lng=None, lat=None, crs="wgs84", grid=None,
                    channel=Channel.GRID_WORKER, reporter_name="", reporter_phone="", priority=None, address="",
                    external_id="", resolved_on_spot=False) -> dict:
    """Every check do_report_case makes, with nothing written: the cleaned fields for `_create_case`.

    POST /api/v1/cases/validate answers with this alone, so it costs the same reads as a real report."""
    if not can(actor, "cases.report"):
        raise OperationError("not allowed / 无权操作")
    if channel not in Channel.values:
        raise OperationError(f"unknown channel {channel!r} / 未知渠道", field="channel")
    if channel not in CHANNELS_BY_ROLE.get(actor.role, set(Channel.values) - {Channel.CITIZEN}):
        raise OperationError(f"此角色不能从该渠道上报 / role may not report through {channel!r}", field="channel")
    if resolved_on_spot and actor.role != Role.GRID_WORKER:
        raise OperationError("只有网格员可以自行处置 / only grid workers resolve on the spot",
                             field="resolved_on_spot")
    category = _check_category(category)
    category, title, priority = _check_fields(category, title, priority)
    if len(description or "") > 5000:
        raise OperationError("描述过长 / description is too long", field="description")
    external_id = str(external_id or "").strip()
    if len(external_id) > 64:
        raise OperationError("外部编号过长 / external number is too long", field="external_id")
    grid, lng, lat = locate_point(lng, lat, crs, within=actor, grid=grid)
    if external_id and Case.objects.filter(channel=channel, external_id=external_id).exists():
        raise OperationError(f"外部编号 {external_id} 已受理 / already received", field="external_id")
    return dict(channel=channel, category=category, title=title, priority=priority, grid=grid, lng=lng, lat=lat,
                description=description, address=address, reporter_name=reporter_name,
                reporter_phone=checked_phone(reporter_phone, "reporter_phone"), external_id=external_id)


def record_event(actor, case, action: str, *, note: str = "", details=None, now=None) -> None:
    """A timeline and audit row for something that moves no state (photos added, …), in the caller's
    transaction."""
    _record(actor, case, action, case.state, case.state, note, details or {}, now or timezone.now())


def do_report_case(actor, *, category, title, description="", lng=None, lat=None, crs="wgs84", grid=None,
                   channel=Channel.GRID_WORKER, reporter_name="", reporter_phone="", priority=None,
                   address="", external_id="", now=None, resolved_on_spot=False, resolution="",
                   photos=None) -> Case:
    """上报: a new case from staff or a connected system, located to its grid (in the actor's area).

    `resolved_on_spot` (自行处置): a grid worker who dealt with it there and then reports and closes it in one
    transaction; it is closed with `resolution` (else the description), self-resolved and on time.
    `photos` (uploaded files) are checked and re-encoded before anything is written; one bad photo and
    nothing is kept.
    """
    from wangge.cases.photos import clean_photos, remove_files, store_photos

    # Decoding photos is the slow part: done before the transaction takes the write lock.
    cleaned = clean_photos(photos) if photos else []
    now = now or timezone.now()
    stored = []
    try:
        with transaction.atomic():
            fields = validate_report(actor, category=category, title=title, description=description, lng=lng,
                                     lat=lat, crs=crs, grid=grid, channel=channel, reporter_name=reporter_name,
                                     reporter_phone=reporter_phone, priority=priority, address=address,
                                     external_id=external_id, resolved_on_spot=resolved_on_spot)
            case = _create_case(actor, now=now, **fields)
            if cleaned:
                added = store_photos(actor, case, cleaned, "report", now, stored)
                record_event(actor, case, "add_photos", details={"stage": "report", "count": len(added)}, now=now)
            if resolved_on_spot:
                text = (resolution or "").strip() or case.description or "已当场处置 / resolved on the spot"
                case = do_act(actor, case, "self_resolve", expected_version=case.version, now=now,
                              resolution=text)
    except BaseException:
        remove_files(stored)
        raise
    return case


def do_report_public(*, category, title, description="", lng=None, lat=None, crs="wgs84", address="",
                     reporter_name="", reporter_phone="", anonymous=False, channel=Channel.CITIZEN,
                     external_id="", now=None, photos=None) -> Case:
    """群众上报: a case from someone without an account (the portal, Open311). No actor; the point may be
    anywhere the platform has grids. Anonymous reports keep no name or phone. `photos` as in do_report_case."""
    from wangge.cases.photos import clean_photos, remove_files, store_photos

    cleaned = clean_photos(photos) if photos else []
    now = now or timezone.now()
    stored = []
    try:
        with transaction.atomic():
            category, title, _priority = _check_fields(_check_category(category), title, None)
            grid, lng, lat = locate_point(lng, lat, crs)
            case = _create_case(None, channel=channel, category=category, title=title,
                                priority=category.default_priority, grid=grid, lng=lng, lat=lat, now=now,
                                description=description, address=address, reporter_name=reporter_name,
                                reporter_phone=reporter_phone, anonymous=anonymous, external_id=external_id)
            if cleaned:
                added = store_photos(None, case, cleaned, "report", now, stored)
                record_event(None, case, "add_photos", details={"stage": "report", "count": len(added)}, now=now)
    except BaseException:
        remove_files(stored)
        raise
    return case


def do_rate_public(tracking_code: str, *, rating: str, note: str = "", now=None) -> Case:
    """群众评价: the reporter rates their closed case by its tracking code; once only."""
    now = now or timezone.now()
    if rating not in Rating.values:
        raise OperationError("评价应为 满意/基本满意/不满意 / unknown rating", field="rating")
    with transaction.atomic():
        case = Case.objects.filter(tracking_code=str(tracking_code or "").strip().upper()).first()
        if case is None:
            raise OperationError("查询码不存在 / unknown tracking code", field="tracking_code")
        if case.state != State.CLOSED:
            raise OperationError("事件尚未办结，办结后才能评价 / the case is not closed yet", field="rating")
        claimed = Case.objects.filter(pk=case.pk, state=State.CLOSED, rating="").update(
            rating=rating, rating_note=(note or "").strip()[:500], rated_at=now, version=F("version") + 1)
        if not claimed:
            raise OperationError("已评价 / already rated", field="rating")
        case.refresh_from_db()
        _record(None, case, "rate", State.CLOSED, State.CLOSED, case.rating_note, {"rating": rating, "by": "citizen"},
                now, actor_name="citizen")
    return case


def _record(actor, case, action, from_state, to_state, note, details, now, actor_name=None):
    actor_name = actor_name or getattr(actor, "username", "") or ("citizen" if case.channel == Channel.CITIZEN
                                                                   else "system")
    event = CaseEvent.objects.create(case=case, at=now, actor=actor if getattr(actor, "pk", None) else None,
                                     actor_name=actor_name, action=action, from_state=from_state, to_state=to_state,
                                     note=note, details=details)
    audit.record(actor, f"cases.{action}", case, from_state=from_state, to_state=to_state, note=note, **details)
    # Who hears about it (assignee, operators, the reporter) is decided after the commit, never inside it.
    if notifications.may_notify(action, case):
        transaction.on_commit(lambda: notifications.case_event(event.pk))


def _text(params, name, label):
    value = str(params.get(name) or "").strip()
    if not value:
        raise OperationError(f"请填写{label} / {name} is required", field=name)
    return value


def _days(params):
    try:
        days = int(params.get("days"))
    except (TypeError, ValueError):
        raise OperationError("延期天数须为整数 / days must be a whole number", field="days") from None
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise OperationError(f"延期天数须在 1–{MAX_EXTENSION_DAYS} 之间 / days out of range", field="days")
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
        raise OperationError("派往部门或下级，只选其一 / dispatch to a department or a region, not both",
                             field="department")
    if department is None and region is None:
        found = departments_for(case)
        if not found:
            raise OperationError("该类别没有承办部门，请指定 / no department for this category; choose one",
                                 field="department")
        department = found[0]
    if department is not None:
        if not isinstance(department, Department):
            department = Department.objects.filter(pk=department).select_related("region").first()
        if department is None or not case.grid.path.startswith(department.region.path):
            raise OperationError("部门不服务该区域 / the department does not serve this area", field="department")
        case.assignee_department, case.assignee_region = department, None
        target = {"department": department.code}
    else:
        if not isinstance(region, Region):
            region = Region.objects.filter(pk=region).first()
        if (region is None or not actor.region_id or region.pk == actor.region_id
                or not region.path.startswith(actor.region.path) or not case.grid.path.startswith(region.path)):
            raise OperationError("只能派往本级以下、事件所在的区域 / dispatch to a lower level holding the case",
                                 field="region")
        case.assignee_department, case.assignee_region = None, region
        target = {"region": region.code}
    case.dispatched_at = now
    # The accept clock (签收时限) starts when the case reaches the assignee.
    case.accept_by = add_working_hours(now, case.category.accept_within_hours)
    case.unsigned_flagged_at = None
    return "", target


def _apply(action, actor, case, params, now) -> tuple[str, dict]:
    """Apply one action's side effects to `case`; returns (note, details) for the timeline."""
    if action == "register":
        case.registered_at = now
        return str(params.get("note") or ""), {}
    if action == "reject":
        reason = _text(params, "reason", "不予立案理由")
        case.resolution, case.closed_at = reason, now
        return reason, {}
    if action == "dispatch":
        return _apply_dispatch(actor, case, params, now)
    if action == "accept":
        case.accepted_at = now
        return "", {}
    if action == "return":
        reason = _text(params, "reason", "退回理由")
        returned_by = case.assignee_department.code if case.assignee_department_id else case.assignee_region.code
        case.assignee_department = case.assignee_region = None
        case.accepted_at = None
        case.extension_requested_days = None
        case.return_count, case.returned_at = case.return_count + 1, now
        return reason, {"returned_by": returned_by}
    if action == "request_extension":
        days, reason = _days(params), _text(params, "reason", "延期理由")
        case.extension_requested_days = days
        return reason, {"days": days}
    if action == "approve_extension":
        days = case.extension_requested_days
        old = case.handle_by
        case.handle_by = add_working_days(old or now, days)
        case.overdue_flagged_at = None  # the new deadline is watched afresh
        case.extension_requested_days, case.extension_count = None, case.extension_count + 1
        return str(params.get("note") or ""), {"days": days, "handle_by": case.handle_by.isoformat()}
    if action == "deny_extension":
        days, case.extension_requested_days = case.extension_requested_days, None
        return _text(params, "reason", "不予延期理由"), {"days": days}
    if action == "handle":
        case.resolution, case.handled_at = _text(params, "feedback", "处置情况"), now
        return case.resolution, {}
    if action == "verify_close":
        case.closed_at = now
        case.on_time = case.handle_by is None or now <= case.handle_by
        return str(params.get("note") or ""), {"on_time": case.on_time}
    if action == "verify_rework":
        reason = _text(params, "reason", "返工理由")
        case.rework_count += 1
        case.handled_at = None
        case.dispatched_at = now
        case.accept_by = add_working_hours(now, case.category.accept_within_hours)
        case.unsigned_flagged_at = None
        return reason, {"rework_count": case.rework_count}
    if action == "escalate":
        owner = case.owner_region or case.grid
        case.owner_region = owner.parent
        case.registered_at = None
        return str(params.get("reason") or ""), {"from": owner.code, "to": owner.parent.code}
    if action in ("supervise", "urge"):
        if action == "supervise":
            case.supervise_count += 1
        return _text(params, "note", "督办/催办意见"), {}
    if action == "merge":
        original = params.get("into")
        if not isinstance(original, Case):
            original = Case.objects.filter(pk=original).first()
        if (original is None or original.pk == case.pk
                or not Case.objects.visible_to(actor).filter(pk=original.pk).exists()):
            raise OperationError("原事件不存在或不在辖区内 / original case not found in your area", field="into")
        if original.state in (State.MERGED, State.REJECTED):
            raise OperationError("不能并入已合并或不予立案的事件 / cannot merge into that case", field="into")
        case.merged_into, case.closed_at = original, now
        return "", {"into": original.number}
    if action == "rate":
        rating = params.get("rating")
        if rating not in Rating.values:
            raise OperationError("评价应为 满意/基本满意/不满意 / unknown rating", field="rating")
        case.rating, case.rated_at = rating, now
        case.rating_note = str(params.get("note") or "").strip()[:500]
        return str(params.get("note") or ""), {"rating": rating}
    if action == "self_resolve":
        case.resolution = _text(params, "resolution", "处置情况")
        case.self_resolved, case.on_time = True, True
        case.handled_at = case.closed_at = now
        return case.resolution, {}
    raise AssertionError(f"no effect written for {action!r}")  # the table and this function must agree


def do_act(actor, case, action: str, *, expected_version: int, now=None, **params) -> Case:
    """Take `action` on `case` (the workflow table decides), as of `expected_version`. Returns the new row."""
    now = now or timezone.now()
    with transaction.atomic():
        # Outside the area answers as not found, before the version can tell anything.
        if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
            raise workflow.WorkflowError("事件不在辖区内 / the case is outside your area", "area")
        claimed = Case.objects.filter(pk=case.pk, version=expected_version).update(version=F("version") + 1)
        if not claimed:
            raise ConflictError()
        fresh = Case.objects.select_related("category", "grid", "owner_region", "assignee_department",
                                            "assignee_region").get(pk=case.pk)
        transition = workflow.check(fresh, actor, action)
        from_state = fresh.state
        note, details = _apply(action, actor, fresh, params, now)
        if transition.to_state is not None:
            fresh.state = transition.to_state
        fresh.save()
        _record(actor, fresh, action, from_state, fresh.state, note, details, now)
    return fresh
