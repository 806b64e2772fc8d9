"""Row ids from text, and the filters that read them: an over-long number matches nothing, never a 500."""
import pytest
from django.test import Client

from wangge.core.ids import MAX_ID, as_row_id
from wangge.core.roles import Role


@pytest.mark.parametrize("text,expected", [("12", 12), (" 7 ", 7), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None),
                                           ("99999999999999999999", None), ("0", None), ("-1", None), ("1.5", None),
                                           ("abc", None), ("", None), (None, None)])
def test_as_row_id(text, expected):
    assert as_row_id(text) == expected


@pytest.mark.parametrize("url", ["/api/v1/cases?department=99999999999999999999",
                                 "/cases/?category=99999999999999999999"])
def test_an_over_long_id_filter_lists_nothing(world, url):
    from wangge.cases.testing import report

    number = report(world).number
    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    unfiltered = client.get(url.split("?")[0])
    assert number in unfiltered.content.decode()  # the case is listed without the filter
    response = client.get(url)
    assert response.status_code == 200
    assert number not in response.content.decode()


def test_a_nul_byte_in_a_query_string_is_a_400_on_every_database(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    for url in ("/mediation/stats/?region=%00", "/cases/?q=a%00b", "/api/v1/cases?region=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
    assert client.get("/cases/?q=ab").status_code == 200


def test_a_nul_in_a_dispute_grid_is_a_422_at_the_field_and_writes_nothing(world):
    """The fuzz stage's find on PostgreSQL: {"grid": "\u0000"} reached a query (PostgreSQL refuses NUL: 500)."""
    from wangge.mediation.models import Dispute

    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    before = Dispute.objects.count()
    body = '{"title": "t", "type": "neighbour", "source": "grid", "grid": "\\u0000"}'
    response = client.post("/api/v1/disputes", body, content_type="application/json")
    assert response.status_code == 422
    assert "grid" in response.content.decode()
    assert Dispute.objects.count() == before
