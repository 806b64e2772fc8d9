"""API for the signed-in user and the audit log."""
from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from ninja.errors import HttpError

from wangge.core.models import AuditEntry, User
from wangge.core.personal import mask_phone
from wangge.core.api_errors import field_error
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError, do_reveal, revealable_model

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


class StaffOut(Schema):
    username: str
    full_name: str
    role: str
    region_code: str | None
    department: str | None
    phone: str  # masked

    @staticmethod
    def resolve_region_code(user):
        return user.region.code if user.region_id else None

    @staticmethod
    def resolve_department(user):
        return user.department.name if user.department_id else None

    @staticmethod
    def resolve_phone(user):
        return mask_phone(user.phone)


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
