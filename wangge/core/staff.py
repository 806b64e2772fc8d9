"""How a member of staff is labelled: the one rule every app uses.

Staff the viewer may see (and the viewer themself) are named; the others are shown by their role only, since
who works outside the viewer's area is not the viewer's to know.
"""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from wangge.core.roles import Role


def staff_name(user) -> str:
    """A member of staff's name: their full name, else their username."""
    return user.full_name or user.username


def role_label(user) -> str:
    return str(Role(user.role).label) if user.role in Role.values else pgettext("a member of staff", "Staff member")


def staff_labels(viewer, users) -> dict:
    """{user id: label} for the users (None skipped): a name for those the viewer may see, else the role."""
    from wangge.core.models import User  # the models read this module

    users = [u for u in users if u is not None]
    visible = set(User.objects.visible_to(viewer).filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
    return {u.pk: staff_name(u) if u.pk in visible or u.pk == viewer.pk else role_label(u) for u in users}


def timeline_rows(viewer, events) -> list[dict]:
    """A record's events (cases, disputes), each with the actor as the viewer may know them: staff by
    `staff_labels`, the rest as the citizen or the system."""
    events = list(events.select_related("actor").order_by("at", "id"))
    labels = staff_labels(viewer, [e.actor for e in events])
    rows = []
    for event in events:
        if event.actor_id:
            who = labels.get(event.actor_id, _("Staff member"))
        else:
            who = {"citizen": _("Citizen"), "system": gettext_lazy("System")}.get(event.actor_name,
                                                                                  gettext_lazy("System"))
        rows.append({"event": event, "who": who})
    return rows
