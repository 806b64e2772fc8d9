"""Operations on disputes. Each takes the acting user and runs in one transaction with a timeline row
(DisputeEvent) and an audit row. Workflow actions go through the engine (`do_act` is `workflow.FLOW.act`: area,
version claim, the table's check, the effect registered below, timeline, audit, notifications after the
commit). Nothing here is reached except through these functions.
"""
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.areas.services import locate_point
from wangge.cases.models import Case
from wangge.cases.workflow import FLOW as CASE_FLOW
from wangge.core.models import Department
from wangge.core.numbering import next_day_number
from wangge.core.personal import checked_phone
from wangge.core.roles import Role, can
from wangge.core.scoping import ALL, scope_prefix
from wangge.core.services import NotInArea, OperationError, text_param
from wangge.core.workdays import add_working_days
from wangge.mediation import workflow
from wangge.mediation.models import (
    NEXT_LEVEL,
    Agreement,
    Committee,
    CommitteeKind,
    Confirmation,
    Dispute,
    DisputeCounter,
    DisputeType,
    FollowUp,
    Level,
    Mediator,
    Party,
    PartyKind,
    PartyRole,
    Performance,
    PetitionProgress,
    Referral,
    ReferralOutcome,
    Risk,
    Session,
    SessionState,
    Source,
    State,
)
from wangge.mediation.workflow import FLOW
from wangge.registry.validation import InvalidValue

# 人民调解 normally settles within 30 days; a community is expected to be quicker (working days at the level).
LEVEL_DAYS = {Level.COMMUNITY: 15, Level.STREET: 30, Level.DISTRICT: 30, Level.INDUSTRY: 30}
# The level a region-bound actor registers at (小事不出社区、中事不出街道、大事不出区).
LEVEL_OF_REGION = {RegionLevel.GRID: Level.COMMUNITY, RegionLevel.COMMUNITY: Level.COMMUNITY,
                   RegionLevel.STREET: Level.STREET, RegionLevel.DISTRICT: Level.DISTRICT}
REGION_LEVEL = {Level.COMMUNITY: RegionLevel.COMMUNITY, Level.STREET: RegionLevel.STREET,
                Level.DISTRICT: RegionLevel.DISTRICT, Level.INDUSTRY: RegionLevel.DISTRICT}
# Many parties make a dispute likely to become a group incident (群体性).
GROUP_PARTIES = 5
MAX_AMOUNT = Decimal("999999999999.99")
# Which case channels a dispute made from a case counts as having come through.
SOURCE_OF_CHANNEL = {"grid_worker": Source.GRID, "citizen": Source.CITIZEN, "hotline_12345": Source.HOTLINE_12345,
                     "device": Source.FIXED_POINT, "other_system": Source.DEPARTMENT, "leader": Source.DEPARTMENT}
DISPUTE_MAJOR_CODE = "11"  # 矛盾纠纷 in the case catalogue


# What each input is called in a refusal ("请填写标题"), translated like every message.
LABEL = {
    "party type": pgettext_lazy("dispute input", "party type"),
    "party role": pgettext_lazy("dispute input", "party role"),
    "party's name": pgettext_lazy("dispute input", "party's name"),
    "risk level": pgettext_lazy("dispute input", "risk level"),
    "title": pgettext_lazy("dispute input", "title"),
    "dispute type": pgettext_lazy("dispute input", "dispute type"),
    "source": pgettext_lazy("dispute input", "source"),
    "summary": pgettext_lazy("dispute input", "summary"),
    "level": pgettext_lazy("dispute input", "level"),
    "referral letter number": pgettext_lazy("dispute input", "referral letter number"),
    "note": pgettext_lazy("dispute input", "note"),
    "reason for the transfer": pgettext_lazy("dispute input", "reason for the transfer"),
    "reason for escalating": pgettext_lazy("dispute input", "reason for escalating"),
    "place": pgettext_lazy("dispute input", "place"),
    "online mediation room": pgettext_lazy("dispute input", "online mediation room"),
    "participants": pgettext_lazy("dispute input", "participants"),
    "mediation record": pgettext_lazy("dispute input", "mediation record"),
    "terms of the agreement": pgettext_lazy("dispute input", "terms of the agreement"),
    "why mediation failed": pgettext_lazy("dispute input", "why mediation failed"),
    "reason for withdrawing": pgettext_lazy("dispute input", "reason for withdrawing"),
    "performance": pgettext_lazy("dispute input", "performance"),
    "follow-up visit": pgettext_lazy("dispute input", "follow-up visit"),
    "progress": pgettext_lazy("dispute input", "progress"),
}


