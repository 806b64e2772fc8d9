"""Operations on cases. Each takes the acting user, checks the workflow table and the actor's area, claims
the row by its version (a stale version is a ConflictError, which the API answers with 409), applies the
change, and writes a timeline row (CaseEvent) and an audit row, all in one transaction.
"""
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wangge.areas.models import Region
from wangge.cases import workflow
from wangge.cases.models import Case, CaseEvent, Category, Channel, Priority, Rating, State
from wangge.core import audit
from wangge.core.models import Department
from wangge.core.roles import can
from wangge.core.services import OperationError
from wangge.core.workdays import add_working_days, add_working_hours

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
    prefix = f"WG{timezone.localtime(now):%Y%m%d}"
    last = Case.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:06d}"


@transaction.atomic
def do_report_case(actor, *, category, title, description="", lng=None, lat=None, crs="wgs84", grid=None,
                   channel=Channel.GRID_WORKER, reporter_name="", reporter_phone="", priority=None,
                   address="", now=None) -> Case:
    """上报: a new case, located to its grid, with its deadlines from the category."""
    from wangge.registry.services import locate_grid

    if not can(actor, "cases.report"):
        raise OperationError("not allowed / 无权操作")
    if channel not in Channel.values:
        raise OperationError(f"unknown channel {channel!r} / 未知渠道", field="channel")
    if not isinstance(category, Category):
        category = Category.objects.filter(pk=category, active=True).first()
    if category is None or not category.active:
        raise OperationError("未知事项类别 / unknown category", field="category")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise OperationError("标题为空或过长 / title is empty or too long", field="title")
    priority = priority or category.default_priority
    if priority not in Priority.values:
        raise OperationError(f"unknown priority {priority!r} / 未知优先级", field="priority")
    grid, lng, lat = locate_grid(actor, lng, lat, crs, grid)
    now = now or timezone.now()
    accept_by, handle_by = deadlines(category, priority, now)
    case = Case.objects.create(
        number=_next_number(now), channel=channel, category=category, title=title,
        description=(description or "").strip(), lng=lng, lat=lat, address=address, grid=grid, owner_region=grid,
        reporter=actor, reporter_name=reporter_name or getattr(actor, "full_name", ""),
        reporter_phone=reporter_phone, priority=priority, reported_at=now, accept_by=accept_by,
        handle_by=handle_by)
    _record(actor, case, "report", "", State.REPORTED, "", {"channel": channel, "category": category.full_code},
            now)
    return case


def _record(actor, case, action, from_state, to_state, note, details, now):
    CaseEvent.objects.create(case=case, at=now, actor=actor if getattr(actor, "pk", None) else None,
                             actor_name=getattr(actor, "username", "") or "system", action=action,
                             from_state=from_state, to_state=to_state, note=note, details=details)
    audit.record(actor, f"cases.{action}", case, from_state=from_state, to_state=to_state, note=note, **details)


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
        return reason, {"returned_by": returned_by}
    if action == "request_extension":
        days, reason = _days(params), _text(params, "reason", "延期理由")
        case.extension_requested_days = days
        return reason, {"days": days}
    if action == "approve_extension":
        days = case.extension_requested_days
        old = case.handle_by
        case.handle_by = add_working_days(old or now, days)
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
        return reason, {"rework_count": case.rework_count}
    if action == "escalate":
        owner = case.owner_region or case.grid
        case.owner_region = owner.parent
        case.registered_at = None
        return str(params.get("reason") or ""), {"from": owner.code, "to": owner.parent.code}
    if action in ("supervise", "urge"):
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
        case.rating = rating
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
