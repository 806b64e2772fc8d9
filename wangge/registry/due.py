"""Visits that are due (入户走访提醒): who must be visited soon, and who is overdue.

A person carrying tags with a visit frequency must be visited every N days,
N being the shortest frequency among the tags the reader may see. The clock
starts at their latest visit or, never visited, at the earliest `since` of those
tags (set to the day of tagging when not given). A person with neither is due
today. The list is what falls due within `WINDOW_DAYS`, most overdue first.

Two short queries, not one long one. The first groups the counted tags of the
people in the reader's area by person (frequency, earliest `since`, and the
latest visit read through the (person, -visited_at) index), a few columns per
tagged person; the due dates are added up, filtered and sorted here. The second
reads the whole rows of the page shown only. A single query that computed the due
date in SQL grouped every tagged person with their house, building and grid, and
repeated the latest-visit subquery in each branch of the date arithmetic: on the
demo district (18,000 tagged people) PostgreSQL took 1.5 s, and after ANALYZE its
estimate passed the JIT threshold and compiling took 11 s more.
"""
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import DateTimeField, Min, OuterRef, Prefetch, Subquery
from django.utils import timezone

from wangge.registry.counts import visible_tag_groups
from wangge.registry.models import Person, PersonTag, Visit

WINDOW_DAYS = 7


class _Due(NamedTuple):
    person_id: int
    name: str
    every: int
    last_visit: datetime | None
    due_on: date


class DueList:
    """The due people in order, as a sequence: `len()`/`count()` and slices read only the rows shown
    (what Django's Paginator and ninja's pagination ask of it); iterating reads them all. Each person
    carries `every`, `last_visit`, `due_on` and `visible_tags`, as the pages and the API show them."""

    def __init__(self, user, tags, today: date, window_days: int):
        self.user, self.tags = user, tags
        self.today, self.window_days = today, window_days
        self._order = None

    def _due(self) -> list[_Due]:
        if self._order is None:
            self._order = self._compute()
        return self._order

    def _compute(self) -> list[_Due]:
        latest_visit = (Visit.objects.filter(person=OuterRef("person_id")).order_by("-visited_at")
                        .values("visited_at")[:1])  # the top of the (person, -visited_at) index
        rows = (self.tags.order_by().values("person_id", "person__name")
                .annotate(every=Min("tag__visit_every_days"), since=Min("since"),
                          last_visit=Subquery(latest_visit, output_field=DateTimeField()))
                .values_list("person_id", "person__name", "every", "since", "last_visit"))
        horizon = self.today + timedelta(days=self.window_days)
        zone = timezone.get_current_timezone()  # once: asking for it per row cost more than the query
        due = []
        for person_id, name, every, since, last_visit in rows:
            start = last_visit.astimezone(zone).date() if last_visit else since
            due_on = start + timedelta(days=every) if start else self.today
            if due_on <= horizon:
                due.append(_Due(person_id, name, every, last_visit, due_on))
        due.sort(key=lambda d: (d.due_on, d.name, d.person_id))
        return due

    def _people(self, due: list[_Due]) -> list[Person]:
        if not due:
            return []
        found = (Person.objects.filter(pk__in=[d.person_id for d in due])
                 .select_related("grid", "house__building")
                 .prefetch_related(Prefetch("tags", to_attr="visible_tags",
                                            queryset=PersonTag.objects.visible_to(self.user).select_related("tag")))
                 .in_bulk())
        people = []
        for d in due:
            person = found.get(d.person_id)
            if person is not None:  # gone since the first query
                person.every, person.last_visit, person.due_on = d.every, d.last_visit, d.due_on
                people.append(person)
        return people

    def count(self) -> int:
        return len(self._due())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._people(self._due()[index])
        return self._people([self._due()[index]])[0]

    def __iter__(self):
        return iter(self._people(self._due()))


def due_visits(user, region=None, today=None, window_days: int = WINDOW_DAYS) -> DueList:
    """People in the user's area (under `region`, if given) due for a visit within the window."""
    # The tags that count: visible to the user (their area, special groups only for who may see them), with a
    # frequency, on people who live in a grid.
    tags = PersonTag.objects.visible_to(user).filter(tag__group__in=visible_tag_groups(user),
                                                     tag__visit_every_days__isnull=False, person__grid__isnull=False)
    if region is not None:
        tags = tags.filter(person__grid__path__startswith=region.path)
    return DueList(user, tags, today or timezone.localdate(), window_days)