# --- reading input -------------------------------------------------------------------------------

_text = text_param  # the one text check of operations (core/services.py)


def clean_amount(value, field="amount", *, required=False) -> Decimal | None:
    """A sum in yuan: a number, not negative, at most two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise OperationError(_("amount is required"), field=field)
        return None
    if isinstance(value, bool):
        raise OperationError(_("the amount must be a number"), field=field)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise OperationError(_("the amount must be a number"), field=field) from None
    if not amount.is_finite():
        raise OperationError(_("the amount must be a number"), field=field)
    if amount < 0:
        raise OperationError(_("the amount must not be negative"), field=field)
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise OperationError(_("amount out of range or more than 2 decimals"), field=field)
    return amount.quantize(Decimal("0.01"))


def _choice(value, choices, field, label):
    value = str(value or "").strip()
    if value not in choices.values:
        raise OperationError(_("Unknown %(what)s: %(value)s") % {"what": label, "value": value}, field=field)
    return value


def _moment(value, field):
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            raise OperationError(_("not a date and time"), field=field) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _day(value, field) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise OperationError(_("not a date"), field=field) from None


def _visible_to(actor, region) -> bool:
    prefix = scope_prefix(actor)
    return prefix is ALL or (prefix is not None and region.path.startswith(prefix))


def clean_parties(actor, parties) -> list[Party]:
    """Unsaved Party rows from dicts: {kind, role, person | organisation | name, id_number, phone}.

    A person or organisation from the registry must be in the actor's area (else: as if it did not exist).
    """
    from wangge.registry.models import Organisation, Person

    rows = []
    for index, raw in enumerate(parties or ()):
        field = f"parties[{index}]"
        if not isinstance(raw, dict):
            raise OperationError(_("a party must be an object"), field=field)
        kind = _choice(raw.get("kind") or PartyKind.PERSON, PartyKind, f"{field}.kind", LABEL["party type"])
        role = _choice(raw.get("role") or PartyRole.APPLICANT, PartyRole, f"{field}.role", LABEL["party role"])
        party = Party(kind=kind, role=role)
        if raw.get("person") not in (None, ""):
            person = Person.objects.visible_to(actor).filter(pk=_int(raw["person"], f"{field}.person")).first()
            if person is None:
                raise OperationError(_("the person is not in your area"), field=f"{field}.person")
            party.kind, party.person, party.name = PartyKind.PERSON, person, person.name
            party.id_number, party.phone = person.id_number, person.phone or ""
        elif raw.get("organisation") not in (None, ""):
            organisation = (Organisation.objects.visible_to(actor)
                            .filter(pk=_int(raw["organisation"], f"{field}.organisation")).first())
            if organisation is None:
                raise OperationError(_("the organisation is not in your area"),
                                     field=f"{field}.organisation")
            party.kind, party.organisation, party.name = PartyKind.ORGANISATION, organisation, organisation.name
        else:
            party.name = _text(raw, "name", LABEL["party's name"], limit=100) if raw.get("name") else ""
            if not party.name:
                raise OperationError(_("a party needs a name"), field=f"{field}.name")
            party.id_number = _clean_id(raw.get("id_number"), f"{field}.id_number") if kind == PartyKind.PERSON else ""
            party.phone = checked_phone(raw.get("phone"), f"{field}.phone")
        rows.append(party.fill_keys())
    return rows


def _int(value, field) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise OperationError(_("must be a whole number"), field=field) from None


def _clean_id(value, field) -> str:
    from wangge.registry.validation import clean_id_number

    value = str(value or "").strip()
    if not value:
        return ""
    try:
        return clean_id_number(value)
    except InvalidValue as exc:
        raise OperationError(str(exc), field=field) from None


# --- where a dispute belongs ---------------------------------------------------------------------

def region_at(region: Region, level: str) -> Region:
    """The ancestor (or self) of `region` at a region level; the nearest existing one above otherwise."""
    found = [r for r in region.ancestors_and_self() if r.level == level]
    return found[0] if found else region


def default_committee(level: str, region: Region, dispute_type: str = "") -> Committee | None:
    """The committee a new or escalated dispute goes to: the people's committee of its community, street or
    district (an industry committee only when chosen)."""
    if level == Level.INDUSTRY:
        return None
    home = region_at(region, REGION_LEVEL[level])
    return (Committee.objects.filter(active=True, kind=CommitteeKind.PEOPLES, level=level, region=home)
            .order_by("id").first())


def office_for(region: Region) -> Committee | None:
    """The district's 多调办, which receives court referrals and routes them."""
    district = region_at(region, RegionLevel.DISTRICT)
    return Committee.objects.filter(active=True, kind=CommitteeKind.OFFICE, region=district).order_by("id").first()


