"""The demo's mediation: committees everywhere, mediators, and a synthetic year of disputes whose timelines are walks
the workflow table allows, whose state fields, referrals, agreements and numbers agree with those timelines, and
after which a dispute registered for real takes a fresh number."""
import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.core import workdays
from wangge.core.models import AuditEntry, User
from wangge.core.roles import OPERATORS, Role
from wangge.demo import mediation as demo_mediation
from wangge.demo import services
from wangge.demo.generator import DEPARTMENTS, generate
from wangge.mediation import services as mediation_services
from wangge.mediation.models import (
    CLOSED_STATES,
    NEXT_LEVEL,
    Agreement,
    Committee,
    CommitteeKind,
    Confirmation,
    Dispute,
    DisputeCounter,
    DisputeEvent,
    DisputeType,
    FollowUp,
    Level,
    Mediator,
    MemberRole,
    Membership,
    Party,
    PartyKind,
    Performance,
    PetitionProgress,
    Referral,
    ReferralOutcome,
    Session,
    SessionState,
    Source,
    State,
)
from wangge.mediation.services import LEVEL_DAYS
from wangge.mediation.workflow import COURT_CODES, TRANSITIONS
from wangge.registry.models import Person

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 15, 30, tzinfo=SHANGHAI)  # a Monday afternoon
SEED = 7
COUNT = 700
TINY = ["--grids", "20", "--streets", "2", "--people", "0", "--cases", "0"]
OWNED = {"route", "transfer", "withdraw", "assign_mediator", "schedule_session", "record_session", "agree", "fail",
         "apply_confirmation", "escalate"}  # actions whose guard asks an operator to own the dispute


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def plan():
    return generate(SEED, target_grids=20, streets=2)


@pytest.fixture
def district(db, plan):
    services.load(plan, people=400, cases=0)
    return services.demo_district()


@pytest.fixture
def loaded(district):
    return district, demo_mediation.load_disputes(district, SEED, COUNT, now=NOW)


def _timelines():
    events = defaultdict(list)
    for event in DisputeEvent.objects.order_by("at", "id"):
        events[event.dispute_id].append(event)
    return events


# --------------------------------------------------------------- committees and mediators


def test_the_court_is_a_demo_department_with_its_handler(plan):
    assert ("FY", "区人民法院") in plan.departments and "FY" in COURT_CODES
    assert any(s.username == "dept_fy" and s.department_code == "FY" for s in plan.staff)
    assert len(plan.departments) == len(DEPARTMENTS)


def test_every_community_street_and_the_district_has_a_committee(loaded):
    district, counts = loaded
    peoples = Committee.objects.filter(kind=CommitteeKind.PEOPLES)
    for region in Region.objects.filter(level__in=(RegionLevel.COMMUNITY, RegionLevel.STREET, RegionLevel.DISTRICT)):
        committee = peoples.get(region=region)
        assert committee.level == region.level and committee.name.endswith("人民调解委员会"), region.name
    office = Committee.objects.get(kind=CommitteeKind.OFFICE)
    assert office.region == district and "多调办" in office.name
    industry = Committee.objects.filter(kind=CommitteeKind.INDUSTRY, level=Level.INDUSTRY, region=district)
    assert sorted(t for c in industry for t in c.dispute_types) == sorted(
        [DisputeType.MEDICAL, DisputeType.TRAFFIC, DisputeType.MARRIAGE_FAMILY, DisputeType.CONSUMER,
         DisputeType.PROPERTY_MANAGEMENT, DisputeType.OTHER, DisputeType.ETHNIC])
    assert {"医调委", "交调委", "婚调委", "商调委"} <= {n[n.index("（") + 1:-1]
                                                    for n in industry.values_list("name", flat=True) if "（" in n}
    assert counts["committees"] == Committee.objects.count()


