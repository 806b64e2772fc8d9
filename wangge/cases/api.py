"""The cases API: the catalogue, intake (staff and connected systems), lists and details, workflow actions,
photos and possible duplicates. See docs/api/cases.md.

Reads go through `Case.objects.visible_to`; a case outside the caller's area answers 404, exactly like one
that does not exist. Writes go through the operations in services.py and photos.py. Refusals:
  * missing permission, or an action this role may not take: 403;
  * an action not allowed in this state, refused by its guard, or unknown: 409 {"detail", "code"} with code
    "state", "guard" or "action"; a stale version: 409 with code "version";
  * bad input: 422 naming the field, in django-ninja's validation shape (wangge/core/api_errors.py).
Nothing changes on any refusal. Operations' refusals become these statuses in wangge/core/refusals.py.
"""
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from wangge.areas.crs import to_wgs84
from wangge.areas.models import Level, Region
from wangge.cases import services, workflow
from wangge.cases.duplicates import case_text, find_duplicates
from wangge.cases.models import Case, CaseEvent, CasePhoto, Category, Channel, MajorCategory, PhotoStage, State
from wangge.cases.photos import do_add_photos
from wangge.cases.schemas import (
    OVERDUE_STATES,
    UNSIGNED_STATES,
    ActionIn,
    CaseCreated,
    CaseDetail,
    CaseIn,
    CaseOut,
    DuplicateOut,
    MajorCategoryOut,
    PhotoOut,
    ValidOut,
    duplicate_out,
)
from wangge.core.api_errors import field_error
from wangge.core.ids import as_row_id
from wangge.core.models import Department
from wangge.core.numbers import Latitude, Longitude, RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.refusals import require
from wangge.core.roles import can
from wangge.core.schemas import EventOut
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError
from wangge.core.staff import staff_labels

router = Router(tags=["cases"])

ORDERINGS = {"reported_at", "-reported_at", "handle_by", "-handle_by", "accept_by", "-accept_by", "number",
             "-number", "state", "-state", "priority", "-priority"}
NOT_IN_AREA = gettext_lazy("not found in your area")


# --- helpers ------------------------------------------------------------------------------------

def _cases(user):
    return Case.objects.visible_to(user).select_related("category__major", "grid", "owner_region",
                                                        "assignee_department", "assignee_region")


def _grid_for(user, code: str | None):
    """The grid named in a body, if the caller may report there (unknown and outside answer alike)."""
    if not code:
        return None
    grid = Region.objects.visible_to(user).filter(level=Level.GRID, code=code).first()
    if grid is None:
        raise field_error("body", "grid", NOT_IN_AREA)
    return grid


def _report_fields(request, payload: CaseIn) -> dict:
    user = request.user
    require(user, "cases.report")
    return dict(category=payload.category, title=payload.title, description=payload.description,
                lng=payload.lng, lat=payload.lat, crs=payload.crs, grid=_grid_for(user, payload.grid),
                channel=payload.channel or services.default_channel(user), reporter_name=payload.reporter_name,
                reporter_phone=payload.reporter_phone, priority=payload.priority, address=payload.address,
                external_id=payload.external_id, resolved_on_spot=payload.resolved_on_spot)


def _category_filter(value: str) -> Q:
    value = (value or "").strip()
    if len(value) == 5 and value.isdigit():
        return Q(category__major__code=value[:2], category__code=value[2:])
    if len(value) == 2 and value.isdigit():
        return Q(category__major__code=value)
    raise field_error("query", "category", _("give a 2- or 5-digit category code"))


def _category_for(value) -> Category:
    try:
        return services._check_category(int(value) if isinstance(value, int) else value)
    except OperationError as exc:
        raise field_error("query", "category", exc.message)


def _detail(request, case_id: int):
    """The case with what the detail answer shows, for this viewer."""
    user = request.user
    case = get_visible_or_404(_cases(user).select_related("merged_into", "reporter"), user, pk=case_id)
    case.allowed_actions = workflow.allowed_actions(case, user)
    case.photos_shown = list(CasePhoto.objects.filter(case=case).order_by("uploaded_at", "id"))
    case.events_shown = _events(user, case)
    case.duplicates_of = list(Case.objects.visible_to(user).filter(merged_into=case).order_by("reported_at", "id")
                              .values_list("number", flat=True))
    if case.reporter_id:
        case.reporter_label = staff_labels(user, [case.reporter])[case.reporter_id]
    return case


