"""Template context for every page."""
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from wangge.core import shell
from wangge.core.roles import can

HOME_VIEWS = ("home", "region", "grid")  # the map pages are "home" in the menu, for those whose home is the map


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
def staff_shell(request) -> dict:
    """`banners` (templates of the notes every page shows, e.g. the demo's) and, for a signed-in user,
    `menu` (the groups and entries they may use, see core/shell.py) and `home_current`. Worked out only when
    a template uses them."""
    context = {"banners": SimpleLazyObject(shell.banners)}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    menu = SimpleLazyObject(lambda: shell.menu_for(user, view_name))
    context.update(menu=menu, home_current=view_name == "home" or (
        view_name in HOME_VIEWS and not any(g["current"] for g in menu)))
    return context
