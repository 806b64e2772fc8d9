"""GET /api/v1/stats/cases over the known ledger of test_measures (June 2025)."""
import pytest

from wangge.cases.tests.test_measures import ledger  # noqa: F401  (the fixture)
from wangge.core.models import AuditEntry
from wangge.core.roles import Role

URL = "/api/v1/stats/cases"
JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def test_rows_and_total_with_every_measure(client, world, ledger):  # noqa: F811
    response = get(client, world.users[Role.DISTRICT_OPERATOR], **JUNE)
    assert response.status_code == 200
    data = response.json()
    assert (data["group"], data["level"], data["period"]) == ("region", "street", "month")
    assert (data["date_from"], data["date_to"]) == ("2025-06-01", "2025-06-30")
    assert data["region"] == {"code": world.district.code, "name": world.district.name, "level": "district"}
    assert [r["code"] for r in data["rows"]] == [s.code for s in world.streets]
    total = data["total"]
    assert total["counts"]["received"] == 10 and total["counts"]["closed"] == 5
    assert total["measures"]["register_rate"] == {"numerator": 6, "denominator": 8, "rate": 0.75}
    assert total["measures"]["close_rate"] == {"numerator": 5, "denominator": 7, "rate": 0.7143}
    assert set(total["measures"]) == {"register_rate", "dispatch_rate", "close_rate", "on_time_rate", "on_time_share",
                                      "rework_rate",
                                      "extension_rate", "satisfaction_rate", "strict_satisfaction_rate",
                                      "self_resolve_rate", "accept_hours", "close_hours"}


def test_a_window_without_cases_has_null_rates(client, world, ledger):  # noqa: F811
    data = get(client, world.users[Role.DISTRICT_OPERATOR], **{"from": "2023-01-01", "to": "2023-01-31"}).json()
    assert all(m["rate"] is None and m["denominator"] == 0 for m in data["total"]["measures"].values())


def test_groups(client, world, ledger):  # noqa: F811
    op = world.users[Role.DISTRICT_OPERATOR]
    by_grid = get(client, op, group="region", level="grid", region=world.communities[0].code, **JUNE).json()
    assert [r["code"] for r in by_grid["rows"]] == [world.grids[0].code, world.grids[1].code]
    assert by_grid["total"]["counts"]["received"] == 5
    months = get(client, op, group="period", period="month", **{"from": "2025-05-01", "to": "2025-06-30"}).json()
    assert [(r["label"], r["counts"]["received"]) for r in months["rows"]] == [("2025-05", 1), ("2025-06", 10)]
    majors = get(client, op, group="major", **JUNE).json()
    assert sum(r["counts"]["received"] for r in majors["rows"]) == 10


def test_a_street_operator_and_a_department_handler_see_their_own(client, world, ledger):  # noqa: F811
    other = get(client, world.outsiders[Role.STREET_OPERATOR], **JUNE)
    assert other.json()["total"]["counts"]["received"] == 1
    assert world.streets[0].name not in other.content.decode("unicode_escape")
    handler = get(client, world.users[Role.DEPARTMENT_HANDLER], group="department", **JUNE).json()
    assert [r["code"] for r in handler["rows"]] == ["CG"]
    assert handler["total"]["counts"]["received"] == 4


def test_outside_region_is_404(client, world):
    response = get(client, world.users[Role.STREET_OPERATOR], region=world.streets[1].code)
    assert response.status_code == 404
    assert get(client, world.users[Role.STREET_OPERATOR], region="999999").status_code == 404


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.MEDIATOR, Role.SYSTEM])
def test_without_cases_stats_is_403(client, world, role):
    assert get(client, world.users[role]).status_code == 403


def test_anonymous_is_401(client, world):
    assert client.get(URL).status_code == 401


def test_bad_parameters_are_422_naming_each_field(client, world):
    before = AuditEntry.objects.count()
    response = get(client, world.users[Role.DISTRICT_OPERATOR], group="nope", period="decade", level="house",
                   **{"from": "2025-02-30", "to": "yesterday"})
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert fields == {("query", "group"), ("query", "period"), ("query", "level"), ("query", "from"), ("query", "to")}
    reversed_dates = get(client, world.users[Role.DISTRICT_OPERATOR], **{"from": "2025-06-30", "to": "2025-06-01"})
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["detail"][0]["loc"] == ["query", "to"]
    above = get(client, world.users[Role.COMMUNITY_OPERATOR], level="street")
    assert above.status_code == 422 and above.json()["detail"][0]["loc"] == ["query", "level"]
    assert AuditEntry.objects.count() == before


def test_a_year_of_cases_is_a_fixed_number_of_queries(client, world, ledger, django_assert_max_num_queries):  # noqa: F811
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    with django_assert_max_num_queries(20):
        response = client.get(URL, {"group": "period", "period": "month", "from": "2025-01-01", "to": "2025-12-31"})
    assert len(response.json()["rows"]) == 12
