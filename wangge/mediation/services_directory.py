"""调解组织与调解员名录: adding, editing and retiring mediation committees and mediators.

Each is an operation: it takes the acting user, needs `mediation.edit_committees`, works only inside the
actor's area (a street operator in their street, the district operator in the whole district: the same
`visible_to` that scopes every read), runs in one transaction and writes one audit row.

Retiring keeps the row, for history (disputes and the measures name it); a retired committee or mediator is no
longer offered for routing or assignment, since every such lookup asks for `active=True`.

Bad input raises FieldErrors naming every faulty field at once, and nothing is written.
"""
from django.db import transaction
from django.utils.translation import gettext as _

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.core import audit
from wangge.core.ids import as_row_id
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, OperationError, require
from wangge.mediation.models import Committee, CommitteeKind, DisputeType, Level, Mediator, Membership
from wangge.registry.validation import InvalidValue, clean_phone

PERMISSION = "mediation.edit_committees"

# The region a committee of each level sits at (an industry committee serves the whole district).
REGION_LEVEL = {Level.COMMUNITY: RegionLevel.COMMUNITY, Level.STREET: RegionLevel.STREET,
                Level.DISTRICT: RegionLevel.DISTRICT, Level.INDUSTRY: RegionLevel.DISTRICT}
# Mediators belong to a community, a street or the district (a grid is too small a home for a pool member).
MEDIATOR_REGION_LEVELS = (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY)

COMMITTEE_FIELDS = ("name", "kind", "level", "region", "dispute_types", "phone", "address")
MEDIATOR_FIELDS = ("name", "region", "phone", "title", "expertise", "languages", "committees", "user")


# --- what both share ----------------------------------------------------------------------------

def _text(values, name, errors, *, limit, required=False) -> str:
    text = str(values.get(name) or "").strip()
    if required and not text:
        errors[name] = _("This field is required.")
    elif "\x00" in text:  # the database refuses it (PostgreSQL): a field error, never a 500
        errors[name] = _("Contains a character that is not allowed.")
    elif len(text) > limit:
        errors[name] = _("At most %(limit)s characters.") % {"limit": limit}
    return text


def _choice(values, name, choices, errors, default=None) -> str:
    value = values.get(name) or default
    if value not in choices.values:
        errors[name] = _("Choose one of the listed values.")
    return value


def _choices(values, name, choices, errors) -> list[str]:
    chosen = values.get(name) or []
    if isinstance(chosen, str):
        chosen = [chosen]
    if not isinstance(chosen, (list, tuple)) or any(item not in choices.values for item in chosen):
        errors[name] = _("Choose from the listed values.")
        return []
    return sorted(set(chosen))


def _phone(values, errors) -> str:
    try:
        return clean_phone(str(values.get("phone") or ""))
    except InvalidValue:
        errors["phone"] = _("Not a phone number.")
        return ""


def _region(actor, values, errors, levels) -> Region | None:
    """The region named by code (or given), if it lies in the actor's area; unknown and outside answer alike."""
    value = values.get("region")
    code = value.code if isinstance(value, Region) else str(value or "").strip()
    region = Region.objects.visible_to(actor).filter(code=code).first() if code.isascii() and code.isdigit() else None
    if region is None:
        errors["region"] = _("Choose a region in your area.")
    elif region.level not in levels:
        errors["region"] = _("A region at this level cannot hold it.")
    return region