def test_mediator_accounts_and_a_synthetic_pool_serve_the_committees(loaded):
    for user in User.objects.filter(role=Role.MEDIATOR):
        mediator = Mediator.objects.get(user=user)
        membership = Membership.objects.get(mediator=mediator)
        assert membership.committee.region_id == user.region_id and membership.role == MemberRole.CHAIR
        assert mediator.name == user.full_name
    pool = Mediator.objects.filter(user=None)
    assert pool.exists()
    for committee in Committee.objects.exclude(kind=CommitteeKind.OFFICE):
        members = committee.mediators.all()
        assert members.exists(), committee.name
        assert committee.memberships.filter(role=MemberRole.CHAIR).count() == 1, committee.name
        if committee.kind == CommitteeKind.INDUSTRY:
            assert all(m.expertise == committee.dispute_types for m in members.filter(user=None))
    for committee in Committee.objects.filter(kind=CommitteeKind.PEOPLES, level=Level.STREET):
        assert committee.mediators.filter(user=None).count() >= 3  # a few per street committee
    languages = Counter(language for m in Mediator.objects.all() for language in m.languages)
    assert languages["普通话"] == Mediator.objects.count() and languages["四川话"] > 0
    assert {"律师", "退休法官", "专职人民调解员"} & set(pool.values_list("title", flat=True))
    assert all(m.title for m in Mediator.objects.all())
    # Synthetic: pool phones in the project's synthetic block, and no pool member shares a staff member's name+phone.
    assert all(m.phone.startswith("19900") and len(m.phone) == 11 for m in pool)


# ----------------------------------------------------------------------- the whole


def test_disputes_cover_every_source_type_level_and_state(loaded):
    _district, counts = loaded
    disputes = Dispute.objects.all()
    assert counts["disputes"] == disputes.count() == COUNT
    assert counts["dispute_events"] == DisputeEvent.objects.count()
    assert set(disputes.values_list("source", flat=True)) == set(Source.values)
    assert set(disputes.values_list("type", flat=True)) == set(DisputeType.values)
    assert set(disputes.values_list("level", flat=True)) == set(Level.values)
    assert set(disputes.values_list("state", flat=True)) == set(State.values)
    levels = Counter(disputes.values_list("level", flat=True))
    assert levels[Level.COMMUNITY] > levels[Level.STREET] > levels[Level.DISTRICT]
    assert levels[Level.INDUSTRY] > 0
    states = Counter(disputes.values_list("state", flat=True))
    closed = sum(states[s] for s in CLOSED_STATES)
    assert 0.9 * closed < states[State.AGREED] < 0.97 * closed
    open_count = COUNT - closed
    assert counts["open_disputes"] == open_count and 0 < open_count < 0.1 * COUNT
    assert disputes.filter(escalation_count__gt=0).exists() and disputes.filter(transfer_count__gt=0).exists()
    assert disputes.filter(escalation_count=2, level=Level.DISTRICT).exists() or \
        disputes.filter(escalation_count=1, level=Level.STREET).exists()
    assert set(Agreement.objects.values_list("confirmation", flat=True)) == set(Confirmation.values)
    assert set(Agreement.objects.values_list("performance", flat=True)) == set(Performance.values)
    assert Session.objects.exclude(online_room="").exists() and Session.objects.exclude(place="").exists()
    assert Session.objects.filter(state=SessionState.SCHEDULED).exists()
    assert Party.objects.exclude(rating=None).exists()
    assert Party.objects.exclude(person=None).exists() and Party.objects.filter(person=None).exists()
    assert Party.objects.filter(kind=PartyKind.ORGANISATION).exists()
    assert disputes.filter(group_risk=True, risk="high").exists()
    petitions = disputes.filter(is_petition=True)
    assert petitions.exists() and not petitions.filter(leader=None).exists()
    assert PetitionProgress.objects.exists()
    # Some open ones are past due_by and left for the poller to flag.
    assert disputes.filter(state__in=[State.REGISTERED, State.ACCEPTED, State.MEDIATING], due_by__lt=NOW).exists()
    assert not disputes.exclude(overdue_flagged_at=None).exists()
    # The year before now.
    first, last = disputes.order_by("reported_at")[0].reported_at, disputes.order_by("-reported_at")[0].reported_at
    assert NOW - timedelta(days=366) < first < NOW - timedelta(days=340) and NOW - timedelta(days=5) < last <= NOW
    assert not DisputeEvent.objects.filter(at__gt=NOW).exists()
    assert AuditEntry.objects.filter(operation="demo.load_disputes").count() == 1