def due_by(level: str, start):
    return add_working_days(start, LEVEL_DAYS[level])


def _locate(actor, lng, lat, crs, grid, region, *, public=False):
    """(region, grid, lng, lat): a point or grid is located to its grid; without either, `region` (a street or
    district a referral names) must be in the actor's area."""
    if lng is not None or lat is not None or grid is not None:
        located, lng, lat = locate_point(lng, lat, crs, within=None if public else actor, grid=grid)
        return located, located, lng, lat
    if region is None:
        if public:
            raise OperationError(_("pick the place on the map"), field="location")
        raise OperationError(_("give a location or a grid"), field="location")
    if not isinstance(region, Region):
        region = Region.objects.filter(pk=region).first() if str(region).isdigit() else \
            Region.objects.filter(code=str(region)).first()
    if region is None or (not public and not _visible_to(actor, region)):
        raise OperationError(_("the region is not in your area"), field="region")
    return region, None, None, None


def group_risk_reason(parties: int) -> str:
    """The reason the ledger adds when a dispute has GROUP_PARTIES parties or more; kept with the dispute, so in
    the platform's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(n)s parties: it may become a group incident") % {"n": parties}


def _assess_risk(risk, reasons, parties, group_risk, criminal_risk, amount):
    """The risk the registrar gave, raised by what the ledger knows: many parties (群体性) or 民转刑 signs."""
    risk = _choice(risk or Risk.LOW, Risk, "risk", LABEL["risk level"])
    reasons = [str(r).strip()[:100] for r in (reasons or []) if str(r).strip()]
    if len(parties) >= GROUP_PARTIES:
        group_risk = True
        reasons.append(group_risk_reason(len(parties)))
    if group_risk or criminal_risk:
        risk = Risk.HIGH
    return risk, reasons, bool(group_risk), bool(criminal_risk)


# --- registering -----------------------------------------------------------------------------------

def validate_dispute(actor, *, title, type, source, summary="", lng=None, lat=None, crs="wgs84", grid=None,
                     region=None, address="", amount=None, parties=(), level=None, committee=None, risk=None,
                     risk_reasons=(), group_risk=False, criminal_risk=False, is_petition=False, leader=None,
                     leader_name="", public=False, court=False, now=None) -> dict:
    """Everything do_register_dispute checks, without writing: the fields of the new row, or OperationError.
    `public`: a citizen without an account; `court`: a referral, whose role do_refer has checked."""
    if not public and not court and not can(actor, "mediation.register"):
        raise OperationError(_("your role may not register disputes"), field="role")
    title = _text({"title": title}, "title", LABEL["title"], limit=200)
    dispute_type = _choice(type, DisputeType, "type", LABEL["dispute type"])
    source = _choice(source, Source, "source", LABEL["source"])
    summary = _text({"summary": summary}, "summary", LABEL["summary"], required=False)
    region, grid, lng, lat = _locate(actor, lng, lat, crs, grid, region, public=public)
    amount = clean_amount(amount)
    cleaned = clean_parties(actor, parties) if not public else clean_parties_public(parties)
    if not cleaned:
        raise OperationError(_("add at least one party"), field="parties")
    if level in (None, ""):
        level = LEVEL_OF_REGION.get(getattr(getattr(actor, "region", None), "level", None), Level.COMMUNITY)
    level = _choice(level, Level, "level", LABEL["level"])
    if committee not in (None, ""):
        committee = committee if isinstance(committee, Committee) else \
            Committee.objects.filter(pk=_int(committee, "committee"), active=True).first()
        if committee is None or not region.path.startswith(committee.region.path):
            raise OperationError(_("the committee does not serve this area"), field="committee")
        if committee.kind == CommitteeKind.OFFICE:
            raise OperationError(_("choose a mediation committee, not the office"),
                                 field="committee")
        if not committee.takes(dispute_type):
            raise OperationError(_("the committee does not take this type"), field="committee")
        level = committee.level
    else:
        committee = default_committee(level, region, dispute_type)
    risk, reasons, group_risk, criminal_risk = _assess_risk(risk, risk_reasons, cleaned, group_risk, criminal_risk,
                                                            amount)
    if leader not in (None, ""):
        from wangge.core.models import User

        leader = leader if isinstance(leader, User) else User.objects.filter(pk=_int(leader, "leader"),
                                                                             is_active=True).first()
        # The leader in charge (包案领导) oversees the place (bound to it or a level above it) or is someone the
        # registrar can see: no naming staff of another street.
        oversees = leader is not None and leader.region_id and region.path.startswith(leader.region.path)
        if leader is None or not (oversees or User.objects.visible_to(actor).filter(pk=leader.pk).exists()):
            raise OperationError(_("unknown leader"), field="leader")
    else:
        leader = None
    return {"title": title, "type": dispute_type, "source": source, "summary": summary, "region": region,
            "grid": grid, "lng": lng, "lat": lat, "address": str(address or "").strip()[:200], "amount": amount,
            "parties": cleaned, "level": level, "committee": committee, "risk": risk, "risk_reasons": reasons,
            "group_risk": group_risk, "criminal_risk": criminal_risk, "is_petition": bool(is_petition),
            "leader": leader,
            "leader_name": (leader_name or ((leader.full_name or leader.username) if leader else ""))[:50]}


def clean_parties_public(parties) -> list[Party]:
    """A citizen names the parties; nothing is looked up in the registry."""
    rows = []
    for index, raw in enumerate(parties or ()):
        if not isinstance(raw, dict) or raw.get("person") or raw.get("organisation"):
            raise OperationError(_("give a party's name"), field=f"parties[{index}]")
        rows.extend(clean_parties(None, [raw]))
    return rows


def _create(actor, fields, now, *, case=None) -> Dispute:
    parties = fields.pop("parties")
    dispute = Dispute.objects.create(number=next_day_number(DisputeCounter, "TJ", now, width=5), reported_at=now,
                                     due_by=due_by(fields["level"], now), case=case, parties_count=len(parties),
                                     created_by=actor if getattr(actor, "pk", None) else None, **fields)
    for party in parties:
        party.dispute = dispute
    Party.objects.bulk_create(parties)
    details = {"source": dispute.source, "type": dispute.type, "level": dispute.level,
               "committee": dispute.committee_id}
    if dispute.mediator_id:  # chosen by the parties when they reported it
        details.update(mediator_id=dispute.mediator_id, chosen_by_parties=True)
    FLOW.record(actor, dispute, "register", from_state="", to_state=State.REGISTERED, details=details, now=now)
    return dispute


def do_register_dispute(actor, *, now=None, **fields) -> Dispute:
    """登记: a new entry of the ledger, located to its grid, sent to its level's committee."""
    now = now or timezone.now()
    with transaction.atomic():
        return _create(actor, validate_dispute(actor, now=now, **fields), now)


