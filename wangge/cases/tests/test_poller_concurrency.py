"""Two pollers at once on PostgreSQL never flag or notify twice (SQLite's test database is one connection,
so there the sequential test in test_poller.py stands in)."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from wangge.cases import poller, services
from wangge.cases.models import Case, CaseEvent, Category, MajorCategory
from wangge.core.models import AuditEntry, Notification, SmsMessage
from wangge.core.roles import Role

# Transactional tests run after a flush: this test makes the category it needs.
pytestmark = pytest.mark.django_db(transaction=True)
CASES = 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for real concurrent connections")
def test_two_pollers_at_once_flag_and_notify_each_case_once(world):
    major, _ = MajorCategory.objects.get_or_create(code="01", defaults={"name": "市容环境"})
    category, _ = Category.objects.get_or_create(major=major, code="001", defaults={"name": "暴露垃圾",
                                                                                   "department_codes": ["CG"]})
    op, dept = world.users[Role.DISTRICT_OPERATOR], world.users[Role.DEPARTMENT_HANDLER]
    dept.phone = "13800001111"
    dept.save()
    ids = []
    for i in range(CASES):
        case = services.do_report_case(world.users[Role.GRID_WORKER], category=category, title=f"暴露垃圾{i}",
                                       grid=world.grids[0])
        case = services.do_act(op, case, "register", expected_version=case.version)
        case = services.do_act(op, case, "dispatch", expected_version=case.version)
        ids.append(case.pk)
    now = max(Case.objects.values_list("handle_by", flat=True)) + timedelta(minutes=1)
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(poller.poll(now))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r["unsigned"] for r in results) == CASES and sum(r["overdue"] for r in results) == CASES
    for action in ("flag_unsigned", "flag_overdue"):
        assert CaseEvent.objects.filter(action=action).count() == CASES
        assert sorted(CaseEvent.objects.filter(action=action).values_list("case_id", flat=True)) == sorted(ids)
        assert AuditEntry.objects.filter(operation=f"cases.{action}").count() == CASES
        # the department's handler once per case, by inbox and by text
        assert Notification.objects.filter(kind=f"case.{action}", recipient=dept).count() == CASES
        assert SmsMessage.objects.filter(kind=f"case.{action}", recipient=dept).count() == CASES
