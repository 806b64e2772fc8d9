"""Malformed ids, dates, numbers and versions in the mediation pages, filters and actions: never a 5xx."""
import pytest

from wangge.core.roles import Role
from wangge.mediation.testing import build_mediation, dispute_in
from wangge.testing import build_world

pytestmark = pytest.mark.django_db

BAD = ["abc", "-1", "99999999999999999999", "1.5", "%00", "2026-13-45"]


def test_malformed_input_never_answers_a_server_error():
    from django.test import Client
    client = Client(raise_request_exception=False)
    world = build_world()
    m = build_mediation(world)
    d = dispute_in(world, m, "mediating")
    out = []
    for role in (Role.DISTRICT_OPERATOR, Role.MEDIATOR):
        client.force_login(world.users[role])
        for bad in BAD:
            for url in [f"/mediation/?committee={bad}", f"/mediation/?from={bad}", f"/mediation/?page={bad}",
                        f"/mediation/?sort={bad}", f"/mediation/stats/?year={bad}", f"/mediation/stats/?region={bad}",
                        f"/mediation/warnings/?region={bad}", f"/api/v1/disputes?committee={bad}",
                        f"/api/v1/disputes?reported_from={bad}", f"/api/v1/mediators?dispute={bad}",
                        f"/api/v1/stats/disputes?year={bad}", f"/mediation/stats.xlsx?year={bad}",
                        f"/mediation/stats/mediators/?year={bad}", f"/api/v1/stats/mediators?year={bad}"]:
                r = client.get(url)
                if r.status_code >= 500:
                    out.append((url, r.status_code))
            for action, data in [("schedule_session", {"starts_at": bad, "place": "x"}),
                                 ("agree", {"terms": "x", "amount": bad, "perform_by": bad}),
                                 ("assign_mediator", {"mediator": bad}),
                                 ("record_session", {"session": bad, "record": "x"}),
                                 ("rate", {"party": bad, "rating": bad})]:
                d.refresh_from_db()
                r = client.post(f"/mediation/{d.pk}/act/{action}/", {"version": d.version, **data})
                if r.status_code >= 500:
                    out.append((action, bad, r.status_code))
                r = client.post(f"/mediation/{d.pk}/act/{action}/", {"version": bad, **data})
                if r.status_code >= 500:
                    out.append((action, "version", bad, r.status_code))
                r = client.post(f"/api/v1/disputes/{d.pk}/actions/{action}", {"version": d.version, **data},
                                content_type="application/json")
                if r.status_code >= 500:
                    out.append(("api", action, bad, r.status_code))
    assert out == []


def test_an_id_beyond_64_bits_is_a_field_error_in_the_api(client):
    world = build_world()
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    response = client.get("/api/v1/disputes?committee=99999999999999999999")
    assert response.status_code == 422 and "committee" in response.content.decode()