def do_case_to_dispute(actor, case, *, type=DisputeType.OTHER, parties=(), amount=None, level=None, committee=None,
                       now=None) -> Dispute:
    """转为纠纷: a case of the 矛盾纠纷 class becomes a dispute, linked both ways (dispute.case, case.dispute)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.visible_to(actor).select_related("category__major", "grid").filter(pk=case.pk).first()
        if case is None:
            raise NotInArea(_("the case is outside your area"), field="case")
        if case.category.major.code != DISPUTE_MAJOR_CODE:
            raise OperationError(_("Only a case of the disputes category (矛盾纠纷) becomes a dispute"), field="case")
        if Dispute.objects.filter(case=case).exists():
            raise OperationError(_("the case is already a dispute"), field="case")
        parties = list(parties) or [{"name": case.reporter_name or "未具名当事人", "role": PartyRole.APPLICANT}]
        fields = validate_dispute(actor, title=case.title, type=type, source=SOURCE_OF_CHANNEL.get(case.channel,
                                  Source.GRID), summary=case.description, grid=case.grid, address=case.address,
                                  amount=amount, parties=parties, level=level, committee=committee, now=now)
        fields["lng"], fields["lat"] = case.lng, case.lat
        dispute = _create(actor, fields, now, case=case)
        CASE_FLOW.record(actor, case, "to_dispute", note=f"转为矛盾纠纷 {dispute.number}",
                         details={"dispute": dispute.number}, now=now)
    return dispute


MAX_LETTER_BYTES = 10 * 1024 * 1024
LETTER_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".ofd")


def check_letter(letter) -> None:
    """The referral letter (移送函): required, a PDF, an image or a document (OFD included), at most 10 MB."""
    if not letter:
        raise OperationError(_("the referral letter is required"), field="letter")
    if (getattr(letter, "size", 0) or 0) > MAX_LETTER_BYTES:
        raise OperationError(_("the letter is larger than 10 MB"), field="letter")
    if not str(getattr(letter, "name", "")).lower().endswith(LETTER_TYPES):
        raise OperationError(_("the letter must be a PDF, an image or a document"),
                             field="letter")


def do_refer(actor, *, letter, letter_number, title, type, summary="", court_case_number="", parties=(),
             amount=None, lng=None, lat=None, crs="wgs84", grid=None, region=None, address="", now=None) -> Dispute:
    """诉前移送: a court sends a case for mediation with its referral letter (移送函); it goes to the district's
    多调办 to be routed to the right committee."""
    now = now or timezone.now()
    if not workflow.is_court_handler(actor):
        raise OperationError(_("only a court refers cases"), field="role")
    check_letter(letter)
    letter_number = _text({"letter_number": letter_number}, "letter_number", LABEL["referral letter number"], limit=64)
    court = Department.objects.select_related("region").get(pk=actor.department_id)
    if region is None and grid is None and lng is None:
        region = court.region
    with transaction.atomic():
        fields = validate_dispute(actor, title=title, type=type, source=Source.COURT, summary=summary, lng=lng,
                                  lat=lat, crs=crs, grid=grid, region=region, address=address, amount=amount,
                                  parties=parties, level=Level.DISTRICT, court=True, now=now)
        fields["committee"] = office_for(fields["region"]) or fields["committee"]
        dispute = _create(actor, fields, now)
        Referral.objects.create(dispute=dispute, court=court, letter_number=letter_number, letter=letter,
                                court_case_number=str(court_case_number or "").strip()[:64], referred_at=now)
    return dispute


def do_report_dispute_public(*, title, type, summary="", lng=None, lat=None, crs="wgs84", address="",
                             parties=(), amount=None, mediator=None, now=None) -> Dispute:
    """群众自报: a citizen reports a dispute from the portal (no account); it goes to the community's committee.
    `mediator` (optional): the one the parties chose among those eligible (members of that committee)."""
    now = now or timezone.now()
    with transaction.atomic():
        fields = validate_dispute(None, title=title, type=type, source=Source.CITIZEN, summary=summary, lng=lng,
                                  lat=lat, crs=crs, address=address, parties=parties, amount=amount,
                                  level=Level.COMMUNITY, public=True, now=now)
        if mediator not in (None, ""):
            committee = fields["committee"]
            chosen = (Mediator.objects.filter(active=True, memberships__committee=committee,
                                              pk=_int(mediator, "mediator")).first() if committee else None)
            if chosen is None:
                raise OperationError(_("choose one of the eligible mediators"), field="mediator")
            fields["mediator"] = chosen
        return _create(None, fields, now)


# --- acting ------------------------------------------------------------------------------------------

def do_act(actor, dispute, action: str, *, expected_version: int, now=None, **params) -> Dispute:
    """Take `action` on `dispute` (the workflow table decides), as of `expected_version`. Returns the new row."""
    return FLOW.act(actor, dispute, action, expected_version, now=now, **params)


# --- the effects of the workflow's actions (see wangge/core/workflow.py) -------------------------------
# Each takes (actor, dispute, params, now), changes the fresh row the engine claimed (and the rows beside it)
# and returns the timeline's (note, details); OperationError names the input at fault and rolls all back.

def _committee_param(dispute, params, *, field="committee") -> Committee:
    value = params.get(field)
    committee = value if isinstance(value, Committee) else (
        Committee.objects.select_related("region").filter(pk=_int(value, field), active=True).first()
        if value not in (None, "") else None)
    if committee is None:
        raise OperationError(_("choose a committee"), field=field)
    if committee.kind == CommitteeKind.OFFICE:
        raise OperationError(_("choose a mediation committee, not the office"), field=field)
    serves = dispute.region.path.startswith(committee.region.path)
    # A referral that names only the district is placed where the committee it is routed to sits.
    narrows = dispute.grid_id is None and committee.region.path.startswith(dispute.region.path)
    if not (serves or narrows):
        raise OperationError(_("the committee does not serve this area"), field=field)
    if not committee.takes(dispute.type):
        raise OperationError(_("the committee does not take this type"), field=field)
    return committee


def _route(actor, dispute, params, now):
    committee = _committee_param(dispute, params)
    if committee.pk == dispute.committee_id:
        raise OperationError(_("already with this committee"), field="committee")
    if not dispute.region.path.startswith(committee.region.path):
        dispute.region = committee.region
    dispute.committee, dispute.level, dispute.mediator = committee, committee.level, None
    dispute.due_by, dispute.overdue_flagged_at = due_by(committee.level, now), None
    referral = Referral.objects.filter(dispute=dispute).first()
    if referral is not None and referral.routed_at is None:
        Referral.objects.filter(pk=referral.pk).update(routed_at=now)
    return _text(params, "note", LABEL["note"], required=False), {"committee": committee.name, "level": committee.level}


def _transfer(actor, dispute, params, now):
    note, details = _route(actor, dispute, params, now)
    dispute.transfer_count += 1
    dispute.accepted_at = dispute.mediation_started_at = None
    _cancel_sessions(dispute)
    return _text(params, "reason", LABEL["reason for the transfer"]), details


def _escalate(actor, dispute, params, now):
    reason = _text(params, "reason", LABEL["reason for escalating"])
    level = NEXT_LEVEL[dispute.level]
    dispute.level, dispute.escalation_count = level, dispute.escalation_count + 1
    dispute.committee = default_committee(level, dispute.region, dispute.type)
    dispute.mediator, dispute.accepted_at, dispute.mediation_started_at = None, None, None
    dispute.due_by, dispute.overdue_flagged_at = due_by(level, now), None
    _cancel_sessions(dispute)
    return reason, {"level": level, "committee": dispute.committee.name if dispute.committee else ""}


def _accept(actor, dispute, params, now):
    dispute.accepted_at = now
    if actor.role == Role.MEDIATOR and dispute.mediator_id is None:
        dispute.mediator = Mediator.objects.filter(user=actor, active=True).first()
    return _text(params, "note", LABEL["note"], required=False), {}


def eligible_mediators(dispute):
    """Who may mediate: active members of the dispute's committee (those with the type's expertise first)."""
    if not dispute.committee_id:
        return Mediator.objects.none()
    return Mediator.objects.filter(active=True, memberships__committee_id=dispute.committee_id).distinct()


def _assign_mediator(actor, dispute, params, now):
    mediator = eligible_mediators(dispute).filter(pk=_int(params.get("mediator"), "mediator")).first() \
        if params.get("mediator") not in (None, "") else None
    if mediator is None:
        raise OperationError(_("choose a mediator of the committee"), field="mediator")
    dispute.mediator = mediator
    chosen = bool(params.get("chosen_by_parties"))
    # The id, not the name: who may read a mediator's name is the reader's business (the API labels it).
    return ("当事人选择" if chosen else ""), {"mediator_id": mediator.pk, "chosen_by_parties": chosen}


def _schedule_session(actor, dispute, params, now):
    starts_at = _moment(params.get("starts_at"), "starts_at")
    if starts_at <= now:
        raise OperationError(_("a session cannot be in the past"), field="starts_at")
    place = _text(params, "place", LABEL["place"], required=False, limit=200)
    room = _text(params, "online_room", LABEL["online mediation room"], required=False, limit=200)
    if room and not room.startswith(("https://", "http://")):
        raise OperationError(_("the online room must be a link"), field="online_room")
    if not place and not room:
        raise OperationError(_("give a place or an online room"), field="place")
    session = Session.objects.create(dispute=dispute, starts_at=starts_at, place=place, online_room=room,
                                     participants=_text(params, "participants", LABEL["participants"], required=False),
                                     mediator=dispute.mediator)
    if dispute.mediation_started_at is None:
        dispute.mediation_started_at = now
    return "", {"session": session.pk, "starts_at": starts_at.isoformat(), "place": place, "online": bool(room)}


def _record_session(actor, dispute, params, now):
    session = Session.objects.filter(dispute=dispute, pk=_int(params.get("session"), "session"),
                                     state=SessionState.SCHEDULED).first() if params.get("session") else None
    if session is None:
        raise OperationError(_("choose a scheduled session"), field="session")
    record = _text(params, "record", LABEL["mediation record"])
    Session.objects.filter(pk=session.pk).update(state=SessionState.HELD, record=record, held_at=now)
    return "", {"session": session.pk}


def _agree(actor, dispute, params, now):
    terms = _text(params, "terms", LABEL["terms of the agreement"], limit=20000)
    amount = clean_amount(params.get("amount")) or Decimal("0.00")
    perform_by = _day(params.get("perform_by"), "perform_by")
    if perform_by is not None and perform_by < timezone.localtime(now).date():
        raise OperationError(_("the performance deadline is in the past"), field="perform_by")
    Agreement.objects.create(dispute=dispute, terms=terms, amount=amount, perform_by=perform_by, signed_at=now)
    dispute.closed_at, dispute.outcome_note = now, terms[:500]
    _close_referral(dispute, ReferralOutcome.SETTLED, now)
    return "", {"amount": str(amount), "perform_by": perform_by.isoformat() if perform_by else ""}


def _fail(actor, dispute, params, now):
    reason = _text(params, "reason", LABEL["why mediation failed"])
    dispute.closed_at, dispute.outcome_note = now, reason
    _close_referral(dispute, ReferralOutcome.RETURNED, now)
    return reason, {}


def _withdraw(actor, dispute, params, now):
    reason = _text(params, "reason", LABEL["reason for withdrawing"])
    dispute.closed_at, dispute.outcome_note = now, reason
    _close_referral(dispute, ReferralOutcome.RETURNED, now)
    return reason, {}


def _cancel_sessions(dispute):
    """Sessions still ahead are off once the dispute leaves this committee or ends."""
    Session.objects.filter(dispute=dispute, state=SessionState.SCHEDULED).update(state=SessionState.CANCELLED)


def _close_referral(dispute, outcome, now):
    """The outcome goes back to the referring court: settled, or returned to litigation (退回诉讼).
    Closing the dispute also calls off the sessions still scheduled."""
    _cancel_sessions(dispute)
    Referral.objects.filter(dispute=dispute, outcome=ReferralOutcome.PENDING).update(outcome=outcome, outcome_at=now)


def _apply_confirmation(actor, dispute, params, now):
    court = params.get("court")
    if court in (None, ""):
        referral = Referral.objects.filter(dispute=dispute).first()
        court = referral.court if referral else None
    elif not isinstance(court, Department):
        court = Department.objects.filter(pk=_int(court, "court"), code__in=workflow.COURT_CODES).first()
    if court is None or court.code not in workflow.COURT_CODES:
        raise OperationError(_("choose the court"), field="court")
    _update_agreement(dispute, confirmation=Confirmation.APPLIED, confirmation_court=court,
                      confirmation_applied_at=now, confirmation_decided_at=None)
    return "", {"court": court.name}


def _decide_confirmation(outcome):
    def apply(actor, dispute, params, now):
        note = _text(params, "note", LABEL["note"], required=outcome == Confirmation.REFUSED)
        _update_agreement(dispute, confirmation=outcome, confirmation_decided_at=now, confirmation_note=note)
        return note, {"confirmation": outcome}
    return apply


def _update_agreement(dispute, **fields) -> Agreement:
    """Change the agreement through the dispute's own (cached) row, so what do_act returns is current."""
    agreement = dispute.agreement
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement.save(update_fields=list(fields))
    return agreement


