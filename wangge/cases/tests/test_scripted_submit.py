"""The report form on a weak network, server side: a scripted submit (submit.js, offline.js) gets the redirect
as 204 + X-Wangge-Redirect, the log-in redirect marked, the form with its errors as it is; a report sent again
with its key (from the phone's queue, after a lost answer) answers the first case and makes nothing; the
service worker's script and the check a phone asks before sending."""
import re

import pytest
from django.test import Client

from wangge.cases.models import Case, CaseEvent, CasePhoto
from wangge.cases.tests.test_pages_report import _counts, _png, _post
from wangge.core.roles import Role

pytestmark = pytest.mark.django_db
SCRIPTED = {"HTTP_X_WANGGE_SUBMIT": "1"}


def _scripted(client, world, **fields):
    from wangge.cases.tests.test_pages_report import category

    lng, lat = world.grid_center(world.grids[0])
    data = {"category": category().pk, "title": "路边暴露垃圾", "description": "垃圾桶满溢", "lng": lng, "lat": lat,
            "address": "幸福路1号", **fields}
    return client.post("/cases/report/", {k: v for k, v in data.items() if v is not None}, **SCRIPTED)


def test_a_scripted_submit_gets_the_redirect_as_a_header_and_the_message_stays_for_the_next_page(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    response = _scripted(client, world, submission_key="k" * 32)
    case = Case.objects.get()
    assert response.status_code == 204 and response.content == b""
    assert response["X-Wangge-Redirect"] == f"/cases/{case.pk}/" and "X-Wangge-Login" not in response
    assert response["Cache-Control"] == "no-store"
    # The one-time message ("Reported: WG…") is read by the page the script goes to, not by the XHR.
    assert case.number in client.get(response["X-Wangge-Redirect"]).content.decode()


def test_a_scripted_submit_with_errors_gets_the_form_as_a_normal_submit_would(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    response = _scripted(client, world, title="", submission_key="k" * 32, photos=[_png()])
    assert response.status_code == 400 and "X-Wangge-Redirect" not in response
    html = response.content.decode()
    assert 'id="report-errors"' in html and 'name="kept_photos"' in html and 'value="' + "k" * 32 in html
    assert _counts() == (0, 0, 0)


def test_a_normal_submit_is_answered_as_before(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    response = _post(client, world)
    assert response.status_code == 302 and "X-Wangge-Redirect" not in response


def test_an_ended_session_is_marked_so_the_phone_keeps_the_report(world):
    response = _scripted(Client(), world, submission_key="k" * 32)
    assert response.status_code == 204 and response["X-Wangge-Login"] == "1"
    assert response["X-Wangge-Redirect"].startswith("/login/?next=/cases/report/")
    assert Case.objects.count() == 0


def test_a_report_sent_again_from_the_phone_answers_the_first_case(world, client, settings, tmp_path):
    """The answer to the first send was lost (the network dropped after the server made the case): the phone
    sends the same report with the same key; the server answers the same case and makes nothing new."""
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users[Role.GRID_WORKER])
    first = _scripted(client, world, submission_key="a1" * 16, photos=[_png()])
    counts = _counts()
    again = _scripted(client, world, submission_key="a1" * 16, photos=[_png()], title="另一个标题")
    assert first["X-Wangge-Redirect"] == again["X-Wangge-Redirect"]
    assert _counts() == counts and (counts[0], counts[2]) == (1, 1)
    assert Case.objects.get().title == "路边暴露垃圾"


def test_the_service_worker_is_served_from_the_root_uncached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache" and response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    # It names the queue script by its static URL (hashed in production), and no other static file.
    assert re.findall(r'importScripts\("([^"]+)"\)', script) == ["/static/wangge/offline_queue.js"]
    assert re.findall(r"/static/[\w/.-]+\.\w+", script) == ["/static/wangge/offline_queue.js"]
    assert client.post("/sw.js").status_code == 405


def test_the_check_gives_a_token_and_who_is_logged_in_and_changes_nothing(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    anonymous = client.get("/offline/check/")
    assert anonymous.status_code == 200 and anonymous["Cache-Control"] == "no-store"
    assert anonymous.json()["owner"] == "" and len(anonymous.json()["csrf_token"]) == 64
    user = world.users[Role.GRID_WORKER]
    client.force_login(user)
    _post(client, world, title="", photos=[_png()])  # a refused form holds its photo for the session
    held = client.session["wangge_pending_uploads"]
    answer = client.get("/offline/check/").json()
    assert answer["owner"] == f"user:{user.pk}"
    assert client.session["wangge_pending_uploads"] == held and len(held) == 1  # still held
    assert client.post("/offline/check/").status_code in (403, 405)


def test_a_stale_token_is_refused_and_a_fresh_one_from_the_check_goes_through(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.GRID_WORKER])
    token = client.get("/offline/check/").json()["csrf_token"]
    lng, lat = world.grid_center(world.grids[0])
    from wangge.cases.tests.test_pages_report import category

    data = {"category": category().pk, "title": "路边暴露垃圾", "lng": lng, "lat": lat, "submission_key": "s" * 32}
    assert client.post("/cases/report/", {**data, "csrfmiddlewaretoken": "x" * 64}, **SCRIPTED).status_code == 403
    assert Case.objects.count() == 0
    assert client.post("/cases/report/", {**data, "csrfmiddlewaretoken": token}, **SCRIPTED).status_code == 204
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1 and CasePhoto.objects.count() == 0


def test_the_report_pages_carry_the_offline_hooks(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    html = client.get("/cases/report/").content.decode()
    for hook in ("data-submit-progress", 'data-for-form="report-form"', "data-offline-report", 'data-sw-url="/sw.js"',
                 'data-sw-scope="/cases/report/"', "wangge/submit.js", "wangge/offline.js", "<progress"):
        assert hook in html, hook
    portal = Client().get("/portal/report/").content.decode()
    assert 'data-owner="portal"' in portal and 'data-sw-scope="/portal/report/"' in portal
    assert re.search(r'name="submission_key" value="[0-9a-f]{32}"', portal)
