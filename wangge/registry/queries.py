"""Reads shared by the API and the pages, so both answer by the same rule."""
from django.db.models import Q

from wangge.core.models import User
from wangge.core.roles import Role
from wangge.registry.models import House, Person
from wangge.registry.validation import clean_phone


def search_people(people, q: str):
    """Name (contains), address (contains), last four of the ID number, a whole ID number or a phone."""
    q = q.strip()
    # The address as a subquery (the houses of the buildings that match), not a join: an OR across the join made
    # PostgreSQL walk the people in name order looking up each one's house and building (2 s for a surname).
    match = Q(name__contains=q) | Q(house__in=House.objects.filter(building__address__contains=q).values("pk"))
    if len(q) == 4 and q[:3].isdigit() and (q[3].isdigit() or q[3] in "xX"):
        match |= Q(id_tail=q.upper())
    if len(q) == 18:
        match |= Q(pk__in=Person.objects.with_id_number(q).values("pk"))
    try:
        phone = clean_phone(q)
    except ValueError:
        phone = ""
    if phone:
        match |= Q(pk__in=Person.objects.with_phone(phone).values("pk"))
    return people.filter(match)


def staff_labels(viewer, users) -> dict:
    """Names of staff the viewer may see; a role name for the others (their names are not the viewer's to know)."""
    users = [u for u in users if u is not None]
    visible = set(User.objects.visible_to(viewer).filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
    labels = {}
    for u in users:
        if u.pk in visible:
            labels[u.pk] = u.full_name or u.username
        else:
            labels[u.pk] = str(Role(u.role).label) if u.role in Role.values else "—"
    return labels