def _follow_up(actor, dispute, params, now):
    performance = _choice(params.get("performance"), Performance, "performance", LABEL["performance"])
    if performance == Performance.PENDING:
        raise OperationError(_("say whether it is kept"), field="performance")
    note = _text(params, "note", LABEL["follow-up visit"], required=False)
    agreement = _update_agreement(dispute, performance=performance)
    FollowUp.objects.create(agreement=agreement, at=now, performance=performance, note=note, by=actor)
    return note, {"performance": performance}


def _rate(actor, dispute, params, now):
    party = Party.objects.filter(dispute=dispute, pk=_int(params.get("party"), "party")).first() \
        if params.get("party") not in (None, "") else None
    if party is None:
        raise OperationError(_("choose the party"), field="party")
    try:
        rating = int(params.get("rating"))
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise OperationError(_("rating must be 1 to 5"), field="rating")
    Party.objects.filter(pk=party.pk).update(rating=rating)
    return "", {"party": party.pk, "rating": rating}


def _record_progress(actor, dispute, params, now):
    text = _text(params, "text", LABEL["progress"])
    month = timezone.localtime(now).date().replace(day=1)
    if PetitionProgress.objects.filter(dispute=dispute, month=month).exists():
        raise OperationError(_("this month's progress is recorded"), field="text")
    PetitionProgress.objects.create(dispute=dispute, month=month, text=text, by=actor, at=now)
    return text, {"month": month.isoformat()}


for _action, _effect in {
    "route": _route, "transfer": _transfer, "escalate": _escalate, "accept": _accept,
    "assign_mediator": _assign_mediator, "schedule_session": _schedule_session, "record_session": _record_session,
    "agree": _agree, "fail": _fail, "withdraw": _withdraw, "apply_confirmation": _apply_confirmation,
    "confirm": _decide_confirmation(Confirmation.CONFIRMED),
    "refuse_confirmation": _decide_confirmation(Confirmation.REFUSED),
    "follow_up": _follow_up, "rate": _rate, "record_progress": _record_progress,
}.items():
    FLOW.effect(_action)(_effect)
FLOW.assert_complete()
