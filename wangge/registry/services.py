"""Operations on base data. Each takes the acting user, checks the rule and the
actor's area, runs in one transaction and writes an audit row.

`clean_person` (in validation.py, which the importer shares without importing the operations) is the
one place a person's fields are checked; forms, the API and imports all use it, so a row is refused for
the same reasons everywhere.
"""
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wangge.areas import locate as locating
from wangge.areas.crs import to_wgs84
from wangge.areas.models import Region
from wangge.areas.services import locate_point
from wangge.core import audit
from wangge.core.bulk import roomy_sqlite_cache
from wangge.core.crypto import lookup_hash
from wangge.core.importing import ImportRejected
from wangge.core.roles import can
from wangge.core.scoping import ALL, scope_prefix
from wangge.core.services import FieldErrors, OperationError
from wangge.registry.due import refresh_schedules
from wangge.registry.importing import run_import
from wangge.registry.models import (
    Building,
    House,
    Household,
    HouseUse,
    Organisation,
    OrganisationKind,
    Person,
    PersonTag,
    Place,
    PlaceKind,
    Relation,
    Residence,
    Tag,
    Vehicle,
    Visit,
    VisitPhoto,
)
from wangge.registry.validation import (  # noqa: F401 (FieldErrors, CleanPerson: part of this module's API)
    CleanPerson,
    InvalidValue,
    clean_id_number,
    clean_person,
    clean_plate,
    clean_uscc,
)


def _require(actor, permission: str):
    if not can(actor, permission):
        raise OperationError(gettext("Not allowed"))


def _in_area(actor, region_or_obj, what="grid"):
    """Refuse a target outside the actor's area exactly as if it did not exist."""
    model = type(region_or_obj)
    if model is Region:  # regions are scoped by their own path: no query needed
        prefix = scope_prefix(actor)
        if prefix is ALL or (prefix is not None and region_or_obj.path.startswith(prefix)):
            return
        raise OperationError(gettext("Not in your area"), field=what)
    if not model.objects.visible_to(actor).filter(pk=region_or_obj.pk).exists():
        raise OperationError(gettext("Not in your area"), field=what)


# --- buildings, houses, households -------------------------------------------------------------

@transaction.atomic
def do_create_building(actor, *, name, address, lng=None, lat=None, crs="wgs84", grid=None, floors=1, units=1,
                       has_electronic_door=False) -> Building:
    _require(actor, "registry.edit")
    if not (name or "").strip() or not (address or "").strip():
        raise FieldErrors({k: gettext("Required") for k, v in (("name", name), ("address", address))
                           if not (v or "").strip()})
    grid, lng, lat = locate_point(lng, lat, crs, within=actor, grid=grid)
    building = Building.objects.create(grid=grid, name=name.strip(), address=address.strip(), lng=lng, lat=lat,
                                       floors=floors, units=units, has_electronic_door=has_electronic_door)
    audit.record(actor, "registry.create_building", building, grid=grid.code)
    return building


@transaction.atomic
def do_set_building_profile(actor, building: Building, *, head=None, head_staff=None, is_rental=False,
                            property_company="") -> Building:
    """一栋楼"三个一"的楼栋长与出租屋: the building head — a resident living in the building (`head`, a Person) or a
    member of the grid's team (`head_staff`, a GridTeamMember of the building's grid), not both — whether it is a
    rental building (出租屋), and its property company. One audit row with what changed."""
    from wangge.areas.models import GridTeamMember

    _require(actor, "registry.edit")
    _in_area(actor, building, "building")
    errors = {}
    if head is not None and head_staff is not None:
        errors["head"] = gettext("Choose either a resident or a member of the grid team")
    if head is not None and not Person.objects.filter(pk=head.pk, house__building=building,
                                                      moved_out__isnull=True).exists():
        errors["head"] = gettext("The building head must live in the building")
    if head_staff is not None and not GridTeamMember.objects.filter(pk=head_staff.pk,
                                                                    grid_id=building.grid_id).exists():
        errors["head_staff"] = gettext("The building head must be in the grid's team")
    property_company = (property_company or "").strip()
    if len(property_company) > 100:
        errors["property_company"] = gettext("At most 100 characters")
    if errors:
        raise FieldErrors(errors)
    before = {"head": building.head_id, "head_staff": building.head_staff_id, "is_rental": building.is_rental,
              "property_company": building.property_company}
    building.head, building.head_staff = head, head_staff
    building.is_rental, building.property_company = bool(is_rental), property_company
    building.save(update_fields=["head", "head_staff", "is_rental", "property_company"])
    after = {"head": building.head_id, "head_staff": building.head_staff_id, "is_rental": building.is_rental,
             "property_company": building.property_company}
    audit.record(actor, "registry.set_building_profile", building,
                 changed={k: after[k] for k in after if after[k] != before[k]})
    return building