def _events(user, case) -> list:
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))
    labels = staff_labels(user, [e.actor for e in events if e.actor_id])
    for event in events:
        event.actor_label = labels.get(event.actor_id) if event.actor_id else event.actor_name
    return events


# --- the catalogue ------------------------------------------------------------------------------

@router.get("/categories", response=list[MajorCategoryOut], summary="The category catalogue 事项清单")
def list_categories(request):
    """Two levels: major classes with their minor classes (active ones only).

    Categories that name a special group (吸毒人员异常, …) are listed only to those who may see special groups
    (registry.view_special), as the registry does with the groups themselves."""
    from wangge.registry.models import Tag, TagGroup

    minors = Category.objects.filter(active=True).select_related("major").order_by("code")
    if not can(request.user, "registry.view_special"):
        for name in Tag.objects.filter(group=TagGroup.SPECIAL).values_list("name", flat=True):
            minors = minors.exclude(name__contains=name)
    majors = (MajorCategory.objects.filter(active=True).order_by("code")
              .prefetch_related(Prefetch("minors", queryset=minors, to_attr="active_minors")))
    return [major for major in majors if major.active_minors]


# --- reading ------------------------------------------------------------------------------------

@router.get("/cases", response=list[CaseOut], summary="Cases in my area 事件列表")
@paginate(LimitOffsetPagination)
def list_cases(request, state: str | None = None, category: str | None = None, channel: str | None = None,
               region: str | None = None, department: str | None = None, overdue: bool | None = None,
               unsigned: bool | None = None, q: str | None = None, ordering: str = "-reported_at"):
    """Filters: state (one or several, comma-separated), category (01001 or a major class 01), channel, region
    (code: cases in it and below), department (assigned department id or code), overdue=true, unsigned=true,
    q (number, tracking code or words of the title). ordering: reported_at, handle_by, accept_by, number,
    state, priority, each optionally with a leading '-'."""
    user = request.user
    require(user, "cases.view")
    cases = _cases(user)
    if state:
        states = [s.strip() for s in state.split(",") if s.strip()]
        if not states or set(states) - set(State.values):
            raise field_error("query", "state", _("Unknown state %(value)s") % {"value": repr(state)})
        cases = cases.filter(state__in=states)
    if category:
        cases = cases.filter(_category_filter(category))
    if channel:
        if channel not in Channel.values:
            raise field_error("query", "channel", _("Unknown channel %(value)s") % {"value": repr(channel)})
        cases = cases.filter(channel=channel)
    if region:
        node = get_visible_or_404(Region, user, code=region)
        cases = cases.filter(grid__path__startswith=node.path)
    if department:
        if department.isdigit():  # an id; one too long for the column matches nothing
            cases = cases.filter(assignee_department_id=as_row_id(department)) if as_row_id(department) \
                else cases.none()
        else:
            cases = cases.filter(assignee_department__code=department)
    now = timezone.now()
    if overdue is not None:
        late = Q(state__in=OVERDUE_STATES, handle_by__lt=now)
        cases = cases.filter(late) if overdue else cases.exclude(late)
    if unsigned is not None:
        waiting = Q(state__in=UNSIGNED_STATES, accept_by__lt=now)
        cases = cases.filter(waiting) if unsigned else cases.exclude(waiting)
    if q:
        q = q.strip()
        cases = cases.filter(Q(number__icontains=q) | Q(tracking_code__iexact=q) | Q(title__icontains=q))
    if ordering not in ORDERINGS:
        raise field_error("query", "ordering", _("Cannot order by %(value)s") % {"value": repr(ordering)})
    return cases.order_by(ordering, "-id")


@router.get("/cases/duplicates", response=list[DuplicateOut], summary="Possible duplicates near a point 疑似重复")
def possible_duplicates(request, category: str, lng: Longitude, lat: Latitude, crs: str = "wgs84", text: str = "",
                        exclude: RowId | None = None):
    """Open cases of the category within 250 m, reported in the last 7 days, with similar text; best first.
    Only cases the caller may see."""
    user = request.user
    require(user, "cases.view")
    found = _category_for(category)
    try:
        wgs_lng, wgs_lat = to_wgs84(lng, lat, crs)
    except (ValueError, TypeError) as exc:
        raise field_error("query", "location", str(exc))
    results = find_duplicates(found, wgs_lng, wgs_lat, text, exclude_id=exclude,
                              queryset=Case.objects.visible_to(user))
    return [duplicate_out(d) for d in results]


