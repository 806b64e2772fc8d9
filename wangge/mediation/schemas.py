"""Typed schemas of the disputes API (the OpenAPI is generated from these). See docs/api/mediation.md.

Personal data leaves only masked: parties' phones and ID numbers, mediators' phones (`wangge.core.personal`);
the clear value is one logged reveal away (POST /api/v1/reveal, object "mediation.party" or "mediation.mediator").
Staff are named only to viewers who may see them (`core.staff.staff_labels`), else by their role; this
holds for mediators with an account too. Pool mediators without an account are named.
"""
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Schema

from wangge.core.schemas import EventOut, MaskedIdentity, MaskedPhone
from wangge.mediation.models import OPEN_STATES

Amount = int | float | str | None  # checked by services.clean_amount, which names the field in Chinese


def is_overdue(dispute, now=None) -> bool:
    """Still open past the date its current level should have settled it by."""
    return dispute.state in OPEN_STATES and dispute.due_by is not None and dispute.due_by < (now or timezone.now())


def mediator_label(labels: dict, mediator) -> str | None:
    """A mediator's name, or their role when their account is not the viewer's to know (see the docstring)."""
    if mediator is None:
        return None
    if mediator.user_id:
        return labels.get(mediator.user_id, mediator.name)
    return mediator.name


# --- registering ---------------------------------------------------------------------------------

class PartyIn(Schema):
    """A party: a person or organisation from the registry (by id, in the caller's area), or a name."""

    kind: str = Field("person", description="person or organisation")
    role: str = Field("applicant", description="applicant, respondent or third")
    person: int | None = Field(None, description="registry person id (name, ID number and phone come from it)")
    organisation: int | None = Field(None, description="registry organisation id")
    name: str = ""
    id_number: str = Field("", description="公民身份号码 (GB 11643), checked")
    phone: str = ""


class DisputeIn(Schema):
    """A new dispute. The place: lng/lat (in `crs`), a grid code, or a region code (street or district)."""

    title: str
    type: str = Field(description="dispute type, e.g. neighbour, labour, property_management (docs)")
    source: str = Field(description="where it was found: grid, police, hotline_12345, … (docs)")
    summary: str = ""
    lng: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", description="wgs84, gcj02 or bd09")
    grid: str | None = Field(None, description="15-digit grid code, when there is no position")
    region: str | None = Field(None, description="region code, when neither a position nor a grid is known")
    address: str = ""
    amount: Amount = Field(None, description="amount in dispute, yuan")
    parties: list[PartyIn] = Field(default_factory=list, description="at least one")
    level: str | None = Field(None, description="community, street, district or industry; defaults to the "
                                                "caller's level")
    committee: int | None = Field(None, description="committee id; defaults to the level's people's committee")
    risk: str | None = Field(None, description="low, medium or high (raised by group or criminal risk)")
    risk_reasons: list[str] = Field(default_factory=list)
    group_risk: bool = False
    criminal_risk: bool = False
    is_petition: bool = Field(False, description="信访包案: a petition matter with monthly progress")
    leader: int | None = Field(None, description="the leader in charge (a user id), for a petition matter")
    leader_name: str = ""


class CaseToDisputeIn(Schema):
    type: str = "other"
    parties: list[PartyIn] = Field(default_factory=list, description="defaults to the case's reporter")
    amount: Amount = None
    level: str | None = None
    committee: int | None = None


class ReferralIn(Schema):
    """The form fields of a court referral (multipart, with the letter file as `letter`)."""

    letter_number: str = Field("", description="移送函号")
    title: str = ""
    type: str = ""
    summary: str = ""
    court_case_number: str = ""
    parties: str = Field("[]", description="the parties as a JSON list of objects (see PartyIn)")
    amount: str = ""
    lng: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    grid: str | None = None
    region: str | None = Field(None, description="region code; defaults to the court's region")
    address: str = ""


class _WhereAndWho(Schema):
    """A dispute's grid and committee as codes and names (resolvers shared by the created answer and the list)."""

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code if obj.grid_id else None

    @staticmethod
    def resolve_committee(obj):
        return obj.committee_id

    @staticmethod
    def resolve_committee_name(obj):
        return obj.committee.name if obj.committee_id else None


class DisputeCreated(_WhereAndWho):
    id: int
    number: str
    state: str
    level: str
    region: str = Field(..., alias="region.code")
    grid: str | None
    committee: int | None
    committee_name: str | None
    risk: str
    due_by: datetime | None


# --- reading -------------------------------------------------------------------------------------

class DisputeOut(_WhereAndWho):
    """One dispute as listed."""

    id: int
    number: str
    title: str
    type: str
    source: str
    level: str
    state: str
    risk: str
    group_risk: bool
    criminal_risk: bool
    is_petition: bool
    region: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    grid: str | None
    committee: int | None
    committee_name: str | None
    amount: Decimal | None
    parties_count: int
    reported_at: datetime
    due_by: datetime | None
    closed_at: datetime | None
    overdue: bool
    version: int

    @staticmethod
    def resolve_overdue(obj):
        return is_overdue(obj)


class PartyOut(MaskedIdentity):
    id: int
    kind: str
    role: str
    name: str
    person: int | None = Field(alias="person_id")
    organisation: int | None = Field(alias="organisation_id")
    phone: str = Field(description="masked")
    id_number: str = Field(description="masked")
    rating: int | None