def test_every_community_has_disputes_in_its_grids(loaded):
    communities = set(Region.objects.filter(level=RegionLevel.COMMUNITY).values_list("pk", flat=True))
    grids = Region.objects.filter(level=RegionLevel.GRID).in_bulk()
    located = Dispute.objects.exclude(grid=None)
    assert {grids[g].parent_id for g in located.values_list("grid_id", flat=True)} == communities
    assert not located.exclude(region_id=F("grid_id")).exists()
    for d in Dispute.objects.filter(grid=None):  # a referral naming only a street
        assert d.source == Source.COURT and d.region.level == RegionLevel.STREET and d.lng is None


def test_same_seed_same_disputes(district):
    phones = demo_mediation.names.PhoneBook(demo_mediation.PHONE_START)
    committees = demo_mediation.ensure_committees(district, phones)
    mediators = demo_mediation.ensure_mediators(district, committees, SEED, phones)

    def key(seed):
        plan = demo_mediation.plan_disputes(district, seed, 200, NOW, committees, mediators)
        return [(r.row.number, r.row.reported_at, r.row.region_id, r.row.type, r.row.source, r.row.state,
                 r.row.committee_id, [p.name for p in r.parties], [(e.at, e.action, e.actor_id) for e in r.events])
                for r in plan.runs]

    assert key(SEED) == key(SEED)
    assert key(SEED) != key(SEED + 1)


# ------------------------------------------------------------------ the timelines


def test_every_timeline_is_a_walk_the_workflow_table_allows(loaded):
    users = User.objects.select_related("region", "department").in_bulk()
    disputes = Dispute.objects.select_related("region").in_bulk()
    committees = Committee.objects.select_related("region").in_bulk()
    by_name = {c.name: c for c in committees.values()}
    assert len(by_name) == len(committees)  # the committee a step names is found by its name
    members = defaultdict(set)
    for committee_id, user_id in Membership.objects.exclude(mediator__user=None).values_list("committee_id",
                                                                                              "mediator__user_id"):
        members[committee_id].add(user_id)
    timelines = _timelines()
    assert set(timelines) == set(disputes)
    for dispute_id, events in timelines.items():
        dispute = disputes[dispute_id]
        register, steps = events[0], events[1:]
        assert (register.action, register.from_state, register.to_state, register.at) == \
               ("register", "", State.REGISTERED, dispute.reported_at)
        assert register.details["source"] == dispute.source and register.details["type"] == dispute.type
        committee = committees[register.details["committee"]]
        if dispute.source == Source.CITIZEN:
            assert (register.actor_id, register.actor_name) == (None, "citizen")
        elif dispute.source == Source.COURT:
            court_user = users[register.actor_id]
            assert court_user.department.code in COURT_CODES and committee.kind == CommitteeKind.OFFICE
        else:
            registrar = users[register.actor_id]
            assert registrar.role in (Role.GRID_WORKER, *OPERATORS)
            assert dispute.region.path.startswith(registrar.region.path)
            assert (registrar.role == Role.GRID_WORKER) == (dispute.source == Source.GRID)
        state = State.REGISTERED
        for previous, event in zip(events, steps):
            transition = TRANSITIONS.get((event.from_state, event.action))
            assert transition is not None, (dispute.number, event.from_state, event.action)
            assert event.from_state == state and event.at >= previous.at, (dispute.number, event.action)
            assert event.to_state == (transition.to_state or event.from_state), (dispute.number, event.action)
            actor = users[event.actor_id]
            assert actor.role in transition.roles and event.actor_name == actor.username
            if actor.role in OPERATORS and event.action in OWNED:
                assert committee.region.path.startswith(actor.region.path), (dispute.number, event.action)
            if actor.role == Role.MEDIATOR:  # a mediator acts on what their committee has
                assert actor.pk in members[committee.pk], (dispute.number, event.action)
            if actor.role == Role.DEPARTMENT_HANDLER:
                assert event.action in ("confirm", "refuse_confirmation")
            if event.action in ("route", "transfer", "escalate"):
                committee = by_name[event.details["committee"]]
                assert event.details["level"] == committee.level
                assert dispute.region.path.startswith(committee.region.path) and committee.takes(dispute.type)
            if event.action == "escalate":
                assert committee.level == NEXT_LEVEL[previous_level(events, event)]
            state = event.to_state
        assert state == dispute.state, dispute.number
        assert committee.pk == dispute.committee_id and committee.level == dispute.level
        assert dispute.version == len(events)


