"""Typed schemas of the registry API (the OpenAPI is generated from these).

ID numbers and phones only ever leave through `mask_id_number` / `mask_phone`;
the plain value is shown by POST /api/v1/reveal alone, with a reason, logged.
A person's birth date is not shown either: it is the middle of the masked ID
number, so the answer gives the age.
"""
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict

from wangge.core.schemas import MaskedIdentity
from wangge.registry.codes import ETHNICITIES
from wangge.registry.models import OrganisationKind, PlaceKind

Layer = Literal["population", "floating", "care", "special"]


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class _OnGrid(Schema):
    """A schema of a row on a grid (buildings, houses, people, organisations, places, vehicles): its `grid_code`."""

    @staticmethod
    def resolve_grid_code(obj):
        return obj.grid.code if obj.grid_id else None


# --- tags ---------------------------------------------------------------------------------------

class TagOut(Schema):
    code: str
    name: str
    group: str
    visit_every_days: int | None


class PersonTagOut(Schema):
    code: str = Field(..., alias="tag.code")
    name: str = Field(..., alias="tag.name")
    group: str = Field(..., alias="tag.group")
    visit_every_days: int | None = Field(..., alias="tag.visit_every_days")
    since: date | None
    note: str


class TagIn(Schema):
    tag: str = Field(description="tag code, e.g. elder_living_alone")
    since: date | None = None
    note: str = ""


# --- people -------------------------------------------------------------------------------------

class _PersonWhere(_OnGrid):
    """The resolvers of a person's age, grid and home, for the schemas that give them (`age`, `grid_code`, `house`,
    `address`)."""

    @staticmethod
    def resolve_age(obj):
        return age_on(obj.birth_date, timezone.localdate())

    @staticmethod
    def resolve_house(obj):
        return str(obj.house) if obj.house_id else None

    @staticmethod
    def resolve_address(obj):
        return obj.house.building.address if obj.house_id else None


class PersonOut(_PersonWhere, MaskedIdentity):
    """One person as listed: numbers masked, tags limited to those the reader may see."""

    id: int
    name: str
    sex: str
    age: int
    ethnicity: str
    ethnicity_name: str
    kind: str
    id_number: str = Field(description="masked, e.g. 510107********123X")
    phone: str = Field(description="masked, e.g. 138****1111")
    grid_code: str | None
    house_id: int | None
    house: str | None
    address: str | None
    household_id: int | None
    relation: str
    tags: list[str] = Field(description="codes of the tags the reader may see")

    @staticmethod
    def resolve_ethnicity_name(obj):
        return ETHNICITIES.get(obj.ethnicity, "")

    @staticmethod
    def resolve_tags(obj):
        return [t.tag.code for t in obj.visible_tags]


class ResidenceOut(Schema):
    """One line of where someone lived. Outside the reader's area only the dates are given."""

    in_your_area: bool
    house_id: int | None
    house: str | None
    address: str | None
    grid_code: str | None
    moved_in: date
    moved_out: date | None


class VisitOut(Schema):
    id: int
    person_id: int
    visited_at: datetime
    worker: str = Field(description="who visited (a role name when that staff member is outside your area)")
    in_grid: bool | None
    lng: float | None
    lat: float | None
    notes: str
    photos: list[str]

    @staticmethod
    def resolve_worker(obj):
        return getattr(obj, "worker_label", "")

    @staticmethod
    def resolve_photos(obj):
        return [photo.image.url for photo in obj.photos.all()]


class PersonDetail(PersonOut):
    moved_in: date | None
    moved_out: date | None
    tags: list[PersonTagOut] = Field(alias="visible_tags")
    residences: list[ResidenceOut] = Field(alias="residences_shown")
    last_visits: list[VisitOut]


class PersonIn(Schema):
    name: str
    id_number: str = Field(description="公民身份号码, 18 characters; sex and birth date are derived from it")
    ethnicity: str = Field("", description="GB 3304 code ('01') or name ('汉族'); blank for 汉族")
    phone: str = ""
    kind: str = Field("", description="registered | floating | overseas | separated (or 户籍/流动/境外/人户分离)")
    house_id: int | None = None
    household_id: int | None = None
    relation: str = Field("", description="relation to the head of household")
    moved_in: date | None = None


class PersonPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    ethnicity: str | None = None
    phone: str | None = None
    kind: str | None = None


class MoveIn(Schema):
    house_id: int | None = Field(description="the new house, or null when they move out of the district")
    household_id: int | None = None
    relation: str = ""
    when: date | None = None


class ChangeOut(Schema):
    field: str
    old: str | None
    new: str | None


class HistoryOut(Schema):
    at: datetime
    by: str
    type: Literal["created", "changed", "deleted"]
    changes: list[ChangeOut]


