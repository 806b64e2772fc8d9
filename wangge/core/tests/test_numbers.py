"""Numbers from a request are bounded once (wangge.core.numbers); malformed multipart bodies are a 400."""
import pytest

from wangge.core.numbers import MAX_COUNT, MAX_ID
from wangge.core.roles import Role
from wangge.core.services import do_create_token


def numeric_parameters_without_bounds(schema: dict) -> list[tuple[str, str, str]]:
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                variants = [parameter["schema"], *parameter["schema"].get("anyOf", [])]
                numeric = [v for v in variants if v.get("type") in ("integer", "number")]
                if any("maximum" not in v or "minimum" not in v for v in numeric):
                    missing.append((method.upper(), path, parameter["name"]))
    return missing


def test_every_number_in_a_path_or_query_has_bounds():
    from wangge.api import api

    assert numeric_parameters_without_bounds(api.get_openapi_schema()) == []


@pytest.fixture
def bearer(world):
    _, raw = do_create_token(None, world.users[Role.DISTRICT_OPERATOR])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/organisations", "/api/v1/people", "/api/v1/cases", "/api/v1/disputes",
                                 "/api/v1/audit", "/api/v1/staff"])
@pytest.mark.parametrize("query, field", [({"offset": 2 ** 63}, "offset"), ({"offset": MAX_COUNT + 1}, "offset"),
                                          ({"limit": 2 ** 64}, "limit"), ({"limit": 0}, "limit"),
                                          ({"offset": -1}, "offset")])
def test_paging_beyond_any_table_is_a_422_naming_the_field(client, bearer, url, query, field):
    response = client.get(url, query, **bearer)
    assert response.status_code == 422, response.content
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


@pytest.mark.django_db
def test_paging_within_bounds_still_answers(client, bearer):
    response = client.get("/api/v1/organisations", {"offset": MAX_COUNT, "limit": MAX_COUNT}, **bearer)
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/cases/{}", "/api/v1/people/{}", "/api/v1/disputes/{}"])
def test_ids_beyond_the_column_are_a_422_and_the_largest_is_not_found(client, bearer, url):
    assert client.get(url.format(MAX_ID + 1), **bearer).status_code == 422
    assert client.get(url.format(0), **bearer).status_code == 422
    assert client.get(url.format(MAX_ID), **bearer).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"lng": "inf", "lat": "30"}, {"lng": "104", "lat": "nan"},
                                   {"lng": "181", "lat": "30"}])
def test_coordinates_must_be_finite_degrees(client, bearer, query):
    response = client.get("/api/v1/cases/duplicates", {"category": "x", **query}, **bearer)
    assert response.status_code == 422


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=",
                                          "multipart/form-data; boundary=" + "x" * 300])
@pytest.mark.parametrize("url", ["/api/v1/cases/1/photos", "/api/v1/referrals", "/api/v1/people/1/visits",
                                 "/api/v1/cases"])
def test_a_multipart_body_with_a_malformed_boundary_is_a_400(client, bearer, url, content_type):
    response = client.generic("POST", url, b"--x\r\nnot a part", content_type=content_type, **bearer)
    assert response.status_code == 400
    assert "multipart" in response.content.decode()


@pytest.mark.django_db
def test_a_malformed_multipart_page_form_is_a_400_too(client, world):
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.generic("POST", "/cases/report/", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
