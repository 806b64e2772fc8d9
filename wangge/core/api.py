"""API for the signed-in user and the audit log."""
from datetime import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError

from wangge.core import notify
from wangge.core.api_errors import field_error
from wangge.core.models import AuditEntry, Notification, User
from wangge.core.numbers import RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.roles import can
from wangge.core.schemas import MaskedPhone
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import NotAllowed, OperationError, do_reveal, revealable_model

router = Router(tags=["core"])


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    region_code: str | None
    department: str | None

    @staticmethod
    def resolve_region_code(user):
        return user.region.code if user.region_id else None

    @staticmethod
    def resolve_department(user):
        return user.department.name if user.department_id else None


class AuditOut(Schema):
    id: int
    at: datetime
    actor_name: str
    operation: str
    object_type: str
    object_id: str
    object_repr: str
    details: dict


@router.get("/me", response=MeOut, summary="Who am I 当前用户")
def me(request):
    return request.user


class StaffOut(MeOut, MaskedPhone):
    phone: str  # masked


@router.get("/staff", response=list[StaffOut], summary="Staff in my area 辖区工作人员")
@paginate(LimitOffsetPagination)
def staff(request, role: str | None = None, region: str | None = None):
    if not can(request.user, "staff.view"):
        raise HttpError(403, "not allowed / 无权查看")
    users = User.objects.visible_to(request.user).select_related("region", "department").filter(is_active=True)
    if role:
        users = users.filter(role=role)
    if region:
        users = users.filter(region__code=region)
    return users.order_by("username")


class RevealIn(Schema):
    object: str  # "app_label.model", e.g. "areas.gridteammember"
    id: int
    field: str
    reason: str


@router.post("/reveal", summary="Reveal one personal value, with a reason (logged) 查看完整个人信息")
def reveal(request, payload: RevealIn):
    try:
        model = revealable_model(payload.object)
        obj = get_visible_or_404(model, request.user, pk=payload.id)
        return {"value": do_reveal(request.user, obj, payload.field, payload.reason)}
    except NotAllowed:
        raise  # the role: 403, as everywhere (core/refusals.py)
    except OperationError as exc:
        raise field_error("body", exc.field or "object", exc.message)


@router.get("/audit", response=list[AuditOut], summary="The audit log (administrators) 审计日志")
@paginate(LimitOffsetPagination)
def audit_log(request, operation: str | None = None, actor: str | None = None, object_type: str | None = None,
              object_id: str | None = None, since: datetime | None = None, until: datetime | None = None):
    entries = AuditEntry.objects.visible_to(request.user)
    filters = {"operation": operation, "actor_name": actor, "object_type": object_type, "object_id": object_id,
               "at__gte": since, "at__lt": until}
    return entries.filter(**{k: v for k, v in filters.items() if v is not None})


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response=list[NotificationOut], summary="My messages 我的消息")
@paginate(LimitOffsetPagination)
def notifications(request, unread: bool = False):
    """The signed-in user's own in-app messages, newest first; `unread=true` for the unread ones only."""
    messages = Notification.objects.filter(recipient=request.user)
    return messages.unread() if unread else messages


@router.post("/notifications/read-all", summary="Mark all my messages read 全部标为已读")
def notifications_read_all(request):
    return {"marked": notify.do_mark_all_read(request.user)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut,
             summary="Mark one of my messages read 标为已读")
def notification_read(request, notification_id: RowId):
    try:
        return notify.do_mark_read(request.user, notification_id)
    except Notification.DoesNotExist:
        raise Http404("no such message / 消息不存在") from None