# --- buildings, houses, households --------------------------------------------------------------

class BuildingOut(_OnGrid):
    id: int
    grid_code: str
    name: str
    address: str
    lng: float | None
    lat: float | None
    floors: int
    units: int
    head_id: int | None
    head_name: str | None = None
    has_electronic_door: bool
    house_count: int = 0


class BuildingIn(Schema):
    name: str
    address: str
    lng: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description="wgs84 | gcj02 | bd09 (the map SDK the point came from)")
    grid: str | None = Field(None, description="grid code, when no point is given")
    floors: int = Field(1, ge=1, le=200)
    units: int = Field(1, ge=1, le=50)
    has_electronic_door: bool = False


class HouseOut(_OnGrid):
    id: int
    building_id: int
    building: str = Field(..., alias="building.name")
    address: str = Field(..., alias="building.address")
    grid_code: str
    unit: str
    number: str
    area: float | None
    use: str
    owner_id: int | None
    owner_name: str | None = Field(None, description="only when the owner is in your area")
    resident_count: int = 0


class HouseIn(Schema):
    number: str
    unit: str = ""
    area: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=2)
    use: str = Field("owner", description="owner | rented | vacant | business | other")
    owner_id: int | None = None


class MemberOut(Schema):
    person_id: int
    name: str
    relation: str


class HouseholdOut(Schema):
    id: int
    house_id: int
    head_id: int | None
    head_name: str | None
    members: list[MemberOut]

    @staticmethod
    def resolve_head_name(obj):
        return next((m.name for m in obj.visible_members if m.pk == obj.head_id), None)

    @staticmethod
    def resolve_members(obj):
        return [{"person_id": m.pk, "name": m.name, "relation": m.relation} for m in obj.visible_members]


class MemberIn(Schema):
    person_id: int
    relation: str


class HouseholdIn(Schema):
    head_id: int
    members: list[MemberIn] = []


class HouseDetail(HouseOut):
    households: list[HouseholdOut] = Field(alias="households_shown")
    residents: list[PersonOut] = Field(alias="residents_shown")


# --- organisations, places, vehicles ------------------------------------------------------------

class LocatedOut(_OnGrid):
    """What an organisation and a key place share: a name and a kind at an address, a point, a grid."""
    id: int
    grid_code: str
    name: str
    kind: str
    address: str
    lng: float | None
    lat: float | None


class LocatedIn(Schema):
    name: str
    address: str
    lng: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    grid: str | None = None


class OrganisationOut(LocatedOut):
    uscc: str
    kind: OrganisationKind
    legal_person: str
    staff_count: int | None


class OrganisationIn(LocatedIn):
    uscc: str = Field(description="统一社会信用代码 (GB 32100), 18 characters")
    kind: str = Field(description="non_public_economic | social")
    legal_person: str = ""
    staff_count: int | None = Field(None, ge=0)


class PlaceOut(LocatedOut):
    kind: PlaceKind
    contact_name: str


class PlaceIn(LocatedIn):
    kind: str = Field(description="school | hospital | market | station | hotel | entertainment | religious | other")
    contact_name: str = ""


class VehicleOut(_OnGrid):
    id: int
    plate: str
    grid_code: str
    owner_id: int
    owner_name: str | None = Field(None, description="only when the owner is in your area")


class VehicleIn(Schema):
    owner_id: int
    plate: str


# --- due visits and counts ----------------------------------------------------------------------

class DueVisitOut(_PersonWhere):
    person_id: int = Field(alias="pk")
    name: str
    sex: str
    age: int
    grid_code: str
    house: str | None
    address: str | None
    tags: list[str] = Field(description="the visible tags that carry a visit frequency")
    every_days: int = Field(description="the shortest visit frequency among those tags")
    last_visit: datetime | None
    due_on: date
    days_overdue: int = Field(description="days past due; negative while not yet due")
    overdue: bool

    @staticmethod
    def resolve_tags(obj):
        return [t.tag.code for t in obj.visible_tags if t.tag.visit_every_days]

    @staticmethod
    def resolve_every_days(obj):
        return obj.every

    @staticmethod
    def resolve_days_overdue(obj):
        return (timezone.localdate() - obj.due_on).days

    @staticmethod
    def resolve_overdue(obj):
        return obj.due_on < timezone.localdate()


class TagCount(Schema):
    code: str
    name: str
    group: str
    people: int


class PopulationOut(Schema):
    code: str
    name: str
    level: str
    people: int
    by_kind: dict[str, int]
    by_tag: list[TagCount]
    households: int
    buildings: int
    houses: int
    houses_by_use: dict[str, int]
    rented_houses: int
    people_in_rented_houses: int
    layer: Layer
    children: dict[str, int] = Field(description="the layer's value for each child region you may see")
