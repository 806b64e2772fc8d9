"""Two people acting on one dispute at once: one wins, the other gets a ConflictError (409 over the API), and
nothing is applied twice. PostgreSQL only: SQLite's test database is one connection."""
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from wangge.core.roles import Role
from wangge.core.workflow import ConflictError
from wangge.mediation import services
from wangge.mediation.models import Agreement, Dispute, DisputeEvent, Session, State
from wangge.mediation.testing import PARAMS, build_mediation, dispute_in, soon

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="needs PostgreSQL for real concurrent connections")]


def at_once(*calls):
    """Run the calls in threads released together; each returns its outcome (closing its own connection)."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except ConflictError:
            results[index] = "conflict"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_agree_and_fail_at_once_one_wins(world):
    m = build_mediation(world)
    dispute = dispute_in(world, m, "mediating")
    events = DisputeEvent.objects.filter(dispute=dispute).count()
    med, op = world.users[Role.MEDIATOR], world.users[Role.COMMUNITY_OPERATOR]
    results = at_once(
        lambda: services.do_act(med, dispute, "agree", expected_version=dispute.version, **PARAMS["agree"]) and "ok",
        lambda: services.do_act(op, dispute, "fail", expected_version=dispute.version, **PARAMS["fail"]) and "ok")
    assert sorted(results) == ["conflict", "ok"]
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert fresh.version == dispute.version + 1
    winner = "agree" if results[0] == "ok" else "fail"
    assert fresh.state == {"agree": State.AGREED, "fail": State.FAILED}[winner]
    assert Agreement.objects.filter(dispute=dispute).count() == (1 if winner == "agree" else 0)
    assert DisputeEvent.objects.filter(dispute=dispute).count() == events + 1
    assert DisputeEvent.objects.filter(dispute=dispute).order_by("-id").first().action == winner


def test_the_same_session_scheduled_twice_at_once_is_scheduled_once(world):
    m = build_mediation(world)
    dispute = dispute_in(world, m, "accepted")
    med, op = world.users[Role.MEDIATOR], world.users[Role.COMMUNITY_OPERATOR]
    params = {"starts_at": soon(), "place": "社区调解室"}
    results = at_once(
        *[lambda user=user: services.do_act(user, dispute, "schedule_session", expected_version=dispute.version,
                                            **params) and "ok" for user in (med, op)])
    assert sorted(results) == ["conflict", "ok"]
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert (fresh.state, fresh.version) == (State.MEDIATING, dispute.version + 1)
    assert Session.objects.filter(dispute=dispute).count() == 1
    assert DisputeEvent.objects.filter(dispute=dispute, action="schedule_session").count() == 1


def test_two_api_clients_at_once_one_gets_409(world):
    m = build_mediation(world)
    dispute = dispute_in(world, m, "mediating")
    clients = []
    for user in (world.users[Role.MEDIATOR], world.users[Role.STREET_OPERATOR]):
        client = Client()
        client.force_login(user)
        clients.append(client)
    url = f"/api/v1/disputes/{dispute.pk}/actions/agree"
    payload = json.dumps({"version": dispute.version, **PARAMS["agree"]})
    results = at_once(*[lambda c=c: c.post(url, payload, content_type="application/json") for c in clients])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409]
    lost = next(r for r in results if r.status_code == 409)
    assert lost.json()["code"] == "version"
    assert Agreement.objects.filter(dispute=dispute).count() == 1
    assert Dispute.objects.get(pk=dispute.pk).version == dispute.version + 1
    assert DisputeEvent.objects.filter(dispute=dispute, action="agree").count() == 1