@transaction.atomic
def do_create_house(actor, building: Building, *, number, unit="", area=None, use=HouseUse.OWNER_OCCUPIED,
                    owner: Person | None = None) -> House:
    _require(actor, "registry.edit")
    _in_area(actor, building, "building")
    errors = _house_errors(building, number, unit, use)
    if errors:
        raise FieldErrors(errors)
    house = _new_house(building, number, unit, use, area, owner)
    audit.record(actor, "registry.create_house", house, grid=building.grid.code)
    return house


def _house_errors(building: Building, number, unit, use) -> dict[str, str]:
    if use not in HouseUse.values:
        return {"use": gettext("Unknown use of the house")}
    if not str(number or "").strip():
        return {"number": gettext("Required")}
    if House.objects.filter(building=building, unit=unit or "", number=str(number).strip()).exists():
        return {"number": gettext("This house already exists")}
    return {}


def _new_house(building: Building, number, unit="", use=HouseUse.OWNER_OCCUPIED, area=None, owner=None) -> House:
    return House.objects.create(building=building, grid_id=building.grid_id, unit=unit or "",
                                number=str(number).strip(), area=area, use=use, owner=owner)


@transaction.atomic
def do_create_household(actor, house: House, head: Person, members: list[tuple[Person, str]] = ()) -> Household:
    """Open a household in a house; the head and members move in (keeping their history)."""
    _require(actor, "registry.edit")
    _in_area(actor, house, "house")
    household = _open_household(house, head, members)
    audit.record(actor, "registry.create_household", household, head=head.pk, members=len(members) + 1)
    return household


def _open_household(house: House, head: Person, members) -> Household:
    household = Household.objects.create(house=house, grid_id=house.grid_id, head=head)
    for person, relation in [(head, Relation.HEAD), *members]:
        if relation not in Relation.values:
            raise FieldErrors({"relation": gettext("Unknown relation %(relation)s") % {"relation": repr(relation)}})
        _settle(person, house, household, relation, timezone.localdate())
    return household


@transaction.atomic
def do_add_household(actor, building: Building, *, head: dict, members=(), house: House | None = None,
                     new_house: dict | None = None) -> Household:
    """新增住户: a household in one of `building`'s houses (`house`, or `new_house` {number, unit, use} made
    here), its head and `members` ((person data, relation) pairs) registered and moved in. All or nothing,
    one audit row.

    Every fault is reported at once, in one FieldErrors whose names say where: "house.<field>",
    "head.<field>", "members.<i>.<field>" (i counts the members given)."""
    _require(actor, "registry.edit")
    _in_area(actor, building, "building")
    errors = _household_house_errors(actor, building, house, new_house)
    people = [("head", head, Relation.HEAD), *((f"members.{i}", data, relation)
                                               for i, (data, relation) in enumerate(members))]
    cleaned = _household_people(people, errors)
    if errors:
        raise FieldErrors(errors)
    made_house = house is None
    if made_house:
        house = _new_house(building, new_house["number"], new_house.get("unit"),
                           new_house.get("use") or HouseUse.OWNER_OCCUPIED)
    registered = [(_new_person(clean), relation) for clean, relation in cleaned]
    (head_person, _head), *placed = registered
    household = _open_household(house, head_person, placed)
    audit.record(actor, "registry.add_household", household, house=house.pk, new_house=made_house,
                 grid=building.grid.code, people=[person.pk for person, _relation in registered])
    return household


