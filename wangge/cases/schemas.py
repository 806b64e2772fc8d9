"""Typed schemas of the cases API (the OpenAPI is generated from these).

Phones leave only masked (`mask_phone`). Staff are named only to viewers who may see them
(`core.staff.staff_labels`); others see the role, never a username from outside their area.
"""
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema

from wangge.cases.poller import OVERDUE_STATES, UNSIGNED_STATES
from wangge.core.personal import mask_phone
from wangge.core.schemas import EventOut

# Overdue (超期) and unsigned (超时未签收) mean what the poller flags: the states are the poller's, so the
# API, the queue and the supervision board agree.


def is_overdue(case, now=None) -> bool:
    return case.state in OVERDUE_STATES and case.handle_by is not None and case.handle_by < (now or timezone.now())


def is_unsigned(case, now=None) -> bool:
    return case.state in UNSIGNED_STATES and case.accept_by is not None and case.accept_by < (now or timezone.now())


# --- the catalogue ------------------------------------------------------------------------------

class CategoryOut(Schema):
    id: int
    code: str = Field(description="full 5-digit code, e.g. 01001")
    minor_code: str
    name: str
    department_codes: list[str]
    default_priority: str
    accept_within_hours: int
    handle_within_days: int
    urgent_handle_within_days: int

    @staticmethod
    def resolve_code(obj):
        return f"{obj.major.code}{obj.code}"

    @staticmethod
    def resolve_minor_code(obj):
        return obj.code


class MajorCategoryOut(Schema):
    code: str
    name: str
    categories: list[CategoryOut] = Field(alias="active_minors")


# --- intake -------------------------------------------------------------------------------------

class CaseIn(Schema):
    """A new case. The place: lng/lat (in `crs`), or a grid code when there is no position."""

    category: int | str = Field(description="category id (a number) or full 5-digit code such as \"01001\"")
    title: str
    description: str = ""
    lng: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description="wgs84, gcj02 (AMap, Tencent, WeChat) or bd09 (Baidu)")
    grid: str | None = Field(None, description="15-digit grid code, used when no lng/lat is given")
    channel: str | None = Field(None, description="grid_worker, hotline_12345, leader, device, other_system; "
                                                  "defaults by role")
    priority: str | None = Field(None, description="normal or urgent; defaults to the category's")
    address: str = ""
    external_id: str = Field("", description="the sending system's own number (12345 工单号, alarm id)")
    reporter_name: str = ""
    reporter_phone: str = ""
    resolved_on_spot: bool = Field(False, description="自行处置: a grid worker reports a case already resolved")
    resolution: str = Field("", description="what was done, when resolved_on_spot (else the description)")


class DuplicateOut(Schema):
    id: int
    number: str
    title: str
    state: str
    grid: str
    reported_at: datetime
    distance_m: float
    similarity: float | None = Field(description="text similarity 0..1; null when matched on place alone")
    score: float


def duplicate_out(found) -> dict:
    case = found.case
    return {"id": case.pk, "number": case.number, "title": case.title, "state": case.state,
            "grid": case.grid.code, "reported_at": case.reported_at, "distance_m": found.distance_m,
            "similarity": found.similarity, "score": found.score}


class CaseCreated(Schema):
    id: int
    number: str
    tracking_code: str
    grid: str
    state: str
    accept_by: datetime | None
    handle_by: datetime | None
    duplicates: list[DuplicateOut]


class ValidOut(Schema):
    valid: bool
    grid: str


# --- reading cases ------------------------------------------------------------------------------

class CaseOut(Schema):
    """One case as listed."""

    id: int
    number: str
    title: str
    state: str
    channel: str
    category: str = Field(description="full 5-digit category code")
    category_name: str = Field(..., alias="category.name")
    priority: str
    grid: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    owner_region: str | None
    address: str
    reported_at: datetime
    accept_by: datetime | None
    handle_by: datetime | None
    closed_at: datetime | None
    assignee_department: str | None = Field(description="department code")
    assignee_region: str | None = Field(description="region code, when dispatched to a lower level")
    overdue: bool
    unsigned: bool
    self_resolved: bool
    on_time: bool | None
    rating: str
    version: int

    @staticmethod
    def resolve_category(obj):
        return obj.category.full_code

    @staticmethod
    def resolve_owner_region(obj):
        return obj.owner_region.code if obj.owner_region_id else None

    @staticmethod
    def resolve_assignee_department(obj):
        return obj.assignee_department.code if obj.assignee_department_id else None

    @staticmethod
    def resolve_assignee_region(obj):
        return obj.assignee_region.code if obj.assignee_region_id else None

    @staticmethod
    def resolve_overdue(obj):
        return is_overdue(obj)

    @staticmethod
    def resolve_unsigned(obj):
        return is_unsigned(obj)


class PhotoOut(Schema):
    id: int
    url: str
    stage: str
    width: int
    height: int
    uploaded_at: datetime

    @staticmethod
    def resolve_url(obj):
        return reverse("cases:photo", args=[obj.pk])


class CaseDetail(CaseOut):
    """One case whole: what the caller may do now, photos, the timeline, and how it relates to duplicates."""

    description: str
    lng: float | None
    lat: float | None
    tracking_code: str | None
    reporter: str = Field(description="who reported: the caller's or citizen's name as given, else the staff "
                                      "member who reported (their name if the viewer may see them, else the role)")
    entered_by: str | None = Field(description="the staff member or system that entered the case (name or role)")
    reporter_phone: str = Field(description="masked")
    anonymous: bool
    resolution: str
    return_count: int
    rework_count: int
    supervise_count: int
    extension_requested_days: int | None
    extension_count: int
    rating_note: str
    rated_at: datetime | None
    registered_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    handled_at: datetime | None
    merged_into: str | None = Field(description="number of the original this case was merged into")
    duplicates_of: list[str] = Field(description="numbers of the cases merged into this one (its duplicates)")
    allowed_actions: list[str]
    photos: list[PhotoOut] = Field(alias="photos_shown")
    events: list[EventOut] = Field(alias="events_shown")

    @staticmethod
    def resolve_reporter(obj):
        staff = getattr(obj, "reporter_label", None)
        if staff is not None and (not obj.reporter_name or obj.reporter_name == obj.reporter.full_name):
            return staff  # the name stored is the staff member's own: not every viewer's to know
        return obj.reporter_name

    @staticmethod
    def resolve_entered_by(obj):
        return getattr(obj, "reporter_label", None)

    @staticmethod
    def resolve_reporter_phone(obj):
        return mask_phone(obj.reporter_phone)

    @staticmethod
    def resolve_merged_into(obj):
        return obj.merged_into.number if obj.merged_into_id else None


# --- acting -------------------------------------------------------------------------------------

class ActionIn(Schema):
    """The version the caller last saw, and the action's own inputs (see docs/api/cases.md)."""

    version: int
    reason: str | None = None
    note: str | None = None
    feedback: str | None = None
    resolution: str | None = None
    days: int | None = None
    rating: str | None = None
    department: int | str | None = Field(None, description="department id or code (dispatch)")
    region: int | str | None = Field(None, description="region id or code of a lower level (dispatch)")
    into: int | str | None = Field(None, description="the original's id or number (merge)")