def previous_level(events, escalation):
    """The level a dispute had just before `escalation`: from the last step that set one, else registration."""
    level = events[0].details["level"]
    for event in events:
        if event is escalation:
            return level
        if event.action in ("route", "transfer", "escalate"):
            level = event.details["level"]
    raise AssertionError("not in the timeline")


def test_state_fields_agree_with_the_timeline(loaded):
    disputes = Dispute.objects.in_bulk()
    agreements = {a.dispute_id: a for a in Agreement.objects.all()}
    referrals = {r.dispute_id: r for r in Referral.objects.all()}
    follow_ups = Counter(FollowUp.objects.values_list("agreement__dispute_id", flat=True))
    sessions = defaultdict(list)
    for session in Session.objects.all():
        sessions[session.dispute_id].append(session)
    ratings = defaultdict(dict)
    for party in Party.objects.all():
        ratings[party.dispute_id][party.pk] = party.rating
    progress = defaultdict(list)
    for entry in PetitionProgress.objects.all():
        progress[entry.dispute_id].append(entry)
    mediators = Mediator.objects.in_bulk()
    memberships = set(Membership.objects.values_list("committee_id", "mediator_id"))
    for dispute_id, events in _timelines().items():
        d = disputes[dispute_id]
        actions = Counter(e.action for e in events)
        by_action = defaultdict(list)
        for e in events:
            by_action[e.action].append(e)
        assert d.escalation_count == actions["escalate"] and d.transfer_count == actions["transfer"]
        assert d.parties_count == len(ratings[d.pk]) > 0
        assert d.overdue_flagged_at is None
        # Agreements exist exactly for agreed disputes; closing sets closed_at.
        assert (d.pk in agreements) == (d.state == State.AGREED)
        if d.state in CLOSED_STATES:
            closing = by_action[{State.AGREED: "agree", State.FAILED: "fail", State.WITHDRAWN: "withdraw"}[d.state]]
            assert len(closing) == 1 and d.closed_at == closing[0].at and d.outcome_note
        else:
            assert d.closed_at is None and d.state in (State.REGISTERED, State.ACCEPTED, State.MEDIATING)
        # The court's referrals: routed by the 多调办 and answered as the dispute ended.
        referral = referrals.get(d.pk)
        assert (referral is not None) == (d.source == Source.COURT)
        if referral is not None:
            assert referral.referred_at == d.reported_at and referral.letter.name == demo_mediation.LETTER_PATH
            assert referral.routed_at == (by_action["route"][0].at if actions["route"] else None)
            expected = {State.AGREED: ReferralOutcome.SETTLED, State.FAILED: ReferralOutcome.RETURNED,
                        State.WITHDRAWN: ReferralOutcome.RETURNED}.get(d.state, ReferralOutcome.PENDING)
            assert referral.outcome == expected and referral.outcome_at == d.closed_at
        if d.state == State.AGREED:
            agreement = agreements[d.pk]
            agree = by_action["agree"][0]
            assert agreement.signed_at == d.closed_at and agree.details["amount"] == str(agreement.amount)
            assert agreement.perform_by is None or agreement.perform_by >= d.closed_at.astimezone(SHANGHAI).date()
            expected = Confirmation.NONE
            if actions["apply_confirmation"]:
                expected = Confirmation.APPLIED
            if actions["confirm"]:
                expected = Confirmation.CONFIRMED
            if actions["refuse_confirmation"]:
                expected = Confirmation.REFUSED
            assert agreement.confirmation == expected
            assert bool(agreement.confirmation_court_id) == bool(actions["apply_confirmation"])
            assert follow_ups[d.pk] == actions["follow_up"]
            assert agreement.performance == (by_action["follow_up"][-1].details["performance"]
                                             if actions["follow_up"] else Performance.PENDING)
        # Sessions: each scheduled in the timeline, held when recorded.
        mine = sessions[d.pk]
        assert len(mine) == actions["schedule_session"]
        assert sum(s.state == SessionState.HELD for s in mine) == actions["record_session"]
        for event in by_action["schedule_session"]:
            session = next(s for s in mine if s.pk == event.details["session"])
            assert session.starts_at > event.at and bool(session.online_room) == event.details["online"]
        assert {e.details["party"]: e.details["rating"] for e in by_action["rate"]} == \
               {pk: r for pk, r in ratings[d.pk].items() if r is not None}
        if d.is_petition:
            assert d.leader_id and d.leader_name
            months = [p.month for p in progress[d.pk]]
            assert len(set(months)) == len(months) == actions["record_progress"]
            assert all(p.by_id == d.leader_id for p in progress[d.pk])
        else:
            assert not progress[d.pk] and not actions["record_progress"]
        # accepted_at: the last acceptance since the last move to a committee.
        moves = [e for e in events if e.action in ("route", "transfer", "escalate")]
        since = moves[-1].at if moves else d.reported_at
        accepts = [e for e in by_action["accept"] if e.at >= since]
        assert d.accepted_at == (accepts[-1].at if accepts else None) or d.state == State.REGISTERED
        assert d.due_by == workdays.add_working_days(since, LEVEL_DAYS[d.level]), d.number
        if d.mediator_id:
            assert (d.committee_id, d.mediator_id) in memberships
            assert mediators[d.mediator_id].active


