"""The disputes API (矛盾纠纷): the ledger, one dispute whole, registering (also from a case and by a court's
referral), workflow actions, committees and mediators. See docs/api/mediation.md.

Reads go through `Dispute.objects.visible_to` (and the committees' and mediators' own `visible_to`); a
dispute outside the caller's area answers 404, exactly like one that does not exist. Writes go through
wangge.mediation.services. Refusals, as in the cases API:
  * missing permission, or an action this role may not take: 403;
  * an action not allowed in this state, refused by its guard, or unknown: 409 {"detail", "code"} with code
    "state", "guard" or "action"; a stale version: 409 with code "version";
  * bad input: 422 naming the field (parties as ["body", "parties", 0, "person"]).
Nothing changes on any refusal. Operations' refusals become these statuses in wangge/core/refusals.py.
"""
import json
from datetime import datetime, time, timedelta

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.core.api_errors import field_error, query_choice
from wangge.core.models import Department
from wangge.core.numbers import RowId
from wangge.core.paging import LimitOffsetPagination, paginate
from wangge.core.refusals import require
from wangge.core.staff import staff_labels
from wangge.mediation import services, workflow
from wangge.mediation.models import (
    OPEN_STATES,
    Agreement,
    Committee,
    CommitteeKind,
    Dispute,
    DisputeEvent,
    DisputeType,
    FollowUp,
    Level,
    Mediator,
    Party,
    PetitionProgress,
    Referral,
    Risk,
    Session,
    Source,
    State,
)
from wangge.mediation.schemas import (
    ActionIn,
    CaseToDisputeIn,
    CommitteeOut,
    DisputeCreated,
    DisputeDetail,
    DisputeIn,
    DisputeOut,
    HandedOverOut,
    MediatorOut,
    ReferralIn,
    mediator_label,
)

router = Router(tags=["mediation"])

ORDERINGS = {"reported_at", "-reported_at", "due_by", "-due_by", "number", "-number", "state", "-state"}
NOT_IN_AREA = gettext_lazy("not found in your area")


# --- helpers ------------------------------------------------------------------------------------

def _disputes(user):
    return Dispute.objects.visible_to(user).select_related("region", "grid", "committee__region", "mediator")


def _grid_for(user, code: str | None, source: str = "body"):
    """The grid named by code, if the caller may work there (unknown and outside answer alike)."""
    if not code:
        return None
    if not (code.isascii() and code.isdigit()):  # a grid code is digits; a NUL would reach PostgreSQL (500)
        raise field_error(source, "grid", NOT_IN_AREA)
    grid = Region.objects.visible_to(user).filter(level=RegionLevel.GRID, code=code).first()
    if grid is None:
        raise field_error(source, "grid", NOT_IN_AREA)
    return grid


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _detail(request, dispute_id: int):
    """The dispute with everything the detail answer shows, labelled for this viewer."""
    from wangge.cases.models import Case

    user = request.user
    dispute = _disputes(user).select_related("created_by", "leader", "mediator__user").filter(pk=dispute_id).first()
    if dispute is None:
        raise Http404
    sessions = list(Session.objects.filter(dispute=dispute).select_related("mediator").order_by("starts_at", "id"))
    agreement = Agreement.objects.filter(dispute=dispute).select_related("confirmation_court").first()
    follow_ups = list(FollowUp.objects.filter(agreement=agreement).select_related("by")) if agreement else []
    progress = list(PetitionProgress.objects.filter(dispute=dispute).select_related("by"))
    events = list(DisputeEvent.objects.filter(dispute=dispute).select_related("actor").order_by("at", "id"))
    # Timeline details name a mediator by id; the label is the viewer's (a name only if they may see them).
    named = {m.pk: m for m in Mediator.objects.filter(
        pk__in={e.details.get("mediator_id") for e in events if e.details.get("mediator_id")}).select_related("user")}
    staff = ([dispute.created_by, dispute.leader] + [e.actor for e in events] + [f.by for f in follow_ups]
             + [p.by for p in progress] + [m.user for m in [dispute.mediator] + [s.mediator for s in sessions]
                                           + list(named.values()) if m is not None and m.user_id])
    labels = staff_labels(user, staff)
    dispute.allowed_actions = workflow.allowed_actions(dispute, user)
    dispute.mediator_label = mediator_label(labels, dispute.mediator)
    dispute.created_by_label = labels.get(dispute.created_by_id)
    dispute.leader_label = labels.get(dispute.leader_id) if dispute.leader_id else (dispute.leader_name or None)
    dispute.case_number = (Case.objects.visible_to(user).filter(pk=dispute.case_id).values_list("number", flat=True)
                           .first() if dispute.case_id else None)
    dispute.parties_shown = list(Party.objects.filter(dispute=dispute).order_by("id"))
    for session in sessions:
        session.mediator_label = mediator_label(labels, session.mediator)
    dispute.sessions_shown = sessions
    for row in follow_ups + progress:
        row.by_label = labels.get(row.by_id)
    if agreement is not None:
        agreement.follow_ups_shown = follow_ups
    dispute.agreement_shown = agreement
    dispute.referral_shown = Referral.objects.filter(dispute=dispute).select_related("court").first()
    dispute.progress_shown = progress
    for event in events:
        event.actor_label = labels.get(event.actor_id) if event.actor_id else event.actor_name
        if event.details.get("mediator_id") in named:  # shown, never saved: the timeline is append-only
            event.details = {**event.details, "mediator": mediator_label(labels, named[event.details["mediator_id"]])}
    dispute.events_shown = events
    return dispute


