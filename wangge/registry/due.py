"""Visits that are due (入户走访提醒): who must be visited soon, and who is overdue.

A person carrying tags with a visit frequency must be visited every N days,
N being the shortest frequency among the tags the reader may see. The clock
starts at their latest visit or, never visited, at the earliest `since` of those
tags (set to the day of tagging when not given). A person with neither is due
today. The list is what falls due within `WINDOW_DAYS`, most overdue first.

It is one query: the latest visit is a correlated MAX over the person's visits
(the (person, -visited_at) index), the frequency and start are aggregates over
their tags, and the due date is the start plus the frequency. Date arithmetic
differs between SQLite and PostgreSQL, so it is written as a CASE over the few
frequencies that exist (7, 14, 30, 90…), each adding a constant interval,
which Django compiles portably.
"""
from datetime import timedelta

from django.db.models import Case, DateField, DateTimeField, F, Max, Min, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from wangge.registry.counts import visible_tag_groups
from wangge.registry.models import Person, PersonTag, Tag, Visit

WINDOW_DAYS = 7


def due_visits(user, region=None, today=None, window_days: int = WINDOW_DAYS):
    """People in the user's area (under `region`, if given) due for a visit within the window."""
    today = today or timezone.localdate()
    groups = visible_tag_groups(user)
    frequencies = sorted(set(Tag.objects.filter(group__in=groups, visit_every_days__isnull=False)
                             .values_list("visit_every_days", flat=True)))
    if not frequencies:
        return Person.objects.none()
    counted = Q(tags__tag__group__in=groups, tags__tag__visit_every_days__isnull=False)
    latest_visit = (Visit.objects.filter(person=OuterRef("pk")).order_by().values("person")
                    .annotate(at=Max("visited_at")).values("at"))
    # Start from the tagged few, not every resident: an inner join on the tags that count.
    tagged = PersonTag.objects.filter(tag__group__in=groups, tag__visit_every_days__isnull=False).values("person_id")
    people = Person.objects.visible_to(user).filter(grid__isnull=False, pk__in=tagged)
    if region is not None:
        people = people.filter(grid__path__startswith=region.path)
    due_at = Case(*[When(every=days, then=F("start") + timedelta(days=days)) for days in frequencies],
                  output_field=DateTimeField())
    return (
        people
        .annotate(every=Min("tags__tag__visit_every_days", filter=counted),
                  tag_since=Min("tags__since", filter=counted),
                  last_visit=Subquery(latest_visit, output_field=DateTimeField()))
        .filter(every__isnull=False)
        .annotate(start=Coalesce(TruncDate("last_visit"), F("tag_since"), output_field=DateField()))
        .annotate(due_on=Coalesce(Cast(due_at, DateField()), Value(today), output_field=DateField()))
        .filter(due_on__lte=today + timedelta(days=window_days))
        .select_related("grid", "house__building")
        .prefetch_related(Prefetch("tags", queryset=PersonTag.objects.visible_to(user).select_related("tag"),
                                   to_attr="visible_tags"))
        .order_by("due_on", "name", "pk")
    )
