"""Two people acting on one case at once: one wins, the other gets a ConflictError (PostgreSQL only:
SQLite's test database is one connection)."""
import threading

import pytest
from django.db import connection, connections

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Category, MajorCategory, State
from wangge.core.roles import Role
from wangge.core.workflow import ConflictError

# Transactional tests run last and each one empties the tables after itself, so this test
# makes the category it needs rather than relying on the default catalogue's data migration.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent connections")
def test_two_operators_at_once_one_wins(world):
    major, _ = MajorCategory.objects.get_or_create(code="01", defaults={"name": "市容环境"})
    category, _ = Category.objects.get_or_create(major=major, code="001", defaults={"name": "暴露垃圾",
                                                                                   "department_codes": ["CG"]})
    case = services.do_report_case(world.users[Role.GRID_WORKER], category=category, title="暴露垃圾",
                                   grid=world.grids[0])
    barrier, results = threading.Barrier(2), {}

    def run(user, action, params):
        try:
            barrier.wait()
            services.do_act(user, case, action, expected_version=case.version, **params)
            results[action] = "ok"
        except ConflictError:
            results[action] = "conflict"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(world.users[Role.DISTRICT_OPERATOR], "register", {})),
               threading.Thread(target=run, args=(world.users[Role.STREET_OPERATOR], "reject", {"reason": "重复"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["conflict", "ok"]
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == case.version + 1
    assert fresh.state in (State.REGISTERED, State.REJECTED)
    assert CaseEvent.objects.filter(case=case).count() == 2  # report + the winner


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent connections")
def test_the_same_portal_form_sent_twice_at_once_makes_one_case(world):
    """A phone's queue and a retry (or two taps) sending one portal report at the same moment: the second
    insert meets the unique key and answers the first one's case."""
    major, _ = MajorCategory.objects.get_or_create(code="01", defaults={"name": "市容环境"})
    category, _ = Category.objects.get_or_create(major=major, code="001", defaults={"name": "暴露垃圾",
                                                                                   "department_codes": ["CG"]})
    lng, lat = world.grid_center(world.grids[0])
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            results.append(services.do_report_public(category=category, title="路灯坏了", lng=lng, lat=lat,
                                                     submission_key="f" * 32).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    case = Case.objects.get()
    assert results == [case.pk, case.pk]
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