def _merged(current, fields, changes) -> dict:
    unknown = set(changes) - set(fields)
    if unknown:
        raise FieldErrors({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    return {**current, **changes}


def _changed(obj, cleaned: dict) -> list[str]:
    changed = []
    for name, value in cleaned.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# --- committees ---------------------------------------------------------------------------------

def _clean_committee(actor, values: dict) -> dict:
    errors = {}
    cleaned = {
        "name": _text(values, "name", errors, limit=100, required=True),
        "kind": _choice(values, "kind", CommitteeKind, errors, default=CommitteeKind.PEOPLES),
        "level": _choice(values, "level", Level, errors),
        "dispute_types": _choices(values, "dispute_types", DisputeType, errors),
        "phone": _phone(values, errors),
        "address": _text(values, "address", errors, limit=200),
    }
    cleaned["region"] = _region(actor, values, errors, tuple(REGION_LEVEL.values()))
    if not errors:
        _check_committee_shape(cleaned, errors)
    if errors:
        raise FieldErrors(errors)
    return cleaned


def _check_committee_shape(cleaned, errors):
    """Kind, level and region agree: routing finds a level's people's committee at that level's region."""
    kind, level, region = cleaned["kind"], cleaned["level"], cleaned["region"]
    if kind == CommitteeKind.PEOPLES and level == Level.INDUSTRY:
        errors["level"] = _("A people's mediation committee sits at a community, a street or the district.")
    elif kind == CommitteeKind.INDUSTRY and level != Level.INDUSTRY:
        errors["level"] = _("An industry committee has the industry level.")
    elif kind == CommitteeKind.OFFICE and level != Level.DISTRICT:
        errors["level"] = _("The multi-party mediation office works at the district level.")
    elif region.level != REGION_LEVEL[level]:
        errors["region"] = _("Choose a region at the committee's level.")


def _committee_values(committee: Committee) -> dict:
    return {name: getattr(committee, name) for name in COMMITTEE_FIELDS}


@transaction.atomic
def do_create_committee(actor, **values) -> Committee:
    """Add a committee: name, kind, level, region (a code in the actor's area), dispute_types, phone, address."""
    require(actor, PERMISSION)
    cleaned = _clean_committee(actor, _merged({}, COMMITTEE_FIELDS, values))
    committee = Committee.objects.create(**cleaned)
    audit.record(actor, "mediation.create_committee", committee, region=committee.region.code,
                 kind=committee.kind, level=committee.level)
    return committee


def _own(actor, obj):
    """The committee or mediator, locked, if it lies in the actor's area (else as if it did not exist)."""
    model = type(obj)
    found = model.objects.visible_to(actor).select_for_update().filter(pk=obj.pk).first()
    if found is None:
        raise OperationError(_("Not found in your area."), field=model._meta.model_name)
    return found


def _retire(actor, obj, operation: str):
    require(actor, PERMISSION)
    obj = _own(actor, obj)
    if not obj.active:
        raise OperationError(_("Already retired."), field="active")
    obj.active = False
    obj.save(update_fields=["active"])
    audit.record(actor, operation, obj, region=obj.region.code)
    return obj


@transaction.atomic
def do_update_committee(actor, committee: Committee, **changes) -> Committee:
    """Change some of a committee's fields; the others keep their values. One audit row naming the changed."""
    require(actor, PERMISSION)
    committee = _own(actor, committee)
    cleaned = _clean_committee(actor, _merged(_committee_values(committee), COMMITTEE_FIELDS, changes))
    changed = _changed(committee, cleaned)
    if changed:
        committee.save()
        audit.record(actor, "mediation.update_committee", committee, fields=sorted(changed))
    return committee


@transaction.atomic
def do_retire_committee(actor, committee: Committee) -> Committee:
    """撤销: the committee takes no new disputes and is offered nowhere; its disputes and history stay."""
    return _retire(actor, committee, "mediation.retire_committee")


# --- mediators ----------------------------------------------------------------------------------

def _committees(actor, values, errors) -> list[Committee]:
    """Active committees in the actor's area, by id (or given)."""
    raw = values.get("committees") or []
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    ids = {item.pk if isinstance(item, Committee) else as_row_id(item) for item in raw}
    found = list(Committee.objects.visible_to(actor).filter(active=True, pk__in=ids - {None}).order_by("id"))
    if None in ids or len(found) != len(ids):
        errors["committees"] = _("Choose active committees in your area.")
    return found


def _account(actor, values, errors, mediator: Mediator | None) -> User | None:
    """The mediator's login: a mediator account in the actor's area not yet linked to another pool member."""
    value = values.get("user")
    if value in (None, ""):
        return None
    user_id = value.pk if isinstance(value, User) else as_row_id(value)
    account = User.objects.visible_to(actor).filter(pk=user_id, role=Role.MEDIATOR, is_active=True).first() \
        if user_id else None
    taken = account is not None and Mediator.objects.filter(user=account).exclude(
        pk=getattr(mediator, "pk", None)).exists()
    if account is None or taken:
        errors["user"] = _("Choose a mediator account in your area that has no pool entry yet.")
    return account


def _words(values, name, errors, *, limit=10) -> list[str]:
    raw = values.get(name) or []
    items = raw.replace("，", ",").split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        errors[name] = _("Give a list.")
        return []
    words = [str(item).strip() for item in items if str(item).strip()]
    if len(words) > limit or any(len(word) > 20 or "\x00" in word for word in words):
        errors[name] = _("At most %(limit)s entries of at most 20 characters.") % {"limit": limit}
    return list(dict.fromkeys(words))


def _clean_mediator(actor, values: dict, mediator: Mediator | None = None) -> tuple[dict, list[Committee]]:
    errors = {}
    cleaned = {
        "name": _text(values, "name", errors, limit=50, required=True),
        "phone": _phone(values, errors),
        "title": _text(values, "title", errors, limit=50),
        "expertise": _choices(values, "expertise", DisputeType, errors),
        "languages": _words(values, "languages", errors),
        "region": _region(actor, values, errors, MEDIATOR_REGION_LEVELS),
        "user": _account(actor, values, errors, mediator),
    }
    committees = _committees(actor, values, errors)
    if errors:
        raise FieldErrors(errors)
    return cleaned, committees


def _set_memberships(mediator: Mediator, committees: list[Committee]) -> bool:
    """Join the chosen committees and leave the others (a chair stays chair where they stay)."""
    wanted = {c.pk for c in committees}
    current = set(mediator.memberships.values_list("committee_id", flat=True))
    mediator.memberships.exclude(committee_id__in=wanted).delete()
    Membership.objects.bulk_create([Membership(committee_id=pk, mediator=mediator) for pk in wanted - current])
    return wanted != current


def _mediator_values(mediator: Mediator) -> dict:
    values = {name: getattr(mediator, name) for name in MEDIATOR_FIELDS if name != "committees"}
    values["committees"] = list(mediator.memberships.values_list("committee_id", flat=True))
    return values


@transaction.atomic
def do_create_mediator(actor, **values) -> Mediator:
    """Add a pool member: name, region (a code in the actor's area), phone, title, expertise (dispute types),
    languages, committees (ids of active committees in the area) and, optionally, their mediator account."""
    require(actor, PERMISSION)
    cleaned, committees = _clean_mediator(actor, _merged({}, MEDIATOR_FIELDS, values))
    mediator = Mediator.objects.create(**cleaned)
    _set_memberships(mediator, committees)
    audit.record(actor, "mediation.create_mediator", mediator, region=mediator.region.code,
                 committees=[c.pk for c in committees])
    return mediator


@transaction.atomic
def do_update_mediator(actor, mediator: Mediator, **changes) -> Mediator:
    """Change some of a mediator's fields (committees: the full list they serve on). One audit row."""
    require(actor, PERMISSION)
    mediator = _own(actor, mediator)
    cleaned, committees = _clean_mediator(actor, _merged(_mediator_values(mediator), MEDIATOR_FIELDS, changes),
                                          mediator)
    changed = _changed(mediator, cleaned)
    if changed:
        mediator.save()
    if _set_memberships(mediator, committees):
        changed.append("committees")
    if changed:
        audit.record(actor, "mediation.update_mediator", mediator, fields=sorted(changed),
                     committees=[c.pk for c in committees])
    return mediator


@transaction.atomic
def do_retire_mediator(actor, mediator: Mediator) -> Mediator:
    """The mediator is no longer offered for assignment; their disputes, sessions and record stay."""
    return _retire(actor, mediator, "mediation.retire_mediator")
