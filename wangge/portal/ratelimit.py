"""A simple per-client limit on citizen reports, kept in Django's cache.

The window starts with a client's first report and lasts an hour (cache.add sets the expiry; incr keeps it
on the local-memory and Redis backends). Several server processes share the limit only when CACHES names a
shared backend (Redis, Memcached); with the default local-memory cache each process counts on its own, which
still stops a script hammering one worker. Behind a reverse proxy set PORTAL_CLIENT_IP_HEADER (for example
"HTTP_X_REAL_IP", which the proxy must overwrite) or every citizen shares the proxy's address.
"""
from django.conf import settings
from django.core.cache import caches

WINDOW_SECONDS = 3600


def reports_per_hour() -> int:
    return int(getattr(settings, "PORTAL_REPORTS_PER_HOUR", 10))


def client_ip(request) -> str:
    header = getattr(settings, "PORTAL_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "") or "unknown"


def _cache():
    return caches[getattr(settings, "PORTAL_RATE_CACHE", "default")]


def _key(ip: str) -> str:
    return f"wangge:portal:reports:{ip}"


def is_limited(ip: str) -> bool:
    return (_cache().get(_key(ip)) or 0) >= reports_per_hour()


def count_report(ip: str) -> None:
    cache = _cache()
    cache.add(_key(ip), 0, WINDOW_SECONDS)
    try:
        cache.incr(_key(ip))
    except ValueError:  # expired between add and incr: this report opens a new window
        cache.set(_key(ip), 1, WINDOW_SECONDS)
