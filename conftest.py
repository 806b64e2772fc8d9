import os
import shutil

import pytest

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def world(db):
    from wangge.testing import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    from wangge.cases.catalogue import forget as forget_catalogue
    from wangge.core.api_auth import forget_cached_tokens
    from wangge.core.workdays import forget_overrides

    forget_cached_tokens()
    forget_overrides()
    forget_catalogue()
    yield
    forget_cached_tokens()
    forget_overrides()
    forget_catalogue()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a board analysed in an earlier test on the same worker (the same
    synthetic area) must not answer for this one."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Chinese): a request or command that activated English in an
    earlier test on the same worker must not leak into the next one's messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Pages name the plain static files: the served deployments' hashed, compressed copies need a collectstatic
    first (wangge/portal/tests/test_browser_throttled.py does one, into a folder of its own)."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) or bool(shutil.which(CHROMIUM))


REDIS_URL = os.environ.get("WANGGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - no server, no package: not available
        return False


def mqtt_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium, Redis tests a Redis server, MQTT tests the broker on 127.0.0.1:1883.
    CI sets WANGGE_REQUIRE_BROWSER=1, WANGGE_REQUIRE_REDIS=1 and WANGGE_REQUIRE_MQTT=1 so a missing one fails the
    run; elsewhere they are left out, and the summary says so."""
    mqtt_tests = [item for item in items if item.get_closest_marker("mqtt")]
    if mqtt_tests and not mqtt_available():
        if os.environ.get("WANGGE_REQUIRE_MQTT") == "1":
            raise pytest.UsageError("MQTT tests required but no broker listens on 127.0.0.1:1883")
        items[:] = [item for item in items if not item.get_closest_marker("mqtt")]
        config.hook.pytest_deselected(items=mqtt_tests)
        config._wangge_mqtt_left_out = len(mqtt_tests)
    redis_tests = [item for item in items if item.get_closest_marker("redis")]
    if redis_tests and not redis_available():
        if os.environ.get("WANGGE_REQUIRE_REDIS") == "1":
            raise pytest.UsageError(f"Redis tests required but no Redis answers at {REDIS_URL}")
        items[:] = [item for item in items if not item.get_closest_marker("redis")]
        config.hook.pytest_deselected(items=redis_tests)
        config._wangge_redis_left_out = len(redis_tests)
    if chromium_available():
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if not browser:
        return
    if os.environ.get("WANGGE_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests required but {CHROMIUM} is missing (apt-get install chromium)")
    items[:] = [item for item in items if not item.get_closest_marker("browser")]
    config.hook.pytest_deselected(items=browser)
    config._wangge_browser_left_out = len(browser)


def pytest_terminal_summary(terminalreporter, config):
    mqtt_left_out = getattr(config, "_wangge_mqtt_left_out", 0)
    if mqtt_left_out:
        terminalreporter.write_line(f"NOTE: {mqtt_left_out} MQTT test(s) not run: no broker on 127.0.0.1:1883",
                                    yellow=True)
    redis_left_out = getattr(config, "_wangge_redis_left_out", 0)
    if redis_left_out:
        terminalreporter.write_line(f"NOTE: {redis_left_out} Redis test(s) not run: no Redis at {REDIS_URL}",
                                    yellow=True)
    left_out = getattr(config, "_wangge_browser_left_out", 0)
    if left_out:
        terminalreporter.write_line(
            f"NOTE: {left_out} browser test(s) not run: {CHROMIUM} not found (apt-get install chromium)", yellow=True)


@pytest.fixture
def browser(monkeypatch):
    """Debian's chromium, headless, through Playwright's sync API (wangge/testing_browser.py has the rest)."""
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes around it are
    # ordinary synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from wangge.testing_browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's event loop runs get connections of their own (Django keeps
        # them per async context); close them here, or PostgreSQL cannot drop the test database.
        connections.close_all()


@pytest.fixture
def catalogue_world(transactional_db, settings, tmp_path):
    """build_world() for a browser test (a live server needs a transactional database), with the case
    catalogue and uploads in a temporary folder."""
    from importlib import import_module

    from django.apps import apps

    from wangge.testing import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test empties the tables afterwards, data-migration rows included: the catalogue back.
    import_module("wangge.cases.migrations.0002_default_catalogue").load(apps, None)
    return build_world()


@pytest.fixture
def registry_readers_without_special(monkeypatch):
    """Let mediators and department handlers read base data (they may not by default), so
    tests can prove special-group tags stay hidden from a reader without that permission."""
    from wangge.core.roles import PERMISSIONS, Role

    monkeypatch.setitem(PERMISSIONS, "registry.view",
                        PERMISSIONS["registry.view"] | {Role.MEDIATOR, Role.DEPARTMENT_HANDLER})