class SessionOut(Schema):
    id: int
    starts_at: datetime
    place: str
    online_room: str
    participants: str
    mediator: str | None = Field(description="name (or role, see the module docstring)")
    state: str
    record: str
    held_at: datetime | None

    @staticmethod
    def resolve_mediator(obj):
        return getattr(obj, "mediator_label", None)


class FollowUpOut(Schema):
    at: datetime
    performance: str
    note: str
    by: str | None

    @staticmethod
    def resolve_by(obj):
        return getattr(obj, "by_label", None)


class AgreementOut(Schema):
    terms: str
    amount: Decimal
    perform_by: date | None
    signed_at: datetime
    confirmation: str = Field(description="'' (not applied), applied, confirmed or refused")
    confirmation_court: str | None
    confirmation_applied_at: datetime | None
    confirmation_decided_at: datetime | None
    confirmation_note: str
    performance: str
    follow_ups: list[FollowUpOut] = Field(alias="follow_ups_shown")

    @staticmethod
    def resolve_confirmation_court(obj):
        return obj.confirmation_court.name if obj.confirmation_court_id else None


class ReferralOut(Schema):
    court: str = Field(..., alias="court.name")
    letter_number: str
    letter_name: str
    court_case_number: str
    referred_at: datetime
    routed_at: datetime | None
    outcome: str = Field(description="'' (pending), settled or returned")
    outcome_at: datetime | None

    @staticmethod
    def resolve_letter_name(obj):
        return obj.letter.name.rsplit("/", 1)[-1] if obj.letter else ""


class ProgressOut(Schema):
    month: date
    text: str
    by: str | None
    at: datetime

    @staticmethod
    def resolve_by(obj):
        return getattr(obj, "by_label", None)


class DisputeDetail(DisputeOut):
    """One dispute whole, for this viewer: what they may do now, and everything that happened to it."""

    summary: str
    lng: float | None
    lat: float | None
    address: str
    risk_reasons: list[str]
    mediator: int | None = Field(alias="mediator_id")
    mediator_name: str | None = Field(alias="mediator_label")
    case: str | None = Field(description="number of the case it came from, if the viewer may see that case")
    created_by: str | None = Field(alias="created_by_label")
    leader: str | None = Field(description="the leader in charge (包案领导)")
    accepted_at: datetime | None
    mediation_started_at: datetime | None
    outcome_note: str
    escalation_count: int
    transfer_count: int
    allowed_actions: list[str]
    parties: list[PartyOut] = Field(alias="parties_shown")
    sessions: list[SessionOut] = Field(alias="sessions_shown")
    agreement: AgreementOut | None = Field(alias="agreement_shown")
    referral: ReferralOut | None = Field(alias="referral_shown")
    progress: list[ProgressOut] = Field(alias="progress_shown")
    events: list[EventOut] = Field(alias="events_shown")

    @staticmethod
    def resolve_case(obj):
        return obj.case_number

    @staticmethod
    def resolve_leader(obj):
        return obj.leader_label


# --- acting --------------------------------------------------------------------------------------

class ActionIn(Schema):
    """The version the caller last saw, and the action's own inputs (see docs/api/mediation.md)."""

    version: int
    note: str | None = None
    reason: str | None = None
    committee: int | None = Field(None, description="committee id (route, transfer)")
    mediator: int | None = Field(None, description="mediator id, one of the committee's (assign_mediator)")
    chosen_by_parties: bool | None = None
    starts_at: str | None = Field(None, description="ISO date and time, in the future (schedule_session)")
    place: str | None = None
    online_room: str | None = None
    participants: str | None = None
    session: int | None = Field(None, description="session id (record_session)")
    record: str | None = None
    terms: str | None = None
    amount: Amount = None
    perform_by: str | None = Field(None, description="YYYY-MM-DD, not in the past (agree)")
    court: int | str | None = Field(None, description="court department id or code (apply_confirmation)")
    performance: str | None = Field(None, description="kept, partly or broken (follow_up)")
    party: int | None = Field(None, description="party id (rate)")
    rating: int | None = Field(None, description="1–5 (rate)")
    text: str | None = None


class HandedOverOut(Schema):
    """The answer to an action after which the caller no longer sees the dispute (a mediator escalates it or
    an operator transfers it out of their area): what became of it, and nothing more."""

    id: int
    number: str
    state: str
    level: str
    version: int
    committee_name: str | None
    handed_over: bool = Field(True, description="always true: the dispute is no longer the caller's to see")


# --- committees and mediators --------------------------------------------------------------------

class CommitteeOut(Schema):
    id: int
    name: str
    kind: str
    level: str
    region: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    dispute_types: list[str]
    phone: str
    address: str
    active: bool


class MediatorOut(MaskedPhone):
    id: int
    name: str = Field(description="name (or role, see the module docstring)")
    title: str
    region: str = Field(..., alias="region.code")
    phone: str = Field(description="masked")
    expertise: list[str]
    languages: list[str]
    committees: list[int]
    has_account: bool
    active: bool

    @staticmethod
    def resolve_name(obj):
        return getattr(obj, "label", None) or obj.name

    @staticmethod
    def resolve_committees(obj):
        return sorted(m.committee_id for m in obj.memberships.all())

    @staticmethod
    def resolve_has_account(obj):
        return obj.user_id is not None
