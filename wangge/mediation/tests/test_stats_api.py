"""GET /api/v1/stats/disputes and /api/v1/stats/mediators over the small June 2025 ledger of test_measures."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.mediation.models import Dispute
from wangge.mediation.tests.test_measures import ledger  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

URL, RANKING = "/api/v1/stats/disputes", "/api/v1/stats/mediators"
JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


def get(client, user, url=URL, **params):
    client.force_login(user)
    return client.get(url, params)


def test_rows_and_total_with_every_measure(client, world, ledger):  # noqa: F811
    response = get(client, world.users[Role.DISTRICT_OPERATOR], **JUNE)
    assert response.status_code == 200
    data = response.json()
    assert (data["group_by"], data["region_level"], data["period"]) == ("region", "street", "month")
    assert (data["date_from"], data["date_to"]) == ("2025-06-01", "2025-06-30")
    assert data["region"] == {"code": world.district.code, "name": world.district.name, "level": "district"}
    assert [r["code"] for r in data["rows"]] == [s.code for s in world.streets]
    total = data["total"]
    assert total["counts"]["mediated"] == 8 and total["counts"]["successful"] == 5
    assert total["measures"]["mediation_success_rate"] == {"numerator": 5, "denominator": 8, "rate": 0.625,
                                                           "display": "62.50%"}
    assert total["amount"] == {"yuan": "20246.17", "wan": "2.02", "wan_display": "2.02"}
    assert set(total["measures"]) == {"found_success_rate", "mediation_success_rate", "community_share",
                                      "acceptance_rate", "referral_settlement_rate", "referral_days"}


@pytest.mark.parametrize("group_by, keys", [
    ("level", {"community", "street", "district"}),
    ("type", {"neighbour", "property_management", "labour", "consumer", "marriage_family"}),
])
def test_group_by_level_and_type(client, world, ledger, group_by, keys):  # noqa: F811
    data = get(client, world.users[Role.DISTRICT_OPERATOR], group_by=group_by, **JUNE).json()
    assert {r["key"] for r in data["rows"]} == keys
    assert sum(r["counts"]["registered"] for r in data["rows"]) == data["total"]["counts"]["registered"] == 9


def test_group_by_committee_mediator_region_and_month(client, world, ledger):  # noqa: F811
    m, _ = ledger
    op = world.users[Role.DISTRICT_OPERATOR]
    committees = get(client, op, group_by="committee", **JUNE).json()
    assert sum(r["counts"]["mediated"] for r in committees["rows"]) == 8
    assert m.committee_of(world.district).pk in {r["key"] for r in committees["rows"]}
    mediators = get(client, op, group_by="mediator", **JUNE).json()
    assert {r["label"]: r["counts"]["successful"] for r in mediators["rows"]}[m.mediators["mediator_1"].name] == 2
    grids = get(client, op, region=world.communities[0].code, region_level="grid", **JUNE).json()
    assert [(r["code"], r["counts"]["registered"]) for r in grids["rows"]] == [
        (world.grids[0].code, 2), (world.grids[1].code, 1)]
    months = get(client, op, group_by="period", period="month", **{"from": "2025-05-01", "to": "2025-06-30"}).json()
    assert [(r["label"], r["counts"]["registered"]) for r in months["rows"]] == [("2025-05", 1), ("2025-06", 9)]
    year = get(client, op, year="2025").json()
    assert (year["date_from"], year["date_to"], year["total"]["counts"]["registered"]) == ("2025-01-01",
                                                                                          "2025-12-31", 10)


def test_filters(client, world, ledger):  # noqa: F811
    m, _ = ledger
    op = world.users[Role.DISTRICT_OPERATOR]
    data = get(client, op, type="labour", level="street", mediator=m.mediators["pool"].pk, **JUNE).json()
    assert data["filters"] == {"level": "street", "type": "labour", "committee": None,
                               "mediator": m.mediators["pool"].pk}
    assert data["total"]["counts"]["mediated"] == 1 and data["total"]["amount"]["yuan"] == "12345.67"


def test_an_outsider_sees_none_of_street_zero(client, world, ledger):  # noqa: F811
    response = get(client, world.outsiders[Role.STREET_OPERATOR], group_by="committee", **JUNE)
    data = response.json()
    assert data["total"]["counts"]["mediated"] == 2  # 7 and 10, street 1's own
    body = response.content.decode("unicode_escape")
    assert world.streets[0].name not in body and world.communities[0].name not in body
    assert get(client, world.outsiders[Role.STREET_OPERATOR], region=world.streets[0].code).status_code == 404
    assert get(client, world.users[Role.STREET_OPERATOR], region="999999").status_code == 404


def test_the_mediators_ranking(client, world, ledger):  # noqa: F811
    m, _ = ledger
    data = get(client, world.users[Role.DISTRICT_OPERATOR], RANKING, year="2025", min_cases="1").json()
    assert (data["year"], data["min_cases"], data["top"]) == (2025, 1, 10)
    assert [(r["rank"], r["name"], r["agreed"], r["mean_rating"]) for r in data["ranking"]] == [
        (1, m.mediators["mediator_1"].name, 2, 4.5), (2, m.mediators["pool"].name, 1, 3.0),
        (3, m.mediators["mediator_2"].name, 1, 2.0)]
    first = data["ranking"][0]
    assert first["success_rate"]["display"] == "66.67%" and first["amount_wan"] == "0.51" and first["top"]
    street = get(client, world.users[Role.STREET_OPERATOR], RANKING, year="2025", min_cases="1").json()
    assert m.mediators["mediator_2"].name not in {r["name"] for r in street["ranking"]}


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER, Role.SYSTEM])
def test_without_mediation_stats_is_403(client, world, role):
    assert get(client, world.users[role]).status_code == 403
    assert get(client, world.users[role], RANKING).status_code == 403


def test_anonymous_is_401(client, world):
    assert client.get(URL).status_code == 401
    assert client.get(RANKING).status_code == 401


def test_bad_parameters_are_422_naming_each_field_and_change_nothing(client, world, ledger):  # noqa: F811
    def snapshot():
        return AuditEntry.objects.count(), list(Dispute.objects.order_by("pk").values_list("state", "version"))

    before = snapshot()
    op = world.users[Role.DISTRICT_OPERATOR]
    response = get(client, op, group_by="colour", period="week", type="pets", committee="x", **{"from": "2025-02-30"})
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert fields == {("query", "group_by"), ("query", "period"), ("query", "type"), ("query", "committee"),
                      ("query", "from")}
    assert all(e["msg"] for e in response.json()["detail"])
    reversed_dates = get(client, op, **{"from": "2025-06-30", "to": "2025-06-01"})
    assert reversed_dates.status_code == 422 and reversed_dates.json()["detail"][0]["loc"] == ["query", "to"]
    above = get(client, world.users[Role.COMMUNITY_OPERATOR], region_level="street")
    assert above.status_code == 422 and above.json()["detail"][0]["loc"] == ["query", "region_level"]
    ranking = get(client, op, RANKING, year="3000", min_cases="-2")
    assert ranking.status_code == 422
    assert {tuple(e["loc"]) for e in ranking.json()["detail"]} == {("query", "year"), ("query", "min_cases")}
    assert snapshot() == before


def test_a_year_by_month_is_a_fixed_number_of_queries(client, world, ledger,  # noqa: F811
                                                      django_assert_max_num_queries):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    with django_assert_max_num_queries(20):
        response = client.get(URL, {"group_by": "period", "period": "month", "year": "2025"})
    assert len(response.json()["rows"]) == 12
