"""The active catalogue by full code, kept in the process for a few seconds.

Every report names its category; reading it is the costliest query of intake (about a fifth of a report's
time on PostgreSQL). The catalogue is a hundred rows an administrator edits a few times a year, so each process
keeps the active ones for `TTL` seconds. An edit saved in this process is seen at once (signals); another
process sees it within `TTL` seconds.
"""
import time

from django.db.models.signals import post_delete, post_save

from wangge.cases.models import Category, MajorCategory

TTL = 5.0
_cache = {"at": None, "by_code": {}}


def active_by_code(full_code: str) -> Category | None:
    """The active category (of an active major class) with this 5-digit code, or None."""
    now = time.monotonic()
    if _cache["at"] is None or now - _cache["at"] > TTL:
        rows = Category.objects.select_related("major").filter(active=True, major__active=True)
        _cache["by_code"] = {c.full_code: c for c in rows}
        _cache["at"] = now
    return _cache["by_code"].get(full_code)


def forget(**kwargs) -> None:
    _cache["at"] = None


for model in (Category, MajorCategory):
    post_save.connect(forget, sender=model, dispatch_uid=f"cases.catalogue.{model.__name__}.save")
    post_delete.connect(forget, sender=model, dispatch_uid=f"cases.catalogue.{model.__name__}.delete")