def _household_house_errors(actor, building, house, new_house) -> dict[str, str]:
    if house is not None:
        _in_area(actor, house, "house")
        if house.building_id != building.pk:
            return {"house.house": gettext("The house is not in this building")}
        return {}
    new_house = new_house or {}
    found = _house_errors(building, new_house.get("number"), new_house.get("unit"),
                          new_house.get("use") or HouseUse.OWNER_OCCUPIED)
    return {f"house.{name}": message for name, message in found.items()}


def _household_people(people, errors: dict) -> list[tuple[CleanPerson, str]]:
    """Each person checked by clean_person, their ID number new to the form and to the register; faults go
    into `errors` under the person's prefix."""
    cleaned, seen = [], set()
    for prefix, data, relation in people:
        clean = None
        try:
            clean = clean_person(data)
            number = clean.id_number
        except FieldErrors as exc:
            errors.update({f"{prefix}.{name}": message for name, message in exc.errors.items()})
            number = None if "id_number" in exc.errors else clean_id_number(str(data.get("id_number") or ""))
        if relation not in Relation.values or (prefix != "head" and relation == Relation.HEAD):
            errors[f"{prefix}.relation"] = gettext("Unknown relation %(relation)s") % {"relation": repr(relation)}
        if number and number in seen:
            errors[f"{prefix}.id_number"] = gettext("This ID number is already in this form.")
        elif number and Person.objects.filter(id_hash=lookup_hash(number)).exists():
            errors[f"{prefix}.id_number"] = gettext("This ID number is already registered: move the person instead.")
        seen.add(number)
        cleaned.append((clean, relation))
    return cleaned


# --- people ------------------------------------------------------------------------------------

def _settle(person: Person, house: House | None, household: Household | None, relation: str, when: date):
    """Close the open residence and open the new one; the person row follows."""
    if person.house_id == getattr(house, "pk", None) and person.household_id == getattr(household, "pk", None):
        if relation and person.relation != relation:
            person.relation = relation
            person.save(update_fields=["relation", "updated_at"])
        return
    if person.house_id and person.house_id != getattr(house, "pk", None):
        Residence.objects.filter(person=person, moved_out__isnull=True).update(moved_out=when)
    if house is not None and person.house_id != house.pk:
        Residence.objects.create(person=person, house=house, grid_id=house.grid_id, moved_in=when)
        person.moved_in, person.moved_out = when, None
    person.house = house
    person.household = household
    person.relation = relation if household else ""
    person.grid_id = house.grid_id if house else None
    if house is None:
        person.moved_out = when
    person.save()


@transaction.atomic
def do_register_person(actor, data: dict, house: House | None = None, household: Household | None = None,
                       relation: str = "", moved_in: date | None = None) -> Person:
    _require(actor, "registry.edit")
    clean = clean_person(data)
    if house is not None:
        _in_area(actor, house, "house")
    elif not can(actor, "registry.import"):
        raise FieldErrors({"house": gettext("Choose the house they live in")})
    if Person.objects.filter(id_hash=lookup_hash(clean.id_number)).exists():
        raise FieldErrors({"id_number": gettext("This ID number is already registered")})
    person = _new_person(clean)
    if house is not None:
        _settle(person, house, household, relation, moved_in or timezone.localdate())
    audit.record(actor, "registry.register_person", person)
    return person


def _new_person(clean: CleanPerson) -> Person:
    return Person.objects.create(
        name=clean.name, id_number=clean.id_number, id_hash=lookup_hash(clean.id_number),
        id_tail=clean.id_number[-4:], sex=clean.sex, birth_date=clean.birth_date, ethnicity=clean.ethnicity,
        phone=clean.phone, phone_hash=lookup_hash(clean.phone) if clean.phone else "", kind=clean.kind,
    )


UPDATABLE = {"name", "ethnicity", "phone", "kind"}


