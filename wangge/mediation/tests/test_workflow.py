"""The mediation workflow table walked whole: every (state, action) pair for every role, allowed and refused
with the reason the table gives; every action outside the table refused with reason "state"."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.workflow import ConflictError
from wangge.mediation import services, workflow
from wangge.mediation.models import Agreement, Dispute, DisputeEvent, Session, SessionState, State
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, register, soon

pytestmark = pytest.mark.django_db

OPS = {"district_op", "street_op", "community_op"}
MED = OPS | {"mediator"}
REC = MED | {"gridder"}
COURT = MED | {"dept_handler", "court"}

# Who may take each action by role alone, before any guard. Written out by hand, not read from the table.
ROLES = {"route": OPS, "transfer": OPS, "accept": MED, "escalate": MED, "withdraw": MED, "record_progress": REC,
         "assign_mediator": MED, "schedule_session": MED, "record_session": MED, "agree": MED, "fail": MED,
         "apply_confirmation": MED, "confirm": COURT, "refuse_confirmation": COURT, "follow_up": REC, "rate": MED}

# What the table must allow, per variant (see testing.dispute_in), for the users below: the dispute is in grid 0,
# with community 0's committee, accepted (from "accepted" on) by mediator_1.
OPEN_ACTIONS = {"transfer": OPS, "escalate": MED, "withdraw": MED}
EXPECTED = {
    "registered": {"route": OPS, "accept": MED, **OPEN_ACTIONS},
    "petition": {"route": OPS, "accept": MED, **OPEN_ACTIONS, "record_progress": REC},
    "accepted": {**OPEN_ACTIONS, "assign_mediator": MED, "schedule_session": MED},
    "mediating": {**OPEN_ACTIONS, "assign_mediator": MED, "schedule_session": MED, "record_session": MED,
                  "agree": MED, "fail": MED},
    "agreed": {"apply_confirmation": MED, "follow_up": REC, "rate": MED},
    "agreed_applied": {"confirm": MED | {"court"}, "refuse_confirmation": MED | {"court"}, "follow_up": REC,
                       "rate": MED},
    "failed": {"rate": MED},
    "withdrawn": {},
}
# Rows of the table that a guard refuses to everyone in that variant.
GUARDED = {
    "registered": {"record_progress"},
    "petition": set(),
    "accepted": {"record_progress"},
    "mediating": {"record_progress"},
    "agreed": {"confirm", "refuse_confirmation"},  # nothing applied for
    "agreed_applied": {"apply_confirmation"},  # already applied for
    "failed": set(),
    "withdrawn": set(),
}
STATE_OF = {"petition": "registered", "agreed_applied": "agreed"}
RESULT = {"accept": "accepted", "escalate": "registered", "transfer": "registered", "withdraw": "withdrawn",
          "schedule_session": "mediating", "agree": "agreed", "fail": "failed"}


def users(world, m) -> dict:
    return {"admin": world.users[Role.ADMINISTRATOR], "district_op": world.users[Role.DISTRICT_OPERATOR],
            "street_op": world.users[Role.STREET_OPERATOR], "community_op": world.users[Role.COMMUNITY_OPERATOR],
            "gridder": world.users[Role.GRID_WORKER], "dept_handler": world.users[Role.DEPARTMENT_HANDLER],
            "mediator": world.users[Role.MEDIATOR], "system": world.users[Role.SYSTEM], "court": m.court_handler}


def sees(name, variant) -> bool:
    """The court sees only what it is asked to confirm; department CG nothing; everyone else here all of it."""
    if name == "court":
        return variant == "agreed_applied"
    return name != "dept_handler"


def params_for(world, m, dispute, action) -> dict:
    params = dict(PARAMS.get(action, {}))
    street_committee = m.committee_of(world.streets[0]).pk
    extra = {
        "route": {"committee": street_committee},
        "transfer": {"committee": street_committee},
        "assign_mediator": {"mediator": m.mediators["pool"].pk},
        "schedule_session": {"starts_at": soon(), "place": "社区调解室"},
        "apply_confirmation": {"court": m.court.pk},
        "rate": {"party": dispute.parties.order_by("id").first().pk, "rating": 4},
    }.get(action, {})
    if action == "record_session":
        session = Session.objects.filter(dispute=dispute, state=SessionState.SCHEDULED).first()
        extra = {"session": session.pk if session else None}
    return {**params, **extra}


def expected_reason(name, role, variant, action) -> str:
    if not sees(name, variant):
        return "area"
    if action not in EXPECTED[variant] and action not in GUARDED[variant]:
        return "state"
    if name not in ROLES[action]:
        return "role"
    return "guard"


def snapshot(dispute):
    fresh = Dispute.objects.get(pk=dispute.pk)
    agreement = Agreement.objects.filter(dispute=dispute).values_list("confirmation", "performance").first()
    return (fresh.state, fresh.version, fresh.committee_id, fresh.mediator_id, fresh.level,
            DisputeEvent.objects.filter(dispute=dispute).count(), Session.objects.filter(dispute=dispute).count(),
            agreement)


@pytest.mark.parametrize("variant", list(EXPECTED))
def test_every_action_for_every_role(world, variant):
    m = build_mediation(world)
    dispute = dispute_in(world, m, variant)
    state = STATE_OF.get(variant, variant)
    assert dispute.state == state
    for action in workflow.ACTIONS:
        for name, user in users(world, m).items():
            dispute.refresh_from_db()
            allowed = name in EXPECTED[variant].get(action, set())
            assert (action in workflow.allowed_actions(dispute, user)) == allowed, (variant, action, name)
            params = params_for(world, m, dispute, action)
            if allowed:
                events = DisputeEvent.objects.filter(dispute=dispute).count()
                done = act(user, dispute, action, **params)
                assert done.state == RESULT.get(action, state), (variant, action, name)
                assert done.version == dispute.version + 1
                assert DisputeEvent.objects.filter(dispute=dispute).count() == events + 1
                event = DisputeEvent.objects.filter(dispute=dispute).order_by("-id").first()
                assert (event.action, event.from_state, event.to_state, event.actor) == \
                    (action, state, done.state, user)
                assert AuditEntry.objects.filter(operation=f"mediation.{action}", object_id=str(dispute.pk)).exists()
                dispute = dispute_in(world, m, variant)  # the next one starts from the variant again
            else:
                before = snapshot(dispute)
                with pytest.raises(workflow.WorkflowError) as refused:
                    act(user, dispute, action, **params)
                assert refused.value.reason == expected_reason(name, user.role, variant, action), \
                    (variant, action, name, refused.value.reason)
                assert snapshot(dispute) == before, (variant, action, name)


def test_every_table_row_is_walked():
    walked = {(STATE_OF.get(variant, variant), action) for variant in EXPECTED
              for action in set(EXPECTED[variant]) | GUARDED[variant]}
    assert walked == set(workflow.TRANSITIONS)
    assert set(ROLES) == set(workflow.ACTIONS)


@pytest.mark.parametrize("state", list(State))
def test_actions_outside_the_table_are_refused_for_the_state(world, state):
    """Every action the table has no row for in a state is refused with reason "state", whoever asks."""
    m = build_mediation(world)
    dispute = dispute_in(world, m, state.value)
    outside = [a for a in workflow.ACTIONS if (state, a) not in workflow.TRANSITIONS]
    assert outside, state
    for action in outside:
        for name, user in users(world, m).items():
            if not sees(name, state.value):
                continue
            assert action not in workflow.allowed_actions(dispute, user)
            before = snapshot(dispute)
            with pytest.raises(workflow.WorkflowError) as refused:
                act(user, dispute, action, **params_for(world, m, dispute, action))
            assert refused.value.reason == "state", (state, action, name)
            assert snapshot(dispute) == before


def test_an_unknown_action_is_refused(world):
    build_mediation(world)
    dispute = register(world)
    with pytest.raises(workflow.WorkflowError) as refused:
        act(world.users[Role.DISTRICT_OPERATOR], dispute, "settle_by_force")
    assert refused.value.reason == "action"
    assert snapshot(dispute)[:2] == (State.REGISTERED, dispute.version)


def test_stale_version_is_a_conflict_and_changes_nothing(world):
    m = build_mediation(world)
    dispute = dispute_in(world, m, "mediating")
    med = world.users[Role.MEDIATOR]
    services.do_act(med, dispute, "agree", expected_version=dispute.version, **PARAMS["agree"])
    before = snapshot(dispute)
    with pytest.raises(ConflictError):
        services.do_act(med, dispute, "fail", expected_version=dispute.version, **PARAMS["fail"])
    assert snapshot(dispute) == before
    assert Dispute.objects.get(pk=dispute.pk).state == State.AGREED


@pytest.mark.parametrize("action,params,field", [
    ("agree", {"terms": "赔偿", "amount": "-1"}, "amount"),
    ("agree", {"terms": "赔偿", "amount": "很多"}, "amount"),
    ("agree", {"terms": ""}, "terms"),
    ("fail", {"reason": " "}, "reason"),
    ("schedule_session", {"starts_at": "2020-01-01T09:00", "place": "调解室"}, "starts_at"),
    ("schedule_session", {"starts_at": "2099-01-01T09:00", "online_room": "ftp://x"}, "online_room"),
    ("assign_mediator", {"mediator": "not a number"}, "mediator"),
    ("transfer", {"reason": "专业问题"}, "committee"),
])
def test_a_bad_parameter_changes_nothing(world, action, params, field):
    """The version was claimed before the input was read: a refusal rolls the claim back with the rest."""
    m = build_mediation(world)
    dispute = dispute_in(world, m, "mediating")
    before = snapshot(dispute)
    with pytest.raises(services.OperationError) as refused:
        act(world.users[Role.COMMUNITY_OPERATOR], dispute, action, **params)
    assert refused.value.field == field
    assert snapshot(dispute) == before


def test_escalation_climbs_level_by_level_and_stops_at_the_district(world):
    m = build_mediation(world)
    dispute = register(world)
    dispute = act(world.users[Role.MEDIATOR], dispute, "escalate", reason="社区调解未果")
    assert (dispute.level, dispute.committee) == ("street", m.committee_of(world.streets[0]))
    with pytest.raises(workflow.WorkflowError) as refused:  # the street's now, not the community's
        act(world.users[Role.COMMUNITY_OPERATOR], dispute, "accept")
    assert refused.value.reason == "guard"
    dispute = act(world.users[Role.STREET_OPERATOR], dispute, "escalate", reason="街道调解未果")
    assert (dispute.level, dispute.committee, dispute.escalation_count) == ("district",
                                                                            m.committee_of(world.district), 2)
    with pytest.raises(workflow.WorkflowError) as refused:
        act(world.users[Role.DISTRICT_OPERATOR], dispute, "escalate", reason="再上交")
    assert refused.value.reason == "guard"
    assert act(world.users[Role.DISTRICT_OPERATOR], dispute, "accept").state == State.ACCEPTED


def test_a_committee_that_does_not_take_the_type_is_refused(world):
    m = build_mediation(world)
    dispute = register(world)  # a neighbour dispute
    before = snapshot(dispute)
    with pytest.raises(services.OperationError) as refused:
        act(world.users[Role.DISTRICT_OPERATOR], dispute, "transfer", reason="x", committee=m.committees["medical"])
    assert refused.value.field == "committee"
    with pytest.raises(services.OperationError) as refused:
        act(world.users[Role.DISTRICT_OPERATOR], dispute, "route", committee=m.committees["office"])
    assert refused.value.field == "committee"
    assert snapshot(dispute) == before