# Declared before /cases/{id}: the router matches paths in order, and "validate" would be taken for an id.
@router.post("/cases/validate", response=ValidOut, summary="Check a report without storing it 校验上报")
def validate_case(request, payload: CaseIn):
    """Every check POST /cases makes (category, title, the place located to a grid in the caller's area, phone,
    channel, external number), and nothing stored. The reference endpoint of bench/intake.py."""
    fields = _report_fields(request, payload)
    cleaned = services.validate_report(request.user, **fields)
    return {"valid": True, "grid": cleaned["grid"].code}


@router.get("/cases/{id}", response=CaseDetail, summary="One case with its timeline 事件详情")
def case_detail(request, id: RowId):
    require(request.user, "cases.view")
    return _detail(request, id)


@router.get("/cases/{id}/events", response=list[EventOut], summary="A case's timeline 时间线")
def case_events(request, id: RowId):
    user = request.user
    require(user, "cases.view")
    case = get_visible_or_404(Case, user, pk=id)
    return _events(user, case)


# --- intake -------------------------------------------------------------------------------------

@router.post("/cases", response={201: CaseCreated}, summary="Report a case 上报事件")
def create_case(request, payload: CaseIn):
    """Staff and connected systems (a Role.SYSTEM token, channel device or other_system). The case is located
    to its grid, which must be in the caller's area. The answer offers possible duplicates the caller may see."""
    user = request.user
    fields = _report_fields(request, payload)
    case = services.do_report_case(user, resolution=payload.resolution, **fields)
    duplicates = []
    if can(user, "cases.view") and case.lng is not None:
        duplicates = [duplicate_out(d) for d in find_duplicates(
            case.category, case.lng, case.lat, case_text(case), now=case.reported_at, exclude_id=case.pk,
            queryset=Case.objects.visible_to(user))]
    return Status(201, {"id": case.pk, "number": case.number, "tracking_code": case.tracking_code,
                        "grid": case.grid.code, "state": case.state, "accept_by": case.accept_by,
                        "handle_by": case.handle_by, "duplicates": duplicates})


# --- acting -------------------------------------------------------------------------------------

def _action_params(case, payload: ActionIn) -> dict:
    """The action's inputs with the ids, codes and numbers turned into rows (unknown ones: 422)."""
    params = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    department = params.get("department")
    if isinstance(department, str):
        found = [d for d in Department.objects.filter(code=department).select_related("region")
                 if case.grid.path.startswith(d.region.path)]
        if not found:
            raise field_error("body", "department", _("the department does not serve this area"))
        params["department"] = found[0]
    region = params.get("region")
    if isinstance(region, str):
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise field_error("body", "region", NOT_IN_AREA)
        params["region"] = found
    into = params.get("into")
    if isinstance(into, str):
        found = Case.objects.filter(number=into).first()
        if found is None:
            raise field_error("body", "into", _("original case not found in your area"))
        params["into"] = found
    return params


@router.post("/cases/{id}/actions/{action}", response=CaseDetail,
             summary="Take a workflow action 办理 (立案、派遣、签收、退回、处置、核查…)")
def take_action(request, id: RowId, action: str, payload: ActionIn):
    """`version` is the case's version as last read; someone else's change in between answers 409
    (code "version"). The answer is the case as it is now."""
    user = request.user
    case = Case.objects.visible_to(user).select_related("grid").filter(pk=id).first()
    if case is None:
        raise Http404
    params = _action_params(case, payload)
    services.do_act(user, case, action, expected_version=payload.version, **params)
    return _detail(request, id)


@router.post("/cases/{id}/photos", response={201: list[PhotoOut]}, summary="Add photos to a case 上传照片")
def add_photos(request, id: RowId, stage: Form[str] = PhotoStage.REPORT, photos: File[list[UploadedFile]] = None):
    """Multipart: `photos` (JPEG, PNG or WebP; WANGGE_PHOTO_MAX_COUNT files of WANGGE_PHOTO_MAX_BYTES at most)
    and `stage` (report, handle or verify). Photos are re-encoded without EXIF; one bad file stores none."""
    user = request.user
    case = Case.objects.visible_to(user).filter(pk=id).first()
    if case is None or not (can(user, "cases.view") or case.reporter_id == user.pk):
        raise Http404
    stored = do_add_photos(user, case, photos or [], stage)
    return Status(201, stored)