@transaction.atomic
def do_update_person(actor, person: Person, changes: dict) -> Person:
    _require(actor, "registry.edit")
    _in_area(actor, person, "person")
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise FieldErrors({f: gettext("Cannot be changed here") for f in sorted(unknown)})
    merged = {"name": person.name, "id_number": person.id_number, "ethnicity": person.ethnicity,
              "phone": person.phone, "kind": person.kind, **changes}
    clean = clean_person(merged)
    changed = []
    for name in sorted(changes):
        value = getattr(clean, name)
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if "phone" in changed:
        person.phone_hash = lookup_hash(person.phone) if person.phone else ""
    if changed:
        person.save()
        audit.record(actor, "registry.update_person", person, fields=changed)
    return person


@transaction.atomic
def do_move_person(actor, person: Person, house: House | None, household: Household | None = None,
                   relation: str = "", when: date | None = None) -> Person:
    """Move someone to another house (or out of the district with house=None); history is kept."""
    _require(actor, "registry.edit")
    _in_area(actor, person, "person")
    if house is not None:
        _in_area(actor, house, "house")
    if household is not None and household.house_id != getattr(house, "pk", None):
        raise FieldErrors({"household": gettext("The household is not in that house")})
    when = when or timezone.localdate()
    if person.moved_in and when < person.moved_in:
        raise FieldErrors({"when": gettext("The move-out date is before they moved in")})
    before = person.house_id
    _settle(person, house, household, relation, when)
    audit.record(actor, "registry.move_person", person, from_house=before, to_house=getattr(house, "pk", None),
                 when=when.isoformat())
    return person


# --- tags and visits ---------------------------------------------------------------------------

@transaction.atomic
def do_tag_person(actor, person: Person, tag: Tag, since: date | None = None, note: str = "") -> PersonTag:
    _require(actor, "registry.edit")
    _in_area(actor, person, "person")
    if tag.is_special and not can(actor, "registry.view_special"):
        raise OperationError(gettext("Not allowed to tag special groups"), field="tag")
    # The visit clock of a person never visited starts on `since`: the day of tagging unless given.
    person_tag, created = PersonTag.objects.get_or_create(
        person=person, tag=tag, defaults={"since": since or timezone.localdate(), "note": note})
    if created:
        refresh_schedules([person.pk])
        audit.record(actor, "registry.tag_person", person, tag=tag.code)
    return person_tag


@transaction.atomic
def do_untag_person(actor, person_tag: PersonTag) -> None:
    _require(actor, "registry.edit")
    if not PersonTag.objects.visible_to(actor).filter(pk=person_tag.pk).exists():
        raise OperationError(gettext("Not found"), field="tag")
    audit.record(actor, "registry.untag_person", person_tag.person, tag=person_tag.tag.code)
    person_tag.delete()
    refresh_schedules([person_tag.person_id])


MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 9


def check_photo(upload) -> None:
    """A photo must be a real image (JPEG, PNG or WebP) under 5 MB."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > MAX_PHOTO_BYTES:
        raise OperationError(gettext("Photo larger than %(mb)s MB: %(name)s")
                             % {"mb": MAX_PHOTO_BYTES // (1024 * 1024), "name": upload.name}, field="photos")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise OperationError(gettext("Unsupported image type (JPEG, PNG or WebP only): %(name)s")
                                     % {"name": upload.name}, field="photos")
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise OperationError(gettext("Not an image: %(name)s") % {"name": upload.name}, field="photos")
    finally:
        upload.seek(0)


@transaction.atomic
def do_record_visit(actor, person: Person, *, visited_at: datetime | None = None, lng=None, lat=None,
                    crs="wgs84", notes: str = "", photos=()) -> Visit:
    """Record a visit; where a position is given it is checked against the person's grid."""
    _require(actor, "registry.visit")
    _in_area(actor, person, "person")
    if person.grid_id is None:
        raise OperationError(gettext("The person has moved out"), field="person")
    visited_at = visited_at or timezone.now()
    if visited_at > timezone.now() + timezone.timedelta(minutes=5):
        raise FieldErrors({"visited_at": gettext("The visit time is in the future")})
    if len(photos) > MAX_PHOTOS:
        raise FieldErrors({"photos": gettext("At most %(count)s photos") % {"count": MAX_PHOTOS}})
    for photo in photos:
        check_photo(photo)
    in_grid, wgs_lng, wgs_lat = None, None, None
    if lng is not None and lat is not None:
        try:
            wgs_lng, wgs_lat = to_wgs84(float(lng), float(lat), crs)
            found = locating.locate(wgs_lng, wgs_lat)
        except (ValueError, TypeError) as exc:
            raise OperationError(str(exc), field="location")
        in_grid = found is not None and found["code"] == person.grid.code
    visit = Visit.objects.create(person=person, grid_id=person.grid_id, worker=actor, visited_at=visited_at,
                                 lng=wgs_lng, lat=wgs_lat, in_grid=in_grid, notes=notes.strip())
    for photo in photos:
        VisitPhoto.objects.create(visit=visit, image=photo)
    refresh_schedules([person.pk])
    audit.record(actor, "registry.record_visit", visit, person=person.pk, in_grid=in_grid)
    return visit