def _parties(payload_parties) -> list[dict]:
    return [p.dict() for p in payload_parties]


# --- reading ------------------------------------------------------------------------------------

class DisputeFilters(Schema):
    state: str | None = None
    type: str | None = None
    source: str | None = None
    level: str | None = None
    committee: RowId | None = None
    mediator: RowId | None = None
    risk: str | None = None
    petition: bool | None = None
    overdue: bool | None = None
    q: str | None = None
    reported_from: str | None = None
    reported_to: str | None = None
    ordering: str = "-reported_at"


def _date_param(value, field):
    from datetime import date

    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise field_error("query", field, _("not a date")) from None


@router.get("/disputes", response=list[DisputeOut], summary="Disputes in my area 矛盾纠纷台账")
@paginate(LimitOffsetPagination)
def list_disputes(request, filters: Query[DisputeFilters]):
    """Filters: state (one or several, comma-separated), type, source, level, committee (id), mediator (id),
    risk, petition=true, overdue=true, q (number, words of the title, or a party's name), reported_from and
    reported_to (YYYY-MM-DD, both inclusive). ordering: reported_at, due_by, number, state, each optionally with
    a leading '-'."""
    user = request.user
    require(user, "mediation.view")
    f = filters
    disputes = _disputes(user)
    if f.state:
        states = [s.strip() for s in f.state.split(",") if s.strip()]
        if not states or set(states) - set(State.values):
            raise field_error("query", "state", _("Unknown state %(value)s") % {"value": repr(f.state)})
        disputes = disputes.filter(state__in=states)
    for name, choices in (("type", DisputeType), ("source", Source), ("level", Level), ("risk", Risk)):
        value = getattr(f, name)
        if value:
            disputes = disputes.filter(**{name: query_choice(value, choices, name)})
    if f.committee is not None:
        disputes = disputes.filter(committee_id=f.committee)
    if f.mediator is not None:
        disputes = disputes.filter(mediator_id=f.mediator)
    if f.petition is not None:
        disputes = disputes.filter(is_petition=f.petition)
    if f.overdue is not None:
        late = Q(state__in=OPEN_STATES, due_by__lt=timezone.now())
        disputes = disputes.filter(late) if f.overdue else disputes.exclude(late)
    if f.q and f.q.strip():
        q = f.q.strip()
        named = Party.objects.filter(name__icontains=q).values("dispute")
        disputes = disputes.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(pk__in=named))
    if f.reported_from:
        disputes = disputes.filter(reported_at__gte=_day_start(_date_param(f.reported_from, "reported_from")))
    if f.reported_to:
        end = _day_start(_date_param(f.reported_to, "reported_to") + timedelta(days=1))
        disputes = disputes.filter(reported_at__lt=end)
    if f.ordering not in ORDERINGS:
        raise field_error("query", "ordering", _("Cannot order by %(value)s") % {"value": repr(f.ordering)})
    return disputes.order_by(f.ordering, "-id")


