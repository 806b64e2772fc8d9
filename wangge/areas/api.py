"""API for regions, grids, boundaries and locate. Every read goes through visible_to()."""
from django.db.models import Count, Q, Sum
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from wangge.areas.api_locate import router as locate_router
from wangge.areas.api_search import router as search_router
from wangge.areas.models import GridTeamMember, Level, Region
from wangge.areas.services import (
    do_add_team_member,
    do_remove_team_member,
    do_set_boundary,
    grids_feature_collection,
)
from wangge.core.api_errors import field_error
from wangge.core.numbers import RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.roles import can
from wangge.core.schemas import MaskedPhone
from wangge.core.scoping import ALL, get_visible_or_404, scope_prefix
from wangge.core.services import OperationError

router = Router(tags=["areas"])
router.add_router("", locate_router)
router.add_router("", search_router)


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = None
    households: int | None
    center: list[float] | None = None

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_center(obj):
        return [obj.center_lng, obj.center_lat] if obj.center_lng is not None else None


class RegionDetail(RegionOut):
    path: list[RegionOut] = Field(alias="visible_path")
    children: int = Field(alias="children_count")
    polygon: dict | None


class TeamMemberOut(MaskedPhone):
    role: str
    role_label: str
    name: str
    phone: str  # always masked

    @staticmethod
    def resolve_role_label(obj):
        return str(obj.get_role_display())


class TeamMemberIn(Schema):
    role: str
    name: str
    phone: str = ""


class TeamMemberCreated(TeamMemberOut):
    id: int


class BoundaryIn(Schema):
    geometry: dict | None


@router.get("/regions", response=list[RegionOut], summary="List regions in my area 区划列表")
@paginate(LimitOffsetPagination)
def list_regions(request, level: Level | None = None, parent: str | None = None, q: str | None = None):
    regions = Region.objects.visible_to(request.user).select_related("parent")
    if level:
        regions = regions.filter(level=level)
    if parent:
        regions = regions.filter(parent__code=parent)
    if q:
        regions = regions.filter(Q(name__contains=q) | Q(code__startswith=q))
    return regions.order_by("code")


@router.get("/regions/{code}", response=RegionDetail, summary="One region with its path 区划详情")
def region_detail(request, code: str):
    region = get_visible_or_404(Region.objects.select_related("parent"), request.user, code=code)
    region.children_count = region.children.visible_to(request.user).count()
    root = _visible_root(request.user)
    region.visible_path = [r for r in region.ancestors_and_self() if r.path.startswith(root)]
    return region


def _visible_root(user) -> str:
    """Ancestors above the user's node are not theirs to see: cut the path there."""
    prefix = scope_prefix(user)
    return "/" if prefix is ALL or prefix is None else prefix


@router.get("/regions/{code}/children", response=list[RegionOut], summary="Child regions 下级区划")
def region_children(request, code: str):
    region = get_visible_or_404(Region, request.user, code=code)
    return (Region.objects.visible_to(request.user).filter(parent=region)
            .select_related("parent").order_by("code"))


@router.get("/grids/{code}/team", response=list[TeamMemberOut], summary="A grid's team, phones masked 网格团队")
def grid_team(request, code: str):
    grid = get_visible_or_404(Region.objects.filter(level=Level.GRID), request.user, code=code)
    return grid.team.visible_to(request.user).order_by("role", "id")


@router.post("/grids/{code}/team", response={201: TeamMemberCreated}, summary="Add a team member 添加团队成员")
def add_team_member(request, code: str, payload: TeamMemberIn):
    grid = get_visible_or_404(Region.objects.filter(level=Level.GRID), request.user, code=code)
    if not can(request.user, "team.edit"):
        raise HttpError(403, "not allowed / 无权编辑网格团队")
    try:
        return Status(201, do_add_team_member(request.user, grid, payload.role, payload.name, payload.phone))
    except OperationError as exc:
        raise field_error("body", exc.field or "role", exc.message)


@router.delete("/grids/{code}/team/{member_id}", response={204: None}, summary="Remove a team member 移除团队成员")
def remove_team_member(request, code: str, member_id: RowId):
    member = get_visible_or_404(GridTeamMember.objects.filter(grid__code=code), request.user, pk=member_id)
    if not can(request.user, "team.edit"):
        raise HttpError(403, "not allowed / 无权编辑网格团队")
    do_remove_team_member(request.user, member)
    return Status(204, None)


@router.get("/grids/export", summary="Grids in my area as GeoJSON 导出网格")
def export_grids(request, under: str | None = None):
    if not can(request.user, "areas.export"):
        raise HttpError(403, "not allowed / 无权导出")
    grids = Region.objects.visible_to(request.user)
    if under:
        root = get_visible_or_404(Region, request.user, code=under)
        grids = grids.filter(path__startswith=root.path)
    return grids_feature_collection(grids)


@router.get("/regions/{code}/stats", summary="Counts under a region 统计")
def region_stats(request, code: str):
    region = get_visible_or_404(Region, request.user, code=code)
    below = Region.objects.visible_to(request.user).filter(path__startswith=region.path).exclude(pk=region.pk)
    counts = dict(below.values_list("level").annotate(n=Count("id")))
    grids = below.filter(level=Level.GRID) if region.level != Level.GRID else Region.objects.filter(pk=region.pk)
    households = grids.aggregate(n=Sum("households"))["n"] or 0
    return {"code": region.code, "counts": counts, "grid_households": households}


@router.put("/regions/{code}/boundary", response=RegionOut, summary="Set or clear a boundary 修改边界")
def set_boundary(request, code: str, payload: BoundaryIn):
    region = get_visible_or_404(Region, request.user, code=code)
    if not can(request.user, "areas.edit"):
        raise HttpError(403, "not allowed / 无权修改边界")
    try:
        return do_set_boundary(request.user, region, payload.geometry)
    except OperationError as exc:
        raise field_error("body", exc.field or "geometry", exc.message)
