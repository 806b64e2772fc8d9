"""The dispute measures (wangge.mediation.measures) over known ledgers: the issue's published figures, and a
small June 2025 ledger whose every count is worked out by hand in `ledger`'s docstring."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from wangge.core.roles import Role
from wangge.mediation.measures import (
    ParamError,
    dispute_stats,
    half_up,
    mediator_ranking,
    parse_query,
    parse_ranking,
    wan,
)
from wangge.mediation.models import Agreement, Dispute, Party, Referral, ReferralOutcome, Source, State
from wangge.mediation.testing import build_mediation

pytestmark = pytest.mark.django_db

JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


def at(month, day, hour=10):
    return timezone.make_aware(datetime(2025, month, day, hour))


def stats(user, **params):
    return dispute_stats(user, parse_query(user, params))


# --- the figures ----------------------------------------------------------------------------------

def _published_ledger(world):
    """2,421 found disputes (2,261 agreed, 100 failed, 60 not yet accepted) and 4,027 accepted ones from sources
    that are not 排查发现 (court, citizen, petition: 3,834 agreed, 193 failed), all in street 0 in 2025:
    found 2,421 / resolved 2,261; mediated 2,361 + 4,027 = 6,388 / successful 2,261 + 3,834 = 6,095.
    Mediated disputes have 2 parties, 4,243 of them 3: 6,388 × 2 + 4,243 = 17,019; the 60 unaccepted have 5
    each, which must not count. Agreements: 6,095 amounts with cents summing to 148,360,300.00 yuan."""
    grids = world.grids[:4]
    found_sources = [Source.GRID, Source.POLICE, Source.HOTLINE_12345, Source.MEDIATION_PLATFORM]
    other_sources = [Source.COURT, Source.CITIZEN, Source.PETITION]
    plan = ([(found_sources, State.AGREED)] * 2261 + [(found_sources, State.FAILED)] * 100
            + [(found_sources, State.REGISTERED)] * 60 + [(other_sources, State.AGREED)] * 3834
            + [(other_sources, State.FAILED)] * 193)
    disputes, extra_parties = [], 4243
    for i, (sources, state) in enumerate(plan):
        accepted = state != State.REGISTERED
        parties = 5 if not accepted else (3 if extra_parties > 0 else 2)
        if accepted and extra_parties > 0:
            extra_parties -= 1
        reported = at(1 + i % 12, 1 + i % 28)
        disputes.append(Dispute(
            number=f"TJPUB{i:06d}", title="台账", type="neighbour", source=sources[i % len(sources)],
            level="community", state=state, region=grids[i % 4], parties_count=parties, reported_at=reported,
            accepted_at=reported if accepted else None,
            closed_at=reported.replace(hour=18) if state in (State.AGREED, State.FAILED) else None))
    Dispute.objects.bulk_create(disputes, batch_size=500)
    agreed = list(Dispute.objects.filter(number__startswith="TJPUB", state=State.AGREED).order_by("number"))
    assert len(agreed) == 6095
    amounts = [Decimal("18000.00") + Decimal(i % 97) * Decimal("123.45") for i in range(len(agreed) - 1)]
    amounts.append(Decimal("148360300.00") - sum(amounts))
    assert amounts[-1] > 0
    Agreement.objects.bulk_create([Agreement(dispute=d, terms="协议", amount=a, signed_at=d.closed_at)
                                   for d, a in zip(agreed, amounts)], batch_size=500)


def test_the_published_figures_come_out_of_the_same_counts(world):
    _published_ledger(world)
    data = stats(world.users[Role.DISTRICT_OPERATOR], year="2025")
    total = data["total"]
    assert total["counts"]["found"] == 2421 and total["counts"]["resolved"] == 2261
    assert total["measures"]["found_success_rate"]["display"] == "93.39%"
    assert total["measures"]["found_success_rate"]["rate"] == 0.9339
    assert total["counts"]["mediated"] == 6388 and total["counts"]["successful"] == 6095
    assert total["measures"]["mediation_success_rate"]["display"] == "95.41%"
    assert total["counts"]["parties"] == 17019
    assert total["amount"] == {"yuan": "148360300.00", "wan": "14836.03", "wan_display": "14,836.03"}
    # by street the same figures split and add up again
    assert [r["code"] for r in data["rows"]] == [s.code for s in world.streets]
    assert data["rows"][0]["counts"]["mediated"] == 6388 and data["rows"][1]["counts"]["mediated"] == 0


def test_an_outsider_sees_none_of_the_published_ledger(world):
    _published_ledger(world)
    for user in (world.outsiders[Role.STREET_OPERATOR], world.outsiders[Role.COMMUNITY_OPERATOR]):
        total = stats(user, year="2025")["total"]
        assert total["counts"]["mediated"] == 0 and total["counts"]["found"] == 0
        assert total["amount"]["yuan"] == "0.00"
        assert total["measures"]["mediation_success_rate"] == {"numerator": 0, "denominator": 0, "rate": None,
                                                               "display": "—"}


def test_rounding_is_half_up_to_two_places():
    assert half_up(2261, 2421) == Decimal("93.39")
    assert half_up(6095, 6388) == Decimal("95.41")
    assert half_up(12345, 100000) == Decimal("12.35")  # 12.345: half-up, not to even
    assert half_up(1, 8) == Decimal("12.50")
    assert half_up(1, 0) is None
    assert wan(Decimal("148360300.00")) == Decimal("14836.03")
    assert wan(Decimal("50")) == Decimal("0.01")  # 0.005 万元 rounds up


# --- a small ledger worked out by hand --------------------------------------------------------------------

def _dispute(n, region, *, source="grid", state=State.AGREED, level="community", committee=None, mediator=None,
             type="neighbour", parties=2, group_risk=False, reported=None, accepted=None, closed=None, amount=None,
             ratings=()):
    reported = reported or at(6, 1 + n)
    dispute = Dispute.objects.create(
        number=f"TJ2025{n:08d}", title=f"纠纷{n}", type=type, source=source, level=level, state=state,
        region=region, committee=committee, mediator=mediator, parties_count=parties, group_risk=group_risk,
        reported_at=reported, accepted_at=accepted, closed_at=closed)
    if amount is not None:
        Agreement.objects.create(dispute=dispute, terms="协议", amount=Decimal(amount), signed_at=closed)
    for i in range(parties):
        Party.objects.create(dispute=dispute, name=f"当事人{n}-{i}", rating=ratings[i] if i < len(ratings) else None)
    return dispute


@pytest.fixture
def ledger(world):
    """June 2025 (numbers are the disputes below):

    1  grid 0, grid patrol, agreed, community, c0's committee, mediator_1, group risk, 5,000.00, ratings 5 and 4
    2  grid 0, police, failed, community, c0's committee, mediator_1
    3  grid 1, 12345, registered (not accepted), community, 3 parties
    4  grid 2 (community 1), citizen, agreed, street committee 0, pool mediator, labour, 4 parties, 12,345.67, rating 3
    5  street 0 itself, court referral settled in 10 days, agreed, district committee, consumer, 2,000.00
    6  street 0 itself, court referral returned after 5 days, failed, district committee
    7  grid 4 (street 1), grid patrol, agreed, community 2's committee, mediator_2, marriage, 800.50, rating 2
    8  grid 4, grid patrol, withdrawn before acceptance
    9  grid 0, grid patrol, reported 31 May, accepted and agreed in June, mediator_1, 100.00
    10 grid 5, petition, mediating (accepted 10 June), street committee 1

    registered 9 (9 itself was registered in May), found 5 (1 2 3 7 8), resolved 2 (1 7): 40.00%;
    accepted 7 of 9: 77.78%;
    mediated 8 (1 2 4 5 6 7 9 10), successful 5 (1 4 5 7 9): 62.50%, failed 2; parties 18;
    amount 20,246.17 yuan = 2.02 万元; at community level 3 of 5 (1 7 9): 60.00%; group incidents prevented 1;
    closed 8 (all but 3 and 10), settled 5; referrals 2, settled 1, returned 1: 50.00%, mean 7.50 days.
    """
    m = build_mediation(world)
    c0, c2 = world.communities[0], world.communities[2]
    s0, s1 = world.streets
    med1, med2, pool = m.mediators["mediator_1"], m.mediators["mediator_2"], m.mediators["pool"]
    com0, com2 = m.committee_of(c0), m.committee_of(c2)
    g = world.grids
    d = {}
    d[1] = _dispute(1, g[0], committee=com0, mediator=med1, group_risk=True, accepted=at(6, 2), closed=at(6, 5),
                    amount="5000.00", ratings=(5, 4))
    d[2] = _dispute(2, g[0], source="police", state=State.FAILED, committee=com0, mediator=med1, accepted=at(6, 3),
                    closed=at(6, 8))
    d[3] = _dispute(3, g[1], source="hotline_12345", state=State.REGISTERED, committee=com0, type="property_management",
                    parties=3)
    d[4] = _dispute(4, g[2], source="citizen", level="street", committee=m.committee_of(s0), mediator=pool,
                    type="labour", parties=4, accepted=at(6, 5), closed=at(6, 20), amount="12345.67", ratings=(3,))
    d[5] = _dispute(5, s0, source="court", level="district", committee=m.committee_of(world.district),
                    type="consumer", accepted=at(6, 6), closed=at(6, 11), amount="2000.00")
    d[6] = _dispute(6, s0, source="court", state=State.FAILED, level="district",
                    committee=m.committee_of(world.district), accepted=at(6, 7), closed=at(6, 12))
    d[7] = _dispute(7, g[4], committee=com2, mediator=med2, type="marriage_family", accepted=at(6, 8),
                    closed=at(6, 9), amount="800.50", ratings=(2,))
    d[8] = _dispute(8, g[4], state=State.WITHDRAWN, committee=com2, closed=at(6, 10))
    d[9] = _dispute(9, g[0], committee=com0, mediator=med1, reported=at(5, 31), accepted=at(6, 1), closed=at(6, 2),
                    amount="100.00")
    d[10] = _dispute(10, g[5], source="petition", state=State.MEDIATING, level="street",
                     committee=m.committee_of(s1), accepted=at(6, 10))
    Referral.objects.create(dispute=d[5], court=m.court, letter_number="（2025）川0107诉前调1号", letter="x.pdf",
                            referred_at=at(6, 1), outcome=ReferralOutcome.SETTLED, outcome_at=at(6, 11))
    Referral.objects.create(dispute=d[6], court=m.court, letter_number="（2025）川0107诉前调2号", letter="x.pdf",
                            referred_at=at(6, 2), outcome=ReferralOutcome.RETURNED, outcome_at=at(6, 7))
    return m, d


def test_every_measure_of_the_small_ledger(world, ledger):
    total = stats(world.users[Role.DISTRICT_OPERATOR], **JUNE)["total"]
    assert total["counts"] == {
        "registered": 9, "found": 5, "resolved": 2, "accepted": 7, "mediated": 8, "successful": 5, "failed": 2,
        "parties": 18, "community_settled": 3, "group_prevented": 1, "closed": 8, "settled": 5, "referrals": 2,
        "referrals_settled": 1, "referrals_returned": 1, "referrals_pending": 0}
    assert total["amount"] == {"yuan": "20246.17", "wan": "2.02", "wan_display": "2.02"}
    displays = {name: m["display"] for name, m in total["measures"].items()}
    assert displays == {"found_success_rate": "40.00%", "mediation_success_rate": "62.50%",
                        "community_share": "60.00%", "acceptance_rate": "77.78%",
                        "referral_settlement_rate": "50.00%", "referral_days": "7.50 天"}
    assert total["measures"]["referral_days"] == {"numerator": 15.0, "denominator": 2, "rate": 7.5,
                                                  "display": "7.50 天"}


def test_by_street_and_by_community(world, ledger):
    op = world.users[Role.DISTRICT_OPERATOR]
    streets = stats(op, **JUNE)
    assert streets["region_level"] == "street"
    assert [(r["code"], r["counts"]["mediated"], r["counts"]["found"]) for r in streets["rows"]] == [
        (world.streets[0].code, 6, 3), (world.streets[1].code, 2, 2)]
    communities = stats(op, region_level="community", **JUNE)
    by_code = {r["code"]: r["counts"] for r in communities["rows"]}
    assert [r["code"] for r in communities["rows"][:4]] == [c.code for c in world.communities]
    assert by_code[world.communities[0].code]["mediated"] == 3  # 1 2 9
    assert by_code[world.communities[1].code]["mediated"] == 1  # 4
    assert by_code[world.communities[2].code]["mediated"] == 2  # 7 10
    # 5 and 6 were registered to the street itself: their own row, so the rows add up to the total
    rest = communities["rows"][-1]
    assert rest["key"] is None and rest["label"] == "上级区域直接登记" and rest["counts"]["mediated"] == 2
    for name in ("mediated", "successful", "parties", "referrals", "registered", "closed"):
        assert sum(r["counts"][name] for r in communities["rows"]) == communities["total"]["counts"][name]
    # inside a street: its communities by default
    one_street = stats(op, region=world.streets[0].code, **JUNE)
    assert one_street["region_level"] == "community" and one_street["total"]["counts"]["mediated"] == 6


def test_by_level_type_committee_and_mediator(world, ledger):
    m, _ = ledger
    op = world.users[Role.DISTRICT_OPERATOR]
    levels = {r["key"]: r for r in stats(op, group_by="level", **JUNE)["rows"]}
    assert {k: r["counts"]["mediated"] for k, r in levels.items()} == {"community": 4, "street": 2, "district": 2}
    assert levels["community"]["label"] == "社区"
    assert levels["community"]["measures"]["mediation_success_rate"]["display"] == "75.00%"
    types = {r["key"]: (r["label"], r["counts"]["registered"]) for r in stats(op, group_by="type", **JUNE)["rows"]}
    assert types == {"neighbour": ("邻里纠纷", 5), "property_management": ("物业纠纷", 1), "labour": ("劳动争议", 1),
                     "consumer": ("消费纠纷", 1), "marriage_family": ("婚姻家庭", 1)}
    committees = {r["label"]: r["counts"]["mediated"] for r in stats(op, group_by="committee", **JUNE)["rows"]}
    assert committees == {m.committee_of(world.communities[0]).name: 3, m.committee_of(world.communities[2]).name: 1,
                          m.committee_of(world.streets[0]).name: 1, m.committee_of(world.streets[1]).name: 1,
                          m.committee_of(world.district).name: 2}
    mediators = {r["label"]: (r["counts"]["mediated"], r["counts"]["successful"])
                 for r in stats(op, group_by="mediator", **JUNE)["rows"]}
    assert mediators == {m.mediators["mediator_1"].name: (3, 2), m.mediators["mediator_2"].name: (1, 1),
                         m.mediators["pool"].name: (1, 1), "未指派调解员": (3, 1)}


def test_by_month_quarter_and_year(world, ledger):
    op = world.users[Role.DISTRICT_OPERATOR]
    months = stats(op, group_by="period", period="month", **{"from": "2025-05-01", "to": "2025-07-31"})
    assert [(r["label"], r["counts"]["registered"], r["counts"]["mediated"]) for r in months["rows"]] == [
        ("2025-05", 1, 0), ("2025-06", 9, 8), ("2025-07", 0, 0)]
    assert months["total"]["counts"]["registered"] == 10
    quarters = stats(op, group_by="period", period="quarter", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert [(r["label"], r["counts"]["registered"]) for r in quarters["rows"]] == [
        ("2025Q1", 0), ("2025Q2", 10), ("2025Q3", 0), ("2025Q4", 0)]
    years = stats(op, group_by="period", period="year", **{"from": "2024-01-01", "to": "2025-12-31"})
    assert [(r["label"], r["counts"]["successful"]) for r in years["rows"]] == [("2024", 0), ("2025", 5)]
    # a window is a date range: 1–5 June holds disputes 1 to 4 (and 9's acceptance on 1 June)
    early = stats(op, **{"from": "2025-06-01", "to": "2025-06-05"})["total"]["counts"]
    assert (early["registered"], early["mediated"]) == (4, 4)  # 1 2 3 4 / 9 1 2 4 (5 was accepted on 6 June)


def test_filters_narrow_every_family(world, ledger):
    m, _ = ledger
    op = world.users[Role.DISTRICT_OPERATOR]
    assert stats(op, type="consumer", **JUNE)["total"]["counts"]["referrals"] == 1
    assert stats(op, level="community", **JUNE)["total"]["counts"]["mediated"] == 4
    assert stats(op, committee=m.committee_of(world.district).pk, **JUNE)["total"]["counts"]["mediated"] == 2
    mine = stats(op, mediator=m.mediators["mediator_1"].pk, **JUNE)["total"]
    assert (mine["counts"]["mediated"], mine["counts"]["successful"]) == (3, 2)


def test_scoping_counts_only_what_the_user_sees(world, ledger):
    community = stats(world.users[Role.COMMUNITY_OPERATOR], **JUNE)["total"]["counts"]
    assert (community["registered"], community["mediated"]) == (3, 3)  # 1 2 3 / 1 2 9
    street = stats(world.users[Role.STREET_OPERATOR], **JUNE)["total"]["counts"]
    assert (street["mediated"], street["referrals"]) == (6, 2)
    outsider = stats(world.outsiders[Role.COMMUNITY_OPERATOR], **JUNE)["total"]["counts"]
    assert (outsider["registered"], outsider["mediated"]) == (3, 2)  # 7 8 10 / 7 10
    # the court's handler sees the disputes it referred, and nothing else
    court = stats(ledger[0].court_handler, **JUNE)["total"]["counts"]
    assert (court["registered"], court["referrals"]) == (2, 2)
    with pytest.raises(Http404):
        parse_query(world.users[Role.COMMUNITY_OPERATOR], {"region": world.communities[2].code})


def test_a_mediator_counts_each_of_their_disputes_once(world, ledger):
    # mediator_1 chairs community 0's committee and is on disputes 1, 2 and 9: the membership join must not
    # count a dispute twice.
    total = stats(world.users[Role.MEDIATOR], **JUNE)["total"]["counts"]
    assert (total["registered"], total["mediated"], total["successful"], total["parties"]) == (3, 3, 2, 6)


def test_bad_parameters_name_each_field():
    with pytest.raises(ParamError) as caught:
        parse_query(None, {"group_by": "colour", "period": "week", "from": "2025-13-01", "to": "x", "level": "moon",
                           "type": "pets", "committee": "abc", "mediator": "999999", "region_level": "planet",
                           "year": "1800"})
    assert set(caught.value.errors) == {"group_by", "period", "from", "to", "level", "type", "committee",
                                        "mediator", "region_level", "year"}
    with pytest.raises(ParamError) as caught:
        parse_query(None, {"from": "2025-06-30", "to": "2025-06-01"})
    assert set(caught.value.errors) == {"to"}
    with pytest.raises(ParamError) as caught:
        parse_query(None, {"year": "2025", "from": "2025-06-01"})
    assert set(caught.value.errors) == {"year"}


def test_region_level_above_the_region_is_refused(world):
    with pytest.raises(ParamError) as caught:
        parse_query(world.users[Role.DISTRICT_OPERATOR], {"region": world.streets[0].code, "region_level": "district"})
    assert set(caught.value.errors) == {"region_level"}


def test_default_window_is_the_current_month_and_a_year_is_one_parameter():
    # One convention for every measure set (core.measures.DEFAULT_PERIOD): the current month.
    query = parse_query(None, {}, today=date(2025, 6, 15))
    assert (query.date_from, query.date_to, query.period) == (date(2025, 6, 1), date(2025, 6, 30), "month")
    year = parse_query(None, {"year": "2025"}, today=date(2025, 6, 15))
    assert (year.date_from, year.date_to) == (date(2025, 1, 1), date(2025, 12, 31))
    trend = parse_query(None, {"group_by": "period", "period": "month"}, today=date(2025, 6, 15))
    assert (trend.date_from, trend.date_to) == (date(2024, 7, 1), date(2025, 6, 30))


# --- mediators' record and the ranking --------------------------------------------------------------------

def test_ranking_by_agreed_then_success_rate_then_rating(world, ledger):
    m, _ = ledger
    op = world.users[Role.DISTRICT_OPERATOR]
    data = mediator_ranking(op, parse_ranking(op, {"year": "2025", "min_cases": "1"}))
    ranked = [(r["rank"], r["name"], r["cases"], r["agreed"], r["success_rate"]["display"], r["mean_rating"])
              for r in data["ranking"]]
    assert ranked == [
        (1, m.mediators["mediator_1"].name, 3, 2, "66.67%", 4.5),
        (2, m.mediators["pool"].name, 1, 1, "100.00%", 3.0),  # ties mediator_2 on agreed and rate: better rated
        (3, m.mediators["mediator_2"].name, 1, 1, "100.00%", 2.0),
    ]
    assert all(r["top"] for r in data["ranking"]) and data["below_threshold"] == []


def test_the_threshold_keeps_small_records_out_of_the_ranking(world, ledger):
    m, _ = ledger
    op = world.users[Role.DISTRICT_OPERATOR]
    data = mediator_ranking(op, parse_ranking(op, {"year": "2025", "min_cases": "2"}))
    assert [r["name"] for r in data["ranking"]] == [m.mediators["mediator_1"].name]
    assert [(r["name"], r["rank"]) for r in data["below_threshold"]] == [
        (m.mediators["pool"].name, None), (m.mediators["mediator_2"].name, None)]
    default = mediator_ranking(op, parse_ranking(op, {"year": "2025"}))
    assert default["min_cases"] == 10 and default["ranking"] == [] and len(default["below_threshold"]) == 3
    assert mediator_ranking(op, parse_ranking(op, {"year": "2024", "min_cases": "1"}))["ranking"] == []


def test_ranking_is_scoped(world, ledger):
    m, _ = ledger
    outsider = world.outsiders[Role.COMMUNITY_OPERATOR]
    data = mediator_ranking(outsider, parse_ranking(outsider, {"year": "2025", "min_cases": "1"}))
    assert [r["name"] for r in data["ranking"]] == [m.mediators["mediator_2"].name]


def test_ranking_parameters_are_checked(world):
    op = world.users[Role.DISTRICT_OPERATOR]
    with pytest.raises(ParamError) as caught:
        parse_ranking(op, {"year": "twenty", "min_cases": "0"})
    assert set(caught.value.errors) == {"year", "min_cases"}
