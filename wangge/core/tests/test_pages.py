"""Log-in, log-out, lock-out and the language switch, through the real pages."""
import re

import pytest
from django.test import Client

from wangge.core.models import User
from wangge.core.roles import Role
from wangge.testing import PASSWORD

pytestmark = pytest.mark.django_db

EXTERNAL_ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_renders_with_csrf_token(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert "工作人员登录" in html  # Chinese by default
    assert not EXTERNAL_ASSET.search(html), "pages load nothing from outside"
    assert "echarts" not in html  # only pages with maps load ECharts


def test_login_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "street_op", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_redirects_home(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/login/", {"username": "street_op", "password": PASSWORD,
                                       "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")  # an operator's home is the case queue
    assert home.status_code == 302 and home["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_login_honours_a_safe_next(world, client):
    response = client.post("/login/?next=/regions/510107001/",
                           {"username": "street_op", "password": PASSWORD, "next": "/regions/510107001/"})
    assert response["Location"] == "/regions/510107001/"


def test_wrong_password_shows_an_error(world, client):
    response = _login(client, "street_op", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    html = response.content.decode()
    assert 'class="alert alert-error"' in html
    assert "_auth_user_id" not in client.session


def test_lock_out_after_five_failures(world, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(4):
        response = _login(client, "street_op", f"wrong-{attempt}")
        assert response.status_code == 200, attempt
    response = _login(client, "street_op", "wrong-5")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "账号已锁定" in response.content.decode()
    # Even the right password is refused while locked out.
    response = _login(client, "street_op", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked (lock-out is per username and address).
    assert _login(client, "district_op", PASSWORD).status_code == 302


def test_logout_is_post_only(world, client):
    client.force_login(world.users[Role.STREET_OPERATOR])
    assert client.get("/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", ["/", "/regions/510107/", "/grids/510107001001001/", "/map/510107.json",
                                 "/regions/510107001/panel/"])
def test_anonymous_is_sent_to_login(world, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_header_shows_name_role_language_switch_and_logout(world, client):
    user = world.users[Role.STREET_OPERATOR]
    user.full_name = "王小明"
    user.save()
    client.force_login(user)
    html = client.get("/", follow=True).content.decode()
    assert "网格化服务管理平台" in html
    assert "王小明" in html
    assert "街道综治中心操作员" in html
    assert 'action="/i18n/setlang/"' in html
    assert re.search(r'<form class="logout" method="post" action="/logout/">\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken"', html)


def test_language_switch_to_english_and_back(world, client):
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    html = client.get("/", follow=True).content.decode()
    assert "退出登录" in html and "区综治中心操作员" in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/regions/510107/"})
    assert response.status_code == 302 and response["Location"] == "/regions/510107/"
    html = client.get("/regions/510107/").content.decode()
    assert '<html lang="en">' in html
    assert "Grid Service Management Platform" in html
    assert "Log out" in html and "District operator" in html
    assert "退出登录" not in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "退出登录" in client.get("/", follow=True).content.decode()


def test_login_page_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/").content.decode()
    assert "Staff log-in" in html and "Username" in html


def test_demo_banner_shows_while_the_demo_district_is_loaded(world, client):
    client.force_login(world.users[Role.GRID_WORKER])
    assert "合成数据" in client.get("/").content.decode()
    client.logout()
    assert "合成数据" in client.get("/login/").content.decode()


def test_no_demo_banner_without_the_demo_district(client):
    assert "合成数据" not in client.get("/login/").content.decode()


def test_superuser_role_label(world, client):
    root = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    client.force_login(root)
    assert "超级管理员" in client.get("/").content.decode()


def test_the_language_switch_is_remembered_for_messages_and_the_next_log_in(world, client):
    from wangge.core.models import AuditEntry

    user = world.users[Role.GRID_WORKER]
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})  # pressed again: no second audit row
    assert User.objects.get(pk=user.pk).language == "en"
    assert AuditEntry.objects.filter(operation="core.set_language", actor=user).count() == 1
    # a language that is not offered changes nothing
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=user.pk).language == "en"
    # on another browser, the log-in brings the choice along
    other = Client()
    response = other.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert "Log out" in other.get("/", follow=True).content.decode()


def test_switching_language_before_log_in_saves_nothing(world, client):
    from wangge.core.models import AuditEntry

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"  # switched all the same
    assert not AuditEntry.objects.filter(operation="core.set_language").exists()


def test_set_language_refuses_a_language_not_offered(world):
    from wangge.core.models import AuditEntry
    from wangge.core.services import OperationError, do_set_language

    user = world.users[Role.GRID_WORKER]
    with pytest.raises(OperationError) as refused:
        do_set_language(user, "fr")
    assert refused.value.field == "language"
    assert User.objects.get(pk=user.pk).language == "" and not AuditEntry.objects.exists()
