"""The measures read the timestamps the workflow really writes: disputes walked through wangge.mediation.services
(accept, agree, fail, withdraw, escalate, rate, a court referral) are counted where the definitions say."""
import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.mediation import services
from wangge.mediation.measures import dispute_stats, mediator_ranking, parse_query, parse_ranking
from wangge.mediation.models import Source
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, letter, register, soon

pytestmark = pytest.mark.django_db


def today_stats(user, **params):
    today = timezone.localdate().isoformat()
    return dispute_stats(user, parse_query(user, {"from": today, "to": today, **params}))


def test_walked_disputes_are_counted_by_the_definitions(world):
    m = build_mediation(world)
    for variant in ("registered", "accepted", "mediating", "agreed", "failed", "withdrawn"):
        dispute_in(world, m, variant)
    # a dispute escalated after acceptance goes back to registered: no longer "mediated" until re-accepted
    escalated = dispute_in(world, m, "accepted")
    act(world.users[Role.MEDIATOR], escalated, "escalate", **PARAMS["escalate"])
    # a court referral routed, accepted and settled (source court: mediated, not found)
    lng, lat = world.grid_center(world.grids[0])
    referred = services.do_refer(m.court_handler, letter=letter(), letter_number="（2026）川0107诉前调9号",
                                 title="买卖合同纠纷", type="consumer", lng=lng, lat=lat,
                                 parties=[{"name": "丙某"}, {"name": "丁某", "role": "respondent"}])
    referred = act(world.users[Role.DISTRICT_OPERATOR], referred, "route",
                   committee=m.committee_of(world.communities[0]).pk)
    med = world.users[Role.MEDIATOR]
    referred = act(med, referred, "accept")
    referred = act(med, referred, "schedule_session", starts_at=soon(), place="调解室")
    referred = act(med, referred, "agree", terms="退还货款", amount="12345.67")
    party = referred.parties.first()
    act(med, referred, "rate", party=party.pk, rating=4)

    total = today_stats(world.users[Role.DISTRICT_OPERATOR])["total"]
    counts = total["counts"]
    assert counts["registered"] == 8
    assert (counts["found"], counts["resolved"]) == (7, 1)  # every grid-source dispute; the agreed one
    # accepted, mediating, agreed, failed and the referral; the withdrawn one never was, the escalated one
    # waits for the street's committee
    assert (counts["mediated"], counts["successful"], counts["failed"]) == (5, 2, 1)
    assert counts["parties"] == 10
    assert total["amount"]["yuan"] == "17345.67"  # 5,000 (testing PARAMS) + 12,345.67
    assert (counts["closed"], counts["settled"]) == (4, 2)  # agreed, failed, withdrawn, referral
    assert (counts["referrals"], counts["referrals_settled"]) == (1, 1)
    assert total["measures"]["referral_settlement_rate"]["display"] == "100.00%"
    assert counts["community_settled"] == 2

    year = str(timezone.localdate().year)
    ranking = mediator_ranking(med, parse_ranking(med, {"year": year, "min_cases": "1"}))
    mine = ranking["ranking"][0]
    assert (mine["name"], mine["cases"], mine["agreed"], mine["mean_rating"]) == (
        m.mediators["mediator_1"].name, 5, 2, 4.0)


def test_a_group_risk_dispute_agreed_is_a_group_incident_prevented(world):
    m = build_mediation(world)
    dispute = register(world, group_risk=True, source=Source.GRID)
    med = world.users[Role.MEDIATOR]
    for action, params in (("accept", {}), ("schedule_session", {"starts_at": soon(), "place": "社区调解室"}),
                           ("agree", PARAMS["agree"])):
        dispute = act(med, dispute, action, **params)
    counts = today_stats(world.users[Role.DISTRICT_OPERATOR])["total"]["counts"]
    assert (counts["group_prevented"], counts["successful"]) == (1, 1)
    assert m.committee_of(world.communities[0]) == dispute.committee