# ---------------------------------------------------------------- numbers and labels


def test_numbers_are_unique_and_a_live_registration_takes_a_fresh_one(loaded):
    rows = list(Dispute.objects.values_list("number", "reported_at"))
    assert len({n for n, _ in rows}) == len(rows)
    last = defaultdict(int)
    for number, reported_at in rows:
        day = reported_at.astimezone(SHANGHAI).date()
        assert number.startswith(f"TJ{day:%Y%m%d}") and len(number) == 15
        last[day] = max(last[day], int(number[-5:]))
    assert dict(DisputeCounter.objects.values_list("day", "last")) == dict(last)
    busiest = max(last, key=last.get)
    grid = Region.objects.filter(level=RegionLevel.GRID).order_by("code").first()
    worker = User.objects.get(role=Role.GRID_WORKER, region=grid)
    at = datetime.combine(busiest, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=10)
    dispute = mediation_services.do_register_dispute(
        worker, title="再登记一件", type=DisputeType.NEIGHBOUR, source=Source.GRID, lng=grid.center_lng,
        lat=grid.center_lat, parties=[{"name": "甲某"}, {"name": "乙某", "role": "respondent"}], now=at)
    assert dispute.number == f"TJ{busiest:%Y%m%d}{last[busiest] + 1:05d}"
    # It lands in the demo's committee of its community.
    assert dispute.committee == Committee.objects.get(kind=CommitteeKind.PEOPLES, region=grid.parent)


def test_parties_mediators_and_letters_are_synthetic(loaded):
    registry = Person.objects.in_bulk()
    for party in Party.objects.all():
        if party.person_id:
            person = registry[party.person_id]
            assert (party.name, party.id_number, party.phone) == (person.name, person.id_number, person.phone or "")
        elif party.phone:
            assert party.phone.startswith("19900") and len(party.phone) == 11
    with default_storage.open(demo_mediation.LETTER_PATH) as f:
        text = f.read().decode("utf-8-sig")
    assert "合成数据" in text and "Synthetic" in text
    assert all(r.letter_number.startswith("（") for r in Referral.objects.all())
    online = Session.objects.exclude(online_room="").values_list("online_room", flat=True)
    assert all(".invalid/" in room for room in online)  # no real meeting service is named


# --------------------------------------------------------------------- the command


@pytest.mark.django_db
def test_command_loads_disputes_once_adds_them_later_and_force_reloads():
    call_command("load_demo", *TINY, "--disputes", "0", stdout=io.StringIO())
    assert not Dispute.objects.exists() and not Committee.objects.exists()
    out = io.StringIO()
    call_command("load_demo", *TINY, stdout=out)  # loaded before it had disputes: the default is added
    per_community = demo_mediation.DISPUTES_PER_COMMUNITY * Region.objects.filter(level=RegionLevel.COMMUNITY).count()
    assert f"{per_community} disputes" in out.getvalue() and "合成数据" in out.getvalue()
    assert Dispute.objects.count() == per_community
    out = io.StringIO()
    call_command("load_demo", *TINY, stdout=out)
    assert "already loaded" in out.getvalue() and Dispute.objects.count() == per_community
    committees = Committee.objects.count()
    call_command("load_demo", *TINY, "--disputes", "60", "--force", stdout=io.StringIO())
    assert Dispute.objects.count() == 60 and Committee.objects.count() == committees
    assert DisputeEvent.objects.count() == sum(Dispute.objects.values_list("version", flat=True))  # none left behind
    assert set(Party.objects.values_list("dispute_id", flat=True)) == set(Dispute.objects.values_list("pk", flat=True))
    assert Mediator.objects.filter(user__isnull=False).count() == User.objects.filter(role=Role.MEDIATOR).count()


