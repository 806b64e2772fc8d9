"""The fuzz stage (`make fuzz`): schemathesis sends generated input to every operation of /api/v1/openapi.json,
as a district operator, a grid worker and a department handler, and no answer may be a server error.

The requests go straight to the WSGI application inside the test's database transaction, so nothing it
writes outlives the test. Bounded: FUZZ_EXAMPLES examples per operation (default 12: 68 operations x 3 roles,
a few minutes on two cores); `WANGGE_FUZZ_EXAMPLES=200 make fuzz` searches harder. The examples are
derandomised, so CI sees the same inputs every run; set WANGGE_FUZZ_RANDOM=1 to explore new ones.
"""
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from wangge.core.roles import Role

FUZZ_EXAMPLES = int(os.environ.get("WANGGE_FUZZ_EXAMPLES", "12"))
RANDOM = os.environ.get("WANGGE_FUZZ_RANDOM") == "1"

pytestmark = pytest.mark.fuzz


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests reach the WSGI handler, whose request_started/finished signals close a database connection that
    is inside a transaction (the test's own, on PostgreSQL): keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def bearer_for(world, role) -> dict:
    """An API token for `role`, over a world with a few registry rows, so ids in paths sometimes exist."""
    from wangge.core.services import do_create_token
    from wangge.testing import build_registry

    build_registry(world)
    _, raw = do_create_token(None, world.users[role])
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def as_district_operator(world):
    return bearer_for(world, Role.DISTRICT_OPERATOR)


@pytest.fixture
def as_grid_worker(world):
    return bearer_for(world, Role.GRID_WORKER)


@pytest.fixture
def as_department_handler(world):
    return bearer_for(world, Role.DEPARTMENT_HANDLER)


# Read at collection from the application itself (an anonymous GET, no database needed).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
bounded = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
                   suppress_health_check=list(HealthCheck))


def assert_no_server_error(case, headers):
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} answered {response.status_code}\n"
        f"{case.as_curl_command(headers=headers)}\n{response.text[:2000]}")


@schema.parametrize()
@bounded
@pytest.mark.django_db
def test_district_operator(case, as_district_operator):
    assert_no_server_error(case, as_district_operator)


@schema.parametrize()
@bounded
@pytest.mark.django_db
def test_grid_worker(case, as_grid_worker):
    assert_no_server_error(case, as_grid_worker)


@schema.parametrize()
@bounded
@pytest.mark.django_db
def test_department_handler(case, as_department_handler):
    assert_no_server_error(case, as_department_handler)
