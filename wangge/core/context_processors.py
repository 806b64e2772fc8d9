"""Template context for every page."""
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from wangge.core.roles import can


def unread_count(request) -> dict:
    """`unread_count`: the signed-in user's unread in-app messages, for the badge in the navigation.
    Counted only when a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        from wangge.core.models import Notification

        return Notification.objects.filter(recipient=user).unread().count()

    return {"unread_count": SimpleLazyObject(count)}


def calendar_notice(request) -> dict:
    """`calendar_notice_year`: for administrators, from November on, next year while its holiday arrangement
    is not loaded (see wangge.core.holidays); None otherwise. Computed only when a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not can(user, "calendar.edit"):
        return {}

    def year() -> int | None:
        from wangge.core.holidays import missing_arrangement_year

        return missing_arrangement_year(timezone.localdate())

    return {"calendar_notice_year": SimpleLazyObject(year)}