@pytest.mark.django_db
def test_command_rejects_a_negative_number_of_disputes():
    with pytest.raises(CommandError):
        call_command("load_demo", *TINY, "--disputes", "-1", stdout=io.StringIO())
    assert not Region.objects.exists() and not Dispute.objects.exists()


# ------------------------------------------------------- the same as the real operations


def _sample(timelines):
    """Disputes of every source and every kind of step: transfers, escalations, refused confirmations, petitions,
    failures and withdrawals, citizens' reports with a mediator the parties chose."""
    disputes = Dispute.objects.order_by("reported_at", "id")
    picked = {}
    chosen = [pk for pk, events in timelines.items() if events[0].details.get("chosen_by_parties")]
    for d in disputes.filter(pk__in=chosen)[:3]:
        picked[d.pk] = d
    for source in Source.values:
        for d in disputes.filter(source=source)[:2]:
            picked[d.pk] = d
    for filters in ({"transfer_count__gt": 0}, {"escalation_count__gt": 0}, {"escalation_count": 2},
                    {"agreement__confirmation": Confirmation.REFUSED}, {"agreement__follow_ups__isnull": False},
                    {"is_petition": True, "state": State.AGREED}, {"state": State.FAILED},
                    {"state": State.WITHDRAWN}, {"state": State.MEDIATING}, {"source": Source.COURT, "grid": None}):
        for d in disputes.filter(**filters).distinct()[:2]:
            picked[d.pk] = d
    return list(picked.values())


def _register_again(d, events, users, committees):
    register = events[0]
    actor = users.get(register.actor_id)
    parties = []
    for p in d.parties.order_by("id"):
        if p.person_id:
            parties.append({"person": p.person_id, "role": p.role})
        elif p.organisation_id:
            parties.append({"organisation": p.organisation_id, "role": p.role})
        else:
            parties.append({"kind": p.kind, "role": p.role, "name": p.name, "phone": p.phone})
    place = {"lng": d.lng, "lat": d.lat} if d.grid_id else {"region": d.region}
    common = {"title": d.title, "type": d.type, "summary": d.summary, "address": d.address, "amount": d.amount,
              "parties": parties, "now": d.reported_at, **place}
    if d.source == Source.CITIZEN:
        return mediation_services.do_report_dispute_public(mediator=register.details.get("mediator_id"), **common)
    if d.source == Source.COURT:
        referral = d.referral
        from wangge.mediation.testing import letter

        return mediation_services.do_refer(actor, letter=letter(), letter_number=referral.letter_number,
                                           court_case_number=referral.court_case_number, **common)
    committee = committees[register.details["committee"]]
    group = [r for r in d.risk_reasons if "群体性" in r]
    return mediation_services.do_register_dispute(
        actor, source=d.source, level=register.details["level"],
        committee=committee if committee.kind == CommitteeKind.INDUSTRY else None, risk=d.risk,
        risk_reasons=[r for r in d.risk_reasons if r not in group], group_risk=d.group_risk,
        criminal_risk=d.criminal_risk, is_petition=d.is_petition, leader=d.leader, **common)