@router.get("/disputes/{int:id}", response=DisputeDetail, summary="One dispute whole 纠纷详情")
def dispute_detail(request, id: RowId):
    require(request.user, "mediation.view")
    return _detail(request, id)


# --- registering --------------------------------------------------------------------------------

@router.post("/disputes", response={201: DisputeCreated}, summary="Register a dispute 登记纠纷")
def create_dispute(request, payload: DisputeIn):
    """Operators, grid workers and mediators. The place is located to its grid, which must be in the caller's
    area; registry parties must be in the caller's area too. It goes to its level's people's committee."""
    user = request.user
    fields = payload.dict(exclude={"grid", "parties"})
    dispute = services.do_register_dispute(user, grid=_grid_for(user, payload.grid),
                                           parties=_parties(payload.parties), **fields)
    return Status(201, dispute)


@router.post("/cases/{int:id}/dispute", response={201: DisputeCreated}, summary="Turn a case into a dispute 转为纠纷")
def case_to_dispute(request, id: RowId, payload: CaseToDisputeIn):
    """A case of the 矛盾纠纷 class (major class 11) becomes a dispute, linked both ways. A case outside the
    caller's area answers 404."""
    from wangge.cases.models import Case

    user = request.user
    case = Case.objects.visible_to(user).filter(pk=id).first()
    if case is None:
        raise Http404
    dispute = services.do_case_to_dispute(user, case, type=payload.type, parties=_parties(payload.parties),
                                          amount=payload.amount, level=payload.level, committee=payload.committee)
    return Status(201, dispute)


@router.post("/referrals", response={201: DisputeCreated}, summary="A court refers a case 诉前移送")
def refer(request, form: Form[ReferralIn], letter: File[UploadedFile] = None):
    """Court handlers only. Multipart: the referral letter file as `letter` (移送函, required), its number, the
    dispute's fields and `parties` as a JSON list. It goes to the district's 多调办, which routes it."""
    user = request.user
    if not workflow.is_court_handler(user):
        raise HttpError(403, _("only a court refers cases"))
    if letter is None:
        raise field_error("form", "letter", _("the referral letter is required"))
    try:
        parties = json.loads(form.parties or "[]")
    except ValueError:
        parties = None
    if not isinstance(parties, list):
        raise field_error("form", "parties", _("parties must be a JSON list"))
    fields = form.dict(exclude={"parties", "grid"})
    fields["amount"], fields["region"] = fields["amount"] or None, fields["region"] or None  # empty form fields
    dispute = services.do_refer(user, letter=letter, parties=parties, grid=_grid_for(user, form.grid, "form"),
                                **fields)
    return Status(201, dispute)


# --- acting -------------------------------------------------------------------------------------

def _action_params(dispute, payload: ActionIn) -> dict:
    """The action's inputs with ids turned into rows (unknown ones: 422); services checks what they mean."""
    params = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    if "committee" in params:
        found = Committee.objects.select_related("region").filter(pk=params["committee"], active=True).first()
        if found is None:
            raise field_error("body", "committee", _("unknown committee"))
        params["committee"] = found
    if "court" in params:
        value = params["court"]
        courts = Department.objects.filter(code__in=workflow.COURT_CODES)
        found = (courts.filter(pk=int(value)) if isinstance(value, int) or str(value).isdigit()
                 else courts.filter(code=value)).first()
        if found is None:
            raise field_error("body", "court", _("unknown court"))
        params["court"] = found
    # services reads these three by id among the dispute's own rows; an unknown id is named here the same way
    lookups = (("mediator", Mediator.objects.filter(active=True), _("unknown mediator")),
               ("session", Session.objects.filter(dispute=dispute), _("unknown session")),
               ("party", Party.objects.filter(dispute=dispute), _("unknown party")))
    for name, rows, message in lookups:
        if name in params and not rows.filter(pk=params[name]).exists():
            raise field_error("body", name, message)
    return params


