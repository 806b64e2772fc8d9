"""The portal's report limit through Redis (WANGGE_CACHE_URL): two server processes count one client together."""
import os

import pytest
from django.core.cache.backends.redis import RedisCache

from wangge.portal import ratelimit
from wangge.settings import cache_settings

REDIS_URL = os.environ.get("WANGGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # as conftest.py


def test_the_cache_url_chooses_redis_or_memory():
    assert cache_settings("redis://cache:6379/0")["default"]["BACKEND"].endswith("RedisCache")
    assert cache_settings("")["default"]["BACKEND"].endswith("LocMemCache")


@pytest.mark.redis
def test_two_processes_share_one_clients_limit(settings, monkeypatch):
    settings.PORTAL_REPORTS_PER_HOUR = 3
    # Two processes: each has its own connection to the same Redis.
    first = RedisCache(REDIS_URL, {"KEY_PREFIX": "wangge-test"})
    second = RedisCache(REDIS_URL, {"KEY_PREFIX": "wangge-test"})
    first.delete(ratelimit._key("203.0.113.9"))
    limited = []
    for cache in (first, second, first, second):  # each report lands on one process or the other
        monkeypatch.setattr(ratelimit, "_cache", lambda cache=cache: cache)
        limited.append(ratelimit.is_limited("203.0.113.9"))
        if not limited[-1]:
            ratelimit.count_report("203.0.113.9")
    assert limited == [False, False, False, True]
    first.delete(ratelimit._key("203.0.113.9"))