def _params(event, original, copy, by_name):
    """What the real operation needs to take the step the timeline shows."""
    action, details, note = event.action, event.details, event.note
    if action in ("route", "transfer"):
        return {"committee": by_name[details["committee"]].pk, "reason": note}
    if action in ("escalate", "fail", "withdraw"):
        return {"reason": note}
    if action == "assign_mediator":
        return {"mediator": details["mediator_id"]}
    if action == "schedule_session":
        session = original.sessions.get(pk=details["session"])
        return {"starts_at": session.starts_at.astimezone(SHANGHAI), "place": session.place,
                "online_room": session.online_room, "participants": session.participants}
    if action == "record_session":
        session = original.sessions.get(pk=details["session"])
        scheduled = copy.sessions.filter(state=SessionState.SCHEDULED, starts_at=session.starts_at).get()
        return {"session": scheduled.pk, "record": session.record}
    if action == "agree":
        agreement = original.agreement
        return {"terms": agreement.terms, "amount": agreement.amount, "perform_by": agreement.perform_by}
    if action == "apply_confirmation":
        return {"court": original.agreement.confirmation_court_id}
    if action in ("confirm", "refuse_confirmation"):
        return {"note": note}
    if action == "follow_up":
        return {"performance": details["performance"], "note": note}
    if action == "rate":
        index = list(original.parties.order_by("id").values_list("pk", flat=True)).index(details["party"])
        return {"party": copy.parties.order_by("id")[index].pk, "rating": details["rating"]}
    if action == "record_progress":
        return {"text": note}
    return {}


def _without_keys(details):
    return {k: v for k, v in details.items() if k not in ("session", "party")}


def test_the_real_operations_take_the_same_steps_to_the_same_fields(loaded):
    """Each timeline of a sample is replayed through services (registration, then do_act step by step as the
    recorded actor at the recorded time): every step is allowed, and the copy ends with the same fields."""
    users = User.objects.select_related("region", "department").in_bulk()
    committees = Committee.objects.in_bulk()
    by_name = {c.name: c for c in committees.values()}
    timelines = _timelines()
    sample = _sample(timelines)
    assert len(sample) >= 25 and {d.source for d in sample} == set(Source.values)
    assert any(timelines[d.pk][0].details.get("chosen_by_parties") for d in sample)
    fields = ("state", "level", "committee_id", "mediator_id", "region_id", "grid_id", "risk", "risk_reasons",
              "group_risk", "criminal_risk", "accepted_at", "mediation_started_at", "closed_at", "due_by",
              "outcome_note", "escalation_count", "transfer_count", "parties_count", "version", "is_petition",
              "leader_id", "amount", "title", "type", "source")
    for original in sample:
        events = timelines[original.pk]
        copy = _register_again(original, events, users, committees)
        for event in events[1:]:
            copy.refresh_from_db()
            copy = mediation_services.do_act(users[event.actor_id], copy, event.action,
                                             expected_version=copy.version, now=event.at,
                                             **_params(event, original, copy, by_name))
        copy.refresh_from_db()
        assert [getattr(copy, f) for f in fields] == [getattr(original, f) for f in fields], original.number
        replayed = list(copy.events.order_by("at", "id"))
        assert [(e.at, e.action, e.from_state, e.to_state, e.actor_id, e.note, _without_keys(e.details))
                for e in replayed] == \
               [(e.at, e.action, e.from_state, e.to_state, e.actor_id, e.note, _without_keys(e.details))
                for e in events], original.number
        if original.state == State.AGREED:
            a, b = original.agreement, copy.agreement
            assert (a.terms, a.amount, a.perform_by, a.signed_at, a.confirmation, a.confirmation_court_id,
                    a.confirmation_applied_at, a.confirmation_decided_at, a.confirmation_note, a.performance) == \
                   (b.terms, b.amount, b.perform_by, b.signed_at, b.confirmation, b.confirmation_court_id,
                    b.confirmation_applied_at, b.confirmation_decided_at, b.confirmation_note, b.performance)
        if original.source == Source.COURT:
            a, b = original.referral, copy.referral
            assert (a.routed_at, a.outcome, a.outcome_at) == (b.routed_at, b.outcome, b.outcome_at)
        assert [(s.starts_at, s.state, s.held_at, s.mediator_id, s.online_room) for s in original.sessions.all()] == \
               [(s.starts_at, s.state, s.held_at, s.mediator_id, s.online_room) for s in copy.sessions.all()]
        assert [(p.name, p.rating) for p in original.parties.order_by("id")] == \
               [(p.name, p.rating) for p in copy.parties.order_by("id")]
        assert list(original.progress.values_list("month", "text", "by_id", "at")) == \
               list(copy.progress.values_list("month", "text", "by_id", "at"))
