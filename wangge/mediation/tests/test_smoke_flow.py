"""One dispute from a grid worker's report to a confirmed, kept agreement; one court referral to settlement."""
import pytest

from wangge.core.roles import Role
from wangge.mediation import services
from wangge.mediation.models import Confirmation, Dispute, ReferralOutcome, State
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, letter, soon
from wangge.testing import build_world

pytestmark = pytest.mark.django_db


def test_a_grid_workers_dispute_reaches_a_confirmed_kept_agreement():
    world = build_world()
    m = build_mediation(world)
    dispute = dispute_in(world, m, "agreed_applied")
    assert dispute.state == State.AGREED and dispute.committee == m.committee_of(world.communities[0])
    assert dispute.mediator == m.mediators["mediator_1"]
    dispute = act(m.court_handler, dispute, "confirm", **PARAMS["confirm"])
    dispute = act(world.users[Role.MEDIATOR], dispute, "follow_up", **PARAMS["follow_up"])
    assert dispute.agreement.confirmation == Confirmation.CONFIRMED
    assert dispute.agreement.performance == "kept"
    assert [e.action for e in dispute.events.all()] == [
        "register", "accept", "schedule_session", "agree", "apply_confirmation", "confirm", "follow_up"]


def test_a_court_referral_is_routed_settled_and_reported_back():
    world = build_world()
    m = build_mediation(world)
    lng, lat = world.grid_center(world.grids[0])
    dispute = services.do_refer(m.court_handler, letter=letter(), letter_number="（2026）川0107诉前调1号",
                                title="买卖合同纠纷", type="consumer", lng=lng, lat=lat,
                                parties=[{"name": "某商贸公司", "kind": "organisation"},
                                         {"name": "丙某", "role": "respondent"}])
    assert dispute.committee == m.committees["office"] and dispute.source == "court"
    op = world.users[Role.DISTRICT_OPERATOR]
    dispute = act(op, dispute, "route", committee=m.committee_of(world.communities[0]).pk)
    assert dispute.referral.routed_at is not None and dispute.level == "community"
    med = world.users[Role.MEDIATOR]
    dispute = act(med, dispute, "accept")
    dispute = act(med, dispute, "schedule_session", starts_at=soon(), online_room="https://meet.example.invalid/r/1")
    dispute = act(med, dispute, "agree", **PARAMS["agree"])
    dispute.referral.refresh_from_db()
    assert dispute.referral.outcome == ReferralOutcome.SETTLED
    assert Dispute.objects.visible_to(m.court_handler).filter(pk=dispute.pk).exists()
    assert not Dispute.objects.visible_to(world.outsiders[Role.MEDIATOR]).filter(pk=dispute.pk).exists()
