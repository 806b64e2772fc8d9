"""The mediation operations: what they write, and bad input refused with nothing changed."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError
from wangge.core.workflow import ConflictError
from wangge.mediation import services
from wangge.mediation.models import (
    Agreement,
    Dispute,
    DisputeEvent,
    Level,
    PetitionProgress,
    Referral,
    Risk,
    Session,
    State,
)
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, letter, register, soon
from wangge.mediation.workflow import WorkflowError
from wangge.testing import build_registry, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def m(world):
    return build_mediation(world)


def counts():
    return (Dispute.objects.count(), DisputeEvent.objects.count(), Agreement.objects.count(),
            Session.objects.count(), Referral.objects.count(), AuditEntry.objects.count())


def test_register_locates_numbers_and_sends_to_the_community_committee(world, m):
    dispute = register(world)
    assert dispute.number.startswith("TJ") and len(dispute.number) == 15
    assert dispute.grid == world.grids[0] and dispute.region == world.grids[0]
    assert dispute.level == Level.COMMUNITY and dispute.committee == m.committee_of(world.communities[0])
    assert dispute.parties_count == 2 and dispute.due_by > dispute.reported_at
    assert AuditEntry.objects.filter(operation="mediation.register", object_id=str(dispute.pk)).exists()
    second = register(world)
    assert int(second.number[-5:]) == int(dispute.number[-5:]) + 1


def test_a_street_operator_registers_at_street_level(world, m):
    dispute = register(world, world.users[Role.STREET_OPERATOR])
    assert dispute.level == Level.STREET and dispute.committee == m.committee_of(world.streets[0])


def test_many_parties_raise_the_risk_to_a_possible_group_incident(world, m):
    parties = [{"name": f"业主{i}"} for i in range(6)]
    dispute = register(world, parties=parties)
    assert dispute.group_risk and dispute.risk == Risk.HIGH
    assert dispute.risk_reasons == ["当事人 6 人，可能引发群体性事件"]


@pytest.mark.parametrize("amount", ["-1", "abc", "1.234", "NaN", True])
def test_a_bad_amount_in_dispute_is_refused_and_nothing_is_written(world, m, amount):
    before = counts()
    with pytest.raises(OperationError) as raised:
        register(world, amount=amount)
    assert raised.value.field == "amount" and counts() == before


def test_a_party_outside_the_area_is_refused(world, m):
    from wangge.registry.models import Person

    build_registry(world)
    outside = Person.objects.exclude(pk__in=Person.objects.visible_to(world.users[Role.GRID_WORKER])).first()
    assert outside is not None
    before = counts()
    with pytest.raises(OperationError) as raised:
        register(world, parties=[{"person": outside.pk}])
    assert raised.value.field == "parties[0].person" and counts() == before


def test_a_party_from_the_registry_in_the_area_is_linked(world, m):
    build_registry(world)
    from wangge.registry.models import Person

    inside = Person.objects.visible_to(world.users[Role.GRID_WORKER]).first()
    dispute = register(world, parties=[{"person": inside.pk}, {"name": "乙某", "role": "respondent"}])
    party = dispute.parties.get(person=inside)
    assert party.name == inside.name and party.id_number == inside.id_number


@pytest.mark.parametrize("bad", [{"type": "unknown"}, {"source": "nowhere"}, {"title": " "}, {"parties": []},
                                 {"parties": [{"role": "applicant"}]}, {"lng": 0.0, "lat": 0.0}])
def test_bad_registrations_change_nothing(world, m, bad):
    before = counts()
    with pytest.raises(OperationError):
        register(world, **bad)
    assert counts() == before


def test_a_session_in_the_past_is_refused(world, m):
    dispute = dispute_in(world, m, "accepted")
    before = counts()
    with pytest.raises(OperationError) as raised:
        act(world.users[Role.MEDIATOR], dispute, "schedule_session",
            starts_at=timezone.now() - timedelta(hours=1), place="社区调解室")
    assert raised.value.field == "starts_at" and counts() == before
    dispute.refresh_from_db()
    assert dispute.state == State.ACCEPTED


def test_a_session_needs_a_place_or_an_online_room_link(world, m):
    dispute = dispute_in(world, m, "accepted")
    with pytest.raises(OperationError) as raised:
        act(world.users[Role.MEDIATOR], dispute, "schedule_session", starts_at=soon())
    assert raised.value.field == "place"
    with pytest.raises(OperationError) as raised:
        act(world.users[Role.MEDIATOR], dispute, "schedule_session", starts_at=soon(), online_room="zoom:123")
    assert raised.value.field == "online_room"


@pytest.mark.parametrize("amount", ["-5", "五千", "1e400"])
def test_an_agreement_with_a_bad_amount_is_refused(world, m, amount):
    dispute = dispute_in(world, m, "mediating")
    before = counts()
    with pytest.raises(OperationError) as raised:
        act(world.users[Role.MEDIATOR], dispute, "agree", terms="赔偿", amount=amount)
    assert raised.value.field == "amount" and counts() == before


def test_an_agreement_records_terms_amount_and_deadline(world, m):
    dispute = dispute_in(world, m, "mediating")
    perform_by = (timezone.localtime() + timedelta(days=30)).date()
    dispute = act(world.users[Role.MEDIATOR], dispute, "agree", terms="乙方赔偿甲方", amount="12,000.50",
                  perform_by=perform_by.isoformat())
    assert dispute.state == State.AGREED and dispute.closed_at is not None
    assert dispute.agreement.amount == Decimal("12000.50") and dispute.agreement.perform_by == perform_by


def test_a_referral_without_its_letter_is_refused(world, m):
    before = counts()
    with pytest.raises(OperationError) as raised:
        services.do_refer(m.court_handler, letter=None, letter_number="（2026）诉前调2号", title="合同纠纷",
                          type="consumer", parties=[{"name": "丁某"}])
    assert raised.value.field == "letter" and counts() == before


def test_only_a_court_refers(world, m):
    with pytest.raises(OperationError) as raised:
        services.do_refer(world.users[Role.DEPARTMENT_HANDLER], letter=letter(), letter_number="x", title="合同纠纷",
                          type="consumer", parties=[{"name": "丁某"}])
    assert raised.value.field == "role"


def test_a_failed_referral_goes_back_to_litigation(world, m):
    dispute = services.do_refer(m.court_handler, letter=letter(), letter_number="（2026）诉前调3号",
                                title="借款纠纷", type="other", parties=[{"name": "戊某"}])
    op, med = world.users[Role.DISTRICT_OPERATOR], world.users[Role.MEDIATOR]
    dispute = act(op, dispute, "route", committee=m.committee_of(world.communities[0]).pk)
    dispute = act(med, dispute, "accept")
    dispute = act(med, dispute, "schedule_session", starts_at=soon(), place="调解室")
    dispute = act(med, dispute, "fail", **PARAMS["fail"])
    assert Referral.objects.get(dispute=dispute).outcome == "returned"


def test_routing_to_the_office_or_a_committee_that_does_not_take_the_type_is_refused(world, m):
    dispute = register(world)
    op = world.users[Role.DISTRICT_OPERATOR]
    with pytest.raises(OperationError) as raised:
        act(op, dispute, "route", committee=m.committees["office"].pk)
    assert raised.value.field == "committee"
    with pytest.raises(OperationError) as raised:
        act(op, dispute, "route", committee=m.committees["medical"].pk)
    assert raised.value.field == "committee"


def test_escalation_moves_the_dispute_up_a_level_and_out_of_the_communitys_hands(world, m):
    dispute = dispute_in(world, m, "accepted")
    dispute = act(world.users[Role.MEDIATOR], dispute, "escalate", **PARAMS["escalate"])
    assert dispute.state == State.REGISTERED and dispute.level == Level.STREET
    assert dispute.committee == m.committee_of(world.streets[0]) and dispute.escalation_count == 1
    assert dispute.mediator is None
    with pytest.raises(WorkflowError) as raised:
        act(world.users[Role.COMMUNITY_OPERATOR], dispute, "withdraw", **PARAMS["withdraw"])
    assert raised.value.reason == "guard"
    dispute = act(world.users[Role.STREET_OPERATOR], dispute, "accept")
    assert dispute.state == State.ACCEPTED


def test_a_mediator_sees_only_their_committees_disputes(world, m):
    dispute = register(world)
    assert Dispute.objects.visible_to(world.users[Role.MEDIATOR]).filter(pk=dispute.pk).exists()
    assert not Dispute.objects.visible_to(world.outsiders[Role.MEDIATOR]).filter(pk=dispute.pk).exists()
    with pytest.raises(WorkflowError) as raised:
        act(world.outsiders[Role.MEDIATOR], dispute, "accept")
    assert raised.value.reason == "area"


def test_assigning_a_mediator_outside_the_committee_is_refused(world, m):
    dispute = dispute_in(world, m, "accepted")
    op = world.users[Role.COMMUNITY_OPERATOR]
    with pytest.raises(OperationError) as raised:
        act(op, dispute, "assign_mediator", mediator=m.mediators["mediator_2"].pk)
    assert raised.value.field == "mediator"
    dispute = act(op, dispute, "assign_mediator", mediator=m.mediators["pool"].pk, chosen_by_parties=True)
    assert dispute.mediator == m.mediators["pool"]


def test_petition_progress_once_a_month(world, m):
    dispute = dispute_in(world, m, "petition")
    dispute = act(world.users[Role.COMMUNITY_OPERATOR], dispute, "record_progress", text="已约谈")
    assert PetitionProgress.objects.filter(dispute=dispute).count() == 1
    with pytest.raises(OperationError):
        act(world.users[Role.COMMUNITY_OPERATOR], dispute, "record_progress", text="再次约谈")
    assert PetitionProgress.objects.filter(dispute=dispute).count() == 1


def test_progress_on_an_ordinary_dispute_is_refused(world, m):
    dispute = register(world)
    with pytest.raises(WorkflowError) as raised:
        act(world.users[Role.COMMUNITY_OPERATOR], dispute, "record_progress", text="x")
    assert raised.value.reason == "guard"


def test_confirmation_by_a_court_that_was_not_applied_to_is_refused(world, m):
    dispute = dispute_in(world, m, "agreed")
    with pytest.raises(WorkflowError) as raised:
        act(world.users[Role.COMMUNITY_OPERATOR], dispute, "confirm", **PARAMS["confirm"])
    assert raised.value.reason == "guard"
    dispute = act(world.users[Role.COMMUNITY_OPERATOR], dispute, "apply_confirmation", court=m.court.pk)
    assert Dispute.objects.visible_to(m.court_handler).filter(pk=dispute.pk).exists()
    dispute = act(m.court_handler, dispute, "refuse_confirmation", **PARAMS["refuse_confirmation"])
    assert dispute.agreement.confirmation == "refused"


def test_a_dispute_case_becomes_a_dispute_linked_both_ways(world, m):
    from wangge.cases.models import Category

    category = Category.objects.get(major__code="11", code="001")
    from wangge.cases import services as case_services

    lng, lat = world.grid_center(world.grids[0])
    case = case_services.do_report_case(world.users[Role.GRID_WORKER], category=category, title="邻里噪音纠纷",
                                        lng=lng, lat=lat)
    dispute = services.do_case_to_dispute(world.users[Role.COMMUNITY_OPERATOR], case, type="neighbour")
    case.refresh_from_db()
    assert dispute.case == case and case.dispute == dispute and dispute.source == "grid"
    assert case.events.filter(action="to_dispute").exists()
    with pytest.raises(OperationError):
        services.do_case_to_dispute(world.users[Role.COMMUNITY_OPERATOR], case)


def test_a_case_of_another_class_does_not_become_a_dispute(world, m):
    from wangge.cases.testing import report

    case = report(world)
    before = counts()
    with pytest.raises(OperationError) as raised:
        services.do_case_to_dispute(world.users[Role.COMMUNITY_OPERATOR], case)
    assert raised.value.field == "case" and counts() == before


def test_a_citizen_reports_and_may_choose_an_eligible_mediator(world, m):
    lng, lat = world.grid_center(world.grids[0])
    dispute = services.do_report_dispute_public(title="噪音纠纷", type="neighbour", lng=lng, lat=lat,
                                                parties=[{"name": "己某", "phone": "13800000001"}],
                                                mediator=m.mediators["pool"].pk)
    assert dispute.source == "citizen" and dispute.mediator == m.mediators["pool"] and dispute.created_by is None
    assert dispute.events.get(action="register").details["chosen_by_parties"] is True
    before = counts()
    with pytest.raises(OperationError) as raised:
        services.do_report_dispute_public(title="噪音纠纷", type="neighbour", lng=lng, lat=lat,
                                          parties=[{"name": "己某"}], mediator=m.mediators["mediator_2"].pk)
    assert raised.value.field == "mediator" and counts() == before


def test_a_stale_version_is_a_conflict_and_changes_nothing(world, m):
    dispute = register(world)
    stale = dispute.version
    act(world.users[Role.MEDIATOR], dispute, "accept")
    before = counts()
    with pytest.raises(ConflictError):
        services.do_act(world.users[Role.MEDIATOR], dispute, "withdraw", expected_version=stale, reason="撤回")
    assert counts() == before


def test_a_leader_outside_the_registrars_area_is_refused(world, m):
    before = counts()
    with pytest.raises(OperationError) as raised:
        register(world, world.users[Role.COMMUNITY_OPERATOR], is_petition=True,
                 leader=world.outsiders[Role.STREET_OPERATOR].pk)
    assert raised.value.field == "leader" and counts() == before
    dispute = register(world, world.users[Role.COMMUNITY_OPERATOR], is_petition=True,
                       leader=world.users[Role.COMMUNITY_OPERATOR].pk)
    assert dispute.leader == world.users[Role.COMMUNITY_OPERATOR]


@pytest.mark.parametrize("name,size", [("letter.exe", 100), ("letter.pdf", 11 * 1024 * 1024)])
def test_a_referral_letter_of_the_wrong_kind_or_size_is_refused(world, m, name, size):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    with pytest.raises(OperationError) as raised:
        services.do_refer(m.court_handler, letter=SimpleUploadedFile(name, b"x" * size), letter_number="（2026）4号",
                          title="合同纠纷", type="consumer", parties=[{"name": "丁某"}])
    assert raised.value.field == "letter" and counts() == before


def test_sessions_still_scheduled_are_called_off_when_the_dispute_ends_or_moves(world, m):
    med = world.users[Role.MEDIATOR]
    dispute = dispute_in(world, m, "mediating")
    dispute = act(med, dispute, "schedule_session", starts_at=soon() + timedelta(days=2), place="调解室")
    assert dispute.sessions.filter(state="scheduled").count() == 2
    dispute = act(med, dispute, "agree", **PARAMS["agree"])
    assert set(dispute.sessions.values_list("state", flat=True)) == {"cancelled"}
    moved = dispute_in(world, m, "mediating")
    moved = act(med, moved, "escalate", **PARAMS["escalate"])
    assert set(moved.sessions.values_list("state", flat=True)) == {"cancelled"}


def test_the_office_is_not_a_committee_to_register_with(world, m):
    before = counts()
    with pytest.raises(OperationError) as raised:
        register(world, world.users[Role.DISTRICT_OPERATOR], committee=m.committees["office"].pk)
    assert raised.value.field == "committee" and counts() == before


def test_the_timeline_names_an_assigned_mediator_by_id(world, m):
    dispute = dispute_in(world, m, "accepted")
    dispute = act(world.users[Role.COMMUNITY_OPERATOR], dispute, "assign_mediator", mediator=m.mediators["pool"].pk)
    details = dispute.events.get(action="assign_mediator").details
    assert details == {"mediator_id": m.mediators["pool"].pk, "chosen_by_parties": False}