# --- organisations, places, vehicles -----------------------------------------------------------

@transaction.atomic
def do_create_organisation(actor, *, name, uscc, kind, address, lng=None, lat=None, crs="wgs84", grid=None,
                           legal_person="", staff_count=None) -> Organisation:
    _require(actor, "registry.edit")
    errors = {}
    try:
        uscc = clean_uscc(uscc)
    except InvalidValue as exc:
        errors["uscc"] = str(exc)
    if kind not in OrganisationKind.values:
        errors["kind"] = gettext("Unknown kind of organisation")
    if not (name or "").strip():
        errors["name"] = gettext("Required")
    if errors:
        raise FieldErrors(errors)
    if Organisation.objects.filter(uscc=uscc).exists():
        raise FieldErrors({"uscc": gettext("This credit code is already registered")})
    grid, lng, lat = locate_point(lng, lat, crs, within=actor, grid=grid)
    org = Organisation.objects.create(name=name.strip(), uscc=uscc, kind=kind, address=address, lng=lng, lat=lat,
                                      grid=grid, legal_person=legal_person, staff_count=staff_count)
    audit.record(actor, "registry.create_organisation", org, grid=grid.code)
    return org


@transaction.atomic
def do_create_place(actor, *, name, kind, address, lng=None, lat=None, crs="wgs84", grid=None,
                    contact_name="") -> Place:
    _require(actor, "registry.edit")
    if kind not in PlaceKind.values:
        raise FieldErrors({"kind": gettext("Unknown kind of place")})
    if not (name or "").strip():
        raise FieldErrors({"name": gettext("Required")})
    grid, lng, lat = locate_point(lng, lat, crs, within=actor, grid=grid)
    place = Place.objects.create(name=name.strip(), kind=kind, address=address, lng=lng, lat=lat, grid=grid,
                                 contact_name=contact_name)
    audit.record(actor, "registry.create_place", place, grid=grid.code)
    return place


@transaction.atomic
def do_register_vehicle(actor, owner: Person, plate: str) -> Vehicle:
    _require(actor, "registry.edit")
    _in_area(actor, owner, "owner")
    try:
        plate = clean_plate(plate)
    except InvalidValue as exc:
        raise FieldErrors({"plate": str(exc)})
    if Vehicle.objects.filter(plate=plate).exists():
        raise FieldErrors({"plate": gettext("This plate is already registered")})
    if owner.grid_id is None:
        raise FieldErrors({"owner": gettext("The owner has moved out")})
    vehicle = Vehicle.objects.create(plate=plate, owner=owner, grid_id=owner.grid_id)
    audit.record(actor, "registry.register_vehicle", vehicle)
    return vehicle


# --- import ------------------------------------------------------------------------------------

def do_import_people(actor, rows, errors=()):
    """导入实有人口: upsert people by ID number, all or nothing, one audit row with the counts.

    `rows, errors` come from importing.read_people_file (or `rows` from the streaming
    iter_people_file, whose row errors count too). Raises ImportRejected with every
    row error, and then nothing is written. actor None is the system (the command
    line without --as).
    """
    if actor is not None:
        _require(actor, "registry.import")
    with transaction.atomic(), roomy_sqlite_cache():
        result = run_import(actor, rows, errors, write=True)
        if result.errors:
            raise ImportRejected(result.errors)
        audit.record(actor, "registry.import_people", None, **result.counts())
    return result