@router.post("/disputes/{int:id}/actions/{action}", response=DisputeDetail | HandedOverOut,
             summary="Take a workflow action 办理 (受理、分流、调解、达成协议、司法确认、回访…)")
def take_action(request, id: RowId, action: str, payload: ActionIn):
    """`version` is the dispute's version as last read; someone else's change in between answers 409
    (code "version"). The answer is the dispute as it is now; when the action took it out of the caller's
    sight (escalated above a mediator, transferred out of an operator's area) only what became of it
    (`handed_over: true`)."""
    user = request.user
    dispute = _disputes(user).filter(pk=id).first()
    if dispute is None:
        raise Http404
    params = _action_params(dispute, payload)
    done = services.do_act(user, dispute, action, expected_version=payload.version, **params)
    if not Dispute.objects.visible_to(user).filter(pk=id).exists():
        return {"id": done.pk, "number": done.number, "state": done.state, "level": done.level,
                "version": done.version, "committee_name": done.committee.name if done.committee_id else None}
    return _detail(request, id)


# --- committees and mediators -------------------------------------------------------------------

def _visible_dispute_or_404(user, dispute_id):
    dispute = _disputes(user).filter(pk=dispute_id).first()
    if dispute is None:
        raise Http404
    return dispute


@router.get("/committees", response=list[CommitteeOut], summary="Mediation committees 调解组织")
def list_committees(request, level: str | None = None, kind: str | None = None, type: str | None = None,
                    dispute: RowId | None = None, active: bool = True):
    """The committees in the caller's area. With `dispute=<id>` (a dispute the caller may see): the
    committees that may take it (route, transfer): those serving its place, taking its type, not the 多调办."""
    user = request.user
    require(user, "mediation.view")
    if dispute is not None:
        found = _visible_dispute_or_404(user, dispute)
        committees = (Committee.objects.filter(region__in=found.region.ancestors_and_self())
                      .exclude(kind=CommitteeKind.OFFICE))
        committees = [c for c in committees.select_related("region").filter(active=True) if c.takes(found.type)]
        return committees
    committees = Committee.objects.visible_to(user).select_related("region").filter(active=active)
    if level:
        committees = committees.filter(level=query_choice(level, Level, "level"))
    if kind:
        committees = committees.filter(kind=query_choice(kind, CommitteeKind, "kind"))
    if type:
        query_choice(type, DisputeType, "type")
        return [c for c in committees if c.takes(type)]
    return committees


@router.get("/mediators", response=list[MediatorOut], summary="Mediators 调解员")
def list_mediators(request, committee: RowId | None = None, type: str | None = None, dispute: RowId | None = None):
    """The mediators in the caller's area (filter by committee id, or by expertise `type`). With
    `dispute=<id>` (a dispute the caller may see): those eligible to mediate it, the active members of its
    committee, those with the dispute's type as expertise first."""
    user = request.user
    require(user, "mediation.view")
    memberships = Prefetch("memberships")
    if dispute is not None:
        found = _visible_dispute_or_404(user, dispute)
        mediators = list(services.eligible_mediators(found).select_related("region", "user")
                         .prefetch_related(memberships))
        mediators.sort(key=lambda m: (found.type not in (m.expertise or []), m.name, m.pk))
    else:
        rows = Mediator.objects.visible_to(user).filter(active=True).select_related("region", "user")
        if committee is not None:
            rows = rows.filter(memberships__committee_id=committee)
        mediators = list(rows.prefetch_related(memberships).distinct())
        if type:
            query_choice(type, DisputeType, "type")
            mediators = [m for m in mediators if type in (m.expertise or [])]
    labels = staff_labels(user, [m.user for m in mediators if m.user_id])
    for mediator in mediators:
        mediator.label = mediator_label(labels, mediator)
    return mediators
