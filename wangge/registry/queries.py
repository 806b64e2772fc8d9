"""Reads shared by the API and the pages, so both answer by the same rule."""
from django.db.models import Q

from wangge.core.staff import staff_labels  # noqa: F401  (registry's pages read it from here)
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


