"""The error pages a user can meet: styled like the platform, in the reader's language, with a way back."""
import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from wangge.cases.testing import case_in
from wangge.core.roles import Role

pytestmark = pytest.mark.django_db


def test_an_address_that_leads_nowhere(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and 'data-status="404"' in html
    assert "页面不存在" in html and "app.css" in html and 'href="/"' in html
    assert 'id="mainnav"' in html  # the staff menu is still there
    assert "no-such-page" not in html  # nothing of the address is written back (it may hold a code not theirs)


def test_a_record_outside_the_area_reads_like_one_that_does_not_exist(world, client):
    case = case_in(world, "reported")
    client.force_login(world.outsiders[Role.GRID_WORKER])
    outside = client.get(f"/cases/{case.pk}/")
    missing = client.get("/cases/999999/")
    assert outside.status_code == missing.status_code == 404
    assert 'data-status="404"' in outside.content.decode()
    assert case.number not in outside.content.decode() and case.title not in outside.content.decode()


def test_in_english_and_for_someone_not_signed_in(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and 'href="/login/"' in html and 'href="/portal/"' in html


def test_a_role_without_the_page(world, client):
    client.force_login(world.users[Role.MEDIATOR])
    response = client.get("/cases/")
    html = response.content.decode()
    assert response.status_code == 403 and 'data-status="403"' in html and "您无权打开此页面" in html


def test_an_expired_form(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[Role.GRID_WORKER])
    response = client.post("/inbox/read-all/")
    html = response.content.decode()
    assert response.status_code == 403 and "表单已过期" in html and "app.css" in html


def test_the_server_error_page_stands_alone():
    """Django renders 500.html without a request: it must need nothing but the template engine."""
    html = render_to_string("500.html")
    assert "系统出现错误" in html and "app.css" in html and "{%" not in html
    with translation.override("en"):
        assert "Something went wrong on our side" in render_to_string("500.html")
