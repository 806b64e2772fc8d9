"""Template context for every page."""
from django.utils.functional import SimpleLazyObject


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
