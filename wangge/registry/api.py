"""API for base data: buildings, houses, households, people, tags, visits, organisations,
places and vehicles (人、地、物、组织). Every read goes through visible_to(); every write
through an operation in services.py.

Something outside the reader's area answers 404 exactly like something that does not
exist; an input naming such a thing (a house_id in a body) answers 422 on that field,
with the same words as an unknown id. A missing permission answers 403. ID numbers and
phones are masked in every answer; POST /api/v1/reveal is the one way to the plain value.
"""
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from wangge.areas.models import Level, Region
from wangge.core.api_errors import field_error, field_errors
from wangge.core.numbers import RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.personal import mask_id_number, mask_phone
from wangge.core.roles import can
from wangge.core.scoping import ALL, get_visible_or_404, scope_prefix
from wangge.core.services import OperationError
from wangge.registry import services
from wangge.registry.counts import population_counts, visible_tag_groups
from wangge.registry.due import due_visits
from wangge.registry.models import (
    Building,
    House,
    Household,
    Organisation,
    OrganisationKind,
    Person,
    PersonKind,
    PersonTag,
    Place,
    PlaceKind,
    Relation,
    Residence,
    Tag,
    Vehicle,
    Visit,
)
from wangge.registry.queries import search_people, staff_labels
from wangge.registry.schemas import (
    BuildingIn,
    BuildingOut,
    DueVisitOut,
    HistoryOut,
    HouseDetail,
    HouseholdIn,
    HouseholdOut,
    HouseIn,
    HouseOut,
    Layer,
    MoveIn,
    OrganisationIn,
    OrganisationOut,
    PersonDetail,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonTagOut,
    PlaceIn,
    PlaceOut,
    PopulationOut,
    TagIn,
    TagOut,
    VehicleIn,
    VehicleOut,
    VisitOut,
)

router = Router(tags=["registry"])

NOT_IN_AREA = gettext_lazy("not found in your area")
# Operations name the object; the API names the input that carried it.
INPUT_NAMES = {"house": "house_id", "household": "household_id", "owner": "owner_id", "head": "head_id"}
LAST_VISITS = 5


# --- helpers ------------------------------------------------------------------------------------

def _require(user, permission: str):
    if not can(user, permission):
        raise HttpError(403, _("Not allowed"))


def _refused(exc: OperationError, default_field: str, source: str = "body"):
    """An operation's refusal as a 422 naming each field at fault."""
    if isinstance(exc, services.FieldErrors):
        return field_errors(source, {INPUT_NAMES.get(f, f): msg for f, msg in exc.errors.items()})
    return field_error(source, INPUT_NAMES.get(exc.field, exc.field or default_field), exc.message)


def _under(queryset, user, grid: str | None = None, region: str | None = None, path_field: str = "grid__path"):
    """Narrow a list to a grid or region the user may see (404 for one they may not)."""
    if grid:
        node = get_visible_or_404(Region.objects.filter(level=Level.GRID), user, code=grid)
        queryset = queryset.filter(**{f"{path_field}__startswith": node.path})
    if region:
        node = get_visible_or_404(Region, user, code=region)
        queryset = queryset.filter(**{f"{path_field}__startswith": node.path})
    return queryset


def _visible_one(model_or_qs, user, pk, field: str, errors: dict):
    """The object with this pk if the user may see it; otherwise a field error (unknown and outside alike)."""
    if pk is None:
        return None
    queryset = model_or_qs.objects if isinstance(model_or_qs, type) else model_or_qs
    found = queryset.visible_to(user).filter(pk=pk).first()
    if found is None:
        errors[field] = str(NOT_IN_AREA)
    return found


def _grid_from_code(user, code: str | None, errors: dict):
    if not code:
        return None
    grid = Region.objects.visible_to(user).filter(level=Level.GRID, code=code).first()
    if grid is None:
        errors["grid"] = str(NOT_IN_AREA)
    return grid


def _visible_name(user, field: str = "owner_id"):
    """Annotation: the name of the person a foreign key points at, only if the user may see them."""
    return Subquery(Person.objects.visible_to(user).filter(pk=OuterRef(field)).values("name")[:1])


def _label_visits(viewer, visits):
    visits = list(visits)
    labels = staff_labels(viewer, [v.worker for v in visits])
    for visit in visits:
        visit.worker_label = labels.get(visit.worker_id, "")
    return visits


def _people(user):
    return (Person.objects.visible_to(user).select_related("grid", "house__building")
            .prefetch_related(Prefetch("tags", queryset=PersonTag.objects.visible_to(user).select_related("tag"),
                                       to_attr="visible_tags")))


def _households(user):
    members = Person.objects.visible_to(user).order_by("id")
    return (Household.objects.visible_to(user)
            .prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members")))


# --- buildings ----------------------------------------------------------------------------------

def _buildings(user):
    return (Building.objects.visible_to(user).select_related("grid")
            .annotate(house_count=Count("houses"), head_name=_visible_name(user, "head_id")))


@router.get("/buildings", response=list[BuildingOut], summary="Buildings in my area 楼栋列表")
@paginate(LimitOffsetPagination)
def list_buildings(request, grid: str | None = None, region: str | None = None, q: str | None = None):
    buildings = _under(_buildings(request.user), request.user, grid, region)
    if q:
        buildings = buildings.filter(Q(name__contains=q) | Q(address__contains=q))
    return buildings.order_by("grid__code", "address", "name", "id")


@router.get("/buildings/{id}", response=BuildingOut, summary="One building 楼栋详情")
def building_detail(request, id: RowId):
    return get_visible_or_404(_buildings(request.user), request.user, pk=id)


@router.post("/buildings", response={201: BuildingOut}, summary="Add a building, located to its grid 新增楼栋")
def create_building(request, payload: BuildingIn):
    _require(request.user, "registry.edit")
    errors = {}
    grid = _grid_from_code(request.user, payload.grid, errors)
    if errors:
        raise field_errors("body", errors)
    try:
        building = services.do_create_building(
            request.user, name=payload.name, address=payload.address, lng=payload.lng, lat=payload.lat,
            crs=payload.crs, grid=grid, floors=payload.floors, units=payload.units,
            has_electronic_door=payload.has_electronic_door)
    except OperationError as exc:
        raise _refused(exc, "location")
    return Status(201, _buildings(request.user).get(pk=building.pk))


# --- houses and households ----------------------------------------------------------------------

def _houses(user):
    return (House.objects.visible_to(user).select_related("grid", "building")
            .annotate(resident_count=Count("residents"), owner_name=_visible_name(user, "owner_id")))


@router.get("/buildings/{id}/houses", response=list[HouseOut], summary="Houses in a building 房屋列表")
@paginate(LimitOffsetPagination)
def list_houses(request, id: RowId, use: str | None = None):
    building = get_visible_or_404(Building, request.user, pk=id)
    houses = _houses(request.user).filter(building=building)
    if use:
        houses = houses.filter(use=use)
    return houses.order_by("unit", "number", "id")


@router.post("/buildings/{id}/houses", response={201: HouseOut}, summary="Add a house to a building 新增房屋")
def create_house(request, id: RowId, payload: HouseIn):
    building = get_visible_or_404(Building, request.user, pk=id)
    _require(request.user, "registry.edit")
    errors = {}
    owner = _visible_one(Person, request.user, payload.owner_id, "owner_id", errors)
    if errors:
        raise field_errors("body", errors)
    try:
        house = services.do_create_house(request.user, building, number=payload.number, unit=payload.unit,
                                         area=payload.area, use=payload.use, owner=owner)
    except OperationError as exc:
        raise _refused(exc, "number")
    return Status(201, _houses(request.user).get(pk=house.pk))


@router.get("/houses/{id}", response=HouseDetail, summary="A house with its households and residents 房屋详情")
def house_detail(request, id: RowId):
    house = get_visible_or_404(_houses(request.user), request.user, pk=id)
    house.households_shown = list(_households(request.user).filter(house=house).order_by("id"))
    house.residents_shown = list(_people(request.user).filter(house=house))
    return house


@router.post("/houses/{id}/households", response={201: HouseholdOut},
             summary="Open a household in a house; head and members move in 新增户")
def create_household(request, id: RowId, payload: HouseholdIn):
    house = get_visible_or_404(House, request.user, pk=id)
    _require(request.user, "registry.edit")
    errors = {}
    head = _visible_one(Person, request.user, payload.head_id, "head_id", errors)
    members = []
    for member in payload.members:
        person = Person.objects.visible_to(request.user).filter(pk=member.person_id).first()
        if person is None:
            errors["members"] = f"{member.person_id}: {NOT_IN_AREA}"
        elif member.relation not in Relation.values or member.relation == Relation.HEAD:
            unknown = _("Unknown relation %(relation)s") % {"relation": repr(member.relation)}
            errors["members"] = f"{member.person_id}: {unknown}"
        members.append((person, member.relation))
    if errors:
        raise field_errors("body", errors)
    try:
        household = services.do_create_household(request.user, house, head, members)
    except OperationError as exc:
        raise _refused(exc, "members")
    return Status(201, _households(request.user).get(pk=household.pk))


# --- people -------------------------------------------------------------------------------------

@router.get("/people", response=list[PersonOut], summary="People in my area, with search 实有人口")
@paginate(LimitOffsetPagination)
def list_people(request, grid: str | None = None, region: str | None = None, q: str | None = None,
                kind: PersonKind | None = None, tag: str | None = None, house: RowId | None = None):
    """`q` finds a name (part of it), the last four characters of an ID number, a whole ID number,
    a phone number, or part of an address."""
    people = _under(_people(request.user), request.user, grid, region)
    if q:
        people = search_people(people, q)
    if kind:
        people = people.filter(kind=kind)
    if tag:
        # Only tags the reader may see: a special group filtered by someone who may not see it finds nobody.
        people = people.filter(Exists(PersonTag.objects.visible_to(request.user)
                                      .filter(person=OuterRef("pk"), tag__code=tag)))
    if house:
        people = people.filter(house_id=house)
    return people.order_by("name", "id")


def _person_detail(user, pk: int) -> Person:
    person = get_visible_or_404(_people(user), user, pk=pk)
    visible_residences = set(Residence.objects.visible_to(user).filter(person=person).values_list("pk", flat=True))
    person.residences_shown = []
    for residence in person.residences.select_related("house__building", "grid").order_by("moved_in", "id"):
        shown = residence.pk in visible_residences
        person.residences_shown.append({
            "in_your_area": shown,
            "house_id": residence.house_id if shown else None,
            "house": str(residence.house) if shown else None,
            "address": residence.house.building.address if shown else None,
            "grid_code": residence.grid.code if shown else None,
            "moved_in": residence.moved_in,
            "moved_out": residence.moved_out,
        })
    visits = (Visit.objects.visible_to(user).filter(person=person).select_related("worker")
              .prefetch_related("photos").order_by("-visited_at")[:LAST_VISITS])
    person.last_visits = _label_visits(user, visits)
    return person


@router.get("/people/{id}", response=PersonDetail, summary="One person, numbers masked 人员详情")
def person_detail(request, id: RowId):
    return _person_detail(request.user, id)


def _placement(user, house_id, household_id, relation, errors) -> tuple:
    house = _visible_one(House, user, house_id, "house_id", errors)
    household = _visible_one(Household, user, household_id, "household_id", errors)
    if household is not None and house is not None and household.house_id != house.pk:
        errors["household_id"] = _("The household is not in that house")
    if household is not None and house is None and "house_id" not in errors:
        errors["house_id"] = _("Give the household's house")
    if relation and relation not in Relation.values:
        errors["relation"] = _("Unknown relation %(relation)s") % {"relation": repr(relation)}
    return house, household


@router.post("/people", response={201: PersonDetail}, summary="Register a person 登记人员")
def register_person(request, payload: PersonIn):
    _require(request.user, "registry.edit")
    errors = {}
    house, household = _placement(request.user, payload.house_id, payload.household_id, payload.relation, errors)
    if payload.house_id is None and scope_prefix(request.user) is not ALL:
        # Someone housed nowhere is in no grid, so nobody but the district-wide administrators could find them again.
        errors["house_id"] = _("Choose the house they live in")
    data = payload.dict(include={"name", "id_number", "ethnicity", "phone", "kind"})
    try:
        services.clean_person(data)
    except services.FieldErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise field_errors("body", errors)
    try:
        person = services.do_register_person(request.user, data, house=house, household=household,
                                             relation=payload.relation, moved_in=payload.moved_in)
    except OperationError as exc:
        raise _refused(exc, "id_number")
    return Status(201, _person_detail(request.user, person.pk))


@router.patch("/people/{id}", response=PersonDetail, summary="Change a person's name, ethnicity, phone or kind 修改")
def update_person(request, id: RowId, payload: PersonPatch):
    person = get_visible_or_404(Person, request.user, pk=id)
    _require(request.user, "registry.edit")
    try:
        services.do_update_person(request.user, person, payload.dict(exclude_unset=True))
    except OperationError as exc:
        raise _refused(exc, "name")
    return _person_detail(request.user, person.pk)


@router.post("/people/{id}/move", response=PersonDetail, summary="Move a person, or move them out 迁入迁出")
def move_person(request, id: RowId, payload: MoveIn):
    person = get_visible_or_404(Person, request.user, pk=id)
    _require(request.user, "registry.edit")
    errors = {}
    house, household = _placement(request.user, payload.house_id, payload.household_id, payload.relation, errors)
    if errors:
        raise field_errors("body", errors)
    try:
        services.do_move_person(request.user, person, house, household, payload.relation, payload.when)
    except OperationError as exc:
        raise _refused(exc, "house_id")
    if house is None:
        # Moved out of the district: no longer in anyone's grid, so only the answer of the move is theirs to see.
        person.refresh_from_db()
        person.visible_tags, person.residences_shown, person.last_visits = [], [], []
        return person
    return _person_detail(request.user, person.pk)


def _visible_tags(user):
    return Tag.objects.filter(group__in=visible_tag_groups(user))


@router.post("/people/{id}/tags", response={201: PersonTagOut}, summary="Tag a person (care or special group) 标注")
def tag_person(request, id: RowId, payload: TagIn):
    person = get_visible_or_404(Person, request.user, pk=id)
    _require(request.user, "registry.edit")
    tag = _visible_tags(request.user).filter(code=payload.tag).first()
    if tag is None:
        raise field_error("body", "tag", _("Unknown tag %(tag)s") % {"tag": repr(payload.tag)})
    try:
        person_tag = services.do_tag_person(request.user, person, tag, payload.since, payload.note)
    except OperationError as exc:
        raise _refused(exc, "tag")
    return Status(201, person_tag)


@router.delete("/people/{id}/tags/{tag_code}", response={204: None}, summary="Remove a tag 取消标注")
def untag_person(request, id: RowId, tag_code: str):
    person = get_visible_or_404(Person, request.user, pk=id)
    person_tag = get_visible_or_404(PersonTag.objects.select_related("tag", "person"), request.user,
                                    person=person, tag__code=tag_code)
    _require(request.user, "registry.edit")
    services.do_untag_person(request.user, person_tag)
    return Status(204, None)


@router.post("/people/{id}/visits", response={201: VisitOut},
             summary="Record a visit (multipart, with photos) 入户走访")
def record_visit(request, id: RowId, visited_at: Form[datetime | None] = None, lng: Form[float | None] = None,
                 lat: Form[float | None] = None, crs: Form[str] = "wgs84", notes: Form[str] = "",
                 photos: File[list[UploadedFile]] = None):
    """Photos: JPEG, PNG or WebP, at most 9, each under 5 MB. The position, if given, is checked
    against the person's grid and kept with the visit (`in_grid`)."""
    person = get_visible_or_404(Person.objects.select_related("grid"), request.user, pk=id)
    _require(request.user, "registry.visit")
    if visited_at is not None and timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    try:
        visit = services.do_record_visit(request.user, person, visited_at=visited_at, lng=lng, lat=lat, crs=crs,
                                         notes=notes, photos=photos or [])
    except OperationError as exc:
        raise _refused(exc, "person", source="form")
    visit = Visit.objects.select_related("worker").prefetch_related("photos").get(pk=visit.pk)
    return Status(201, _label_visits(request.user, [visit])[0])


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_FIELDS = ["name", "id_number", "sex", "birth_date", "ethnicity", "phone", "kind", "house", "household",
                  "relation", "grid", "moved_in", "moved_out"]


def _shown(field: str, value) -> str | None:
    """A value as the change history shows it: personal numbers masked, the birth date (inside the ID) hidden."""
    if value in (None, ""):
        return None
    if field == "id_number":
        return mask_id_number(value)
    if field == "phone":
        return mask_phone(value)
    if field == "birth_date":
        return "****-**-**"
    return str(value)


@router.get("/people/{id}/history", response=list[HistoryOut], summary="Who changed which field when 变更记录")
@paginate(LimitOffsetPagination)
def person_history(request, id: RowId):
    person = get_visible_or_404(Person, request.user, pk=id)
    records = list(person.history.select_related("history_user").order_by("history_date", "history_id"))
    labels = staff_labels(request.user, [r.history_user for r in records])
    rows, previous = [], None
    for record in records:
        # Compared by hand: simple-history's diff_against skips non-editable fields (sex, birth date).
        changes = []
        for name in HISTORY_FIELDS:
            attname = record._meta.get_field(name).attname
            old, new = (getattr(previous, attname) if previous else None), getattr(record, attname)
            if old != new and not (old in (None, "") and new in (None, "")):
                changes.append({"field": name, "old": _shown(name, old), "new": _shown(name, new)})
        rows.append({
            "at": record.history_date,
            "by": labels.get(record.history_user_id, _("System")),
            "type": HISTORY_TYPES.get(record.history_type, "changed"),
            "changes": changes,
        })
        previous = record
    return list(reversed(rows))


# --- tags, due visits, counts -------------------------------------------------------------------

@router.get("/tags", response=list[TagOut], summary="Care and special groups I may see 人群标签")
def list_tags(request):
    return _visible_tags(request.user).order_by("group", "code")


@router.get("/visits/due", response=list[DueVisitOut], summary="My due and overdue visits 待走访")
@paginate(LimitOffsetPagination)
def visits_due(request, grid: str | None = None, region: str | None = None):
    """People whose tags' visit frequency makes a visit due within 7 days or overdue, most overdue first:
    a grid worker's own grid, an operator's area."""
    _require(request.user, "registry.edit")
    node = None
    if grid:
        node = get_visible_or_404(Region.objects.filter(level=Level.GRID), request.user, code=grid)
    elif region:
        node = get_visible_or_404(Region, request.user, code=region)
    return due_visits(request.user, node)


@router.get("/regions/{code}/population", response=PopulationOut, summary="Population and house counts 人口统计")
def region_population(request, code: str, layer: Layer = "population"):
    """Counts under a region; `children` gives the chosen map layer (population, floating, care)
    for each child region, to colour the map."""
    region = get_visible_or_404(Region, request.user, code=code)
    counts = population_counts(request.user, region, layers=(layer,))
    children = counts.pop("layers")[layer]
    return {**counts, "layer": layer, "children": children}


# --- organisations, places, vehicles ------------------------------------------------------------

def _located_list(queryset, request, grid, region, q, kind):
    queryset = _under(queryset.visible_to(request.user).select_related("grid"), request.user, grid, region)
    if q:
        queryset = queryset.filter(Q(name__contains=q) | Q(address__contains=q))
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("name", "id")


def _located_reads(path: str, model, schema, kinds, summaries: tuple[str, str], names: tuple[str, str]):
    """Organisations and places are read alike: GET `path`, the list in the reader's area (by grid or region,
    searched by name or address, filtered by kind), and GET `path/{id}`, one of them. `names` are the two
    endpoints' names (their OpenAPI operation ids and URL names)."""
    list_name, detail_name = names

    @router.get(path, response=list[schema], summary=summaries[0], url_name=list_name,
                operation_id=f"wangge_registry_api_{list_name}")
    @paginate(LimitOffsetPagination)
    def located_list(request, grid: str | None = None, region: str | None = None, q: str | None = None,
                     kind: kinds | None = None):
        return _located_list(model.objects, request, grid, region, q, kind)

    @router.get(f"{path}/{{id}}", response=schema, summary=summaries[1], url_name=detail_name,
                operation_id=f"wangge_registry_api_{detail_name}")
    def located_detail(request, id: RowId):
        return get_visible_or_404(model.objects.select_related("grid"), request.user, pk=id)


_located_reads("/organisations", Organisation, OrganisationOut, OrganisationKind,
               ("Organisations 组织", "One organisation 组织详情"), ("list_organisations", "organisation_detail"))


@router.post("/organisations", response={201: OrganisationOut}, summary="Register an organisation 登记组织")
def create_organisation(request, payload: OrganisationIn):
    return _create_located(request, payload, lambda grid: services.do_create_organisation(
        request.user, name=payload.name, uscc=payload.uscc, kind=payload.kind, address=payload.address,
        lng=payload.lng, lat=payload.lat, crs=payload.crs, grid=grid, legal_person=payload.legal_person,
        staff_count=payload.staff_count))


def _create_located(request, payload, create):
    """Organisations and places are registered alike: the editor's grid code checked, then `create(grid)`."""
    _require(request.user, "registry.edit")
    errors = {}
    grid = _grid_from_code(request.user, payload.grid, errors)
    if errors:
        raise field_errors("body", errors)
    try:
        return Status(201, create(grid))
    except OperationError as exc:
        raise _refused(exc, "location")


_located_reads("/places", Place, PlaceOut, PlaceKind, ("Key places 重点场所", "One place 场所详情"),
               ("list_places", "place_detail"))


@router.post("/places", response={201: PlaceOut}, summary="Register a key place 登记场所")
def create_place(request, payload: PlaceIn):
    return _create_located(request, payload, lambda grid: services.do_create_place(
        request.user, name=payload.name, kind=payload.kind, address=payload.address, lng=payload.lng,
        lat=payload.lat, crs=payload.crs, grid=grid, contact_name=payload.contact_name))


def _vehicles(user):
    return Vehicle.objects.visible_to(user).select_related("grid").annotate(owner_name=_visible_name(user))


@router.get("/vehicles", response=list[VehicleOut], summary="Vehicles 车辆")
@paginate(LimitOffsetPagination)
def list_vehicles(request, grid: str | None = None, region: str | None = None, q: str | None = None):
    vehicles = _under(_vehicles(request.user), request.user, grid, region)
    if q:
        vehicles = vehicles.filter(plate__contains=q.strip().upper())
    return vehicles.order_by("plate")


@router.get("/vehicles/{id}", response=VehicleOut, summary="One vehicle 车辆详情")
def vehicle_detail(request, id: RowId):
    return get_visible_or_404(_vehicles(request.user), request.user, pk=id)


@router.post("/vehicles", response={201: VehicleOut}, summary="Register a vehicle 登记车辆")
def register_vehicle(request, payload: VehicleIn):
    _require(request.user, "registry.edit")
    errors = {}
    owner = _visible_one(Person, request.user, payload.owner_id, "owner_id", errors)
    if errors:
        raise field_errors("body", errors)
    try:
        vehicle = services.do_register_vehicle(request.user, owner, payload.plate)
    except OperationError as exc:
        raise _refused(exc, "plate")
    return Status(201, _vehicles(request.user).get(pk=vehicle.pk))
