"""Visits that are due (入户走访提醒): who must be visited soon, and who is overdue.

A person carrying tags with a visit frequency must be visited every N days,
N being the shortest frequency among the tags the reader may see. The clock
starts at their latest visit or, never visited, at the earliest `since` of those
tags (set to the day of tagging when not given). A person with neither (a tag
from an old import without `since`) is due from the day their schedule was
computed. The list is what falls due within `WINDOW_DAYS`, most overdue first.

The due dates are stored (`VisitSchedule`, one row per person with a frequency,
two clocks: care groups only, and care with special groups) and kept by the
operations that tag, untag and record visits, through `refresh_schedules`. The
list is then an index range on the due date, paged in the database. Computing it
per request grouped every tagged person of the area with their latest visit: on
the demo district (18,000 tagged people) 0.3-0.8 s for a district operator, and a
district ten times the demo would take ten times that.
"""
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Max, Prefetch
from django.utils import timezone

from wangge.core.bulk import Table
from wangge.core.roles import can
from wangge.registry.models import Person, PersonTag, TagGroup, Visit, VisitSchedule

WINDOW_DAYS = 7


def due_visits(user, region=None, today=None, window_days: int = WINDOW_DAYS):
    """People in the user's area (under `region`, if given) due for a visit within the window, most overdue
    first; each carries `every`, `last_visit`, `due_on` and `visible_tags`, as the pages and the API show them."""
    today = today or timezone.localdate()
    # The special groups' clock only for who may see them (as PersonTag.visible_to).
    every, due = (("schedule__every_all", "schedule__due_all") if can(user, "registry.view_special")
                  else ("schedule__every_care", "schedule__due_care"))
    horizon = today + timedelta(days=window_days)
    people = Person.objects.visible_to(user).filter(grid__isnull=False, **{f"{every}__isnull": False})
    if region is not None:
        people = people.filter(grid__path__startswith=region.path)
    people = people.filter(**{f"{due}__lte": horizon})
    return (people.annotate(every=F(every), due_on=F(due), last_visit=F("schedule__last_visit"))
            .order_by("due_on", "name", "pk")
            .select_related("grid", "house__building")
            .prefetch_related(Prefetch("tags", to_attr="visible_tags",
                                       queryset=PersonTag.objects.visible_to(user).select_related("tag"))))


# --- keeping the schedules ------------------------------------------------------------------------

def clock(tags: list[tuple[int, date | None]], last_visit: datetime | None, zone, today: date) -> tuple[int, date]:
    """(every, due date) from (frequency, since) of the tags that count and the latest visit; a clock with no
    start is due `today`."""
    every = min(frequency for frequency, _ in tags)
    start = last_visit.astimezone(zone).date() if last_visit else min((s for _, s in tags if s), default=None)
    return every, (start + timedelta(days=every) if start else today)


def schedules_for(tag_rows, latest_visits: dict, zone, today: date) -> list[dict]:
    """The schedule rows from (person_id, group, frequency, since) tag rows and {person_id: latest visit}."""
    care, every_tag = {}, {}
    for person_id, group, frequency, since in tag_rows:
        every_tag.setdefault(person_id, []).append((frequency, since))
        if group == TagGroup.CARE:
            care.setdefault(person_id, []).append((frequency, since))
    rows = []
    for person_id, tags in every_tag.items():
        last = latest_visits.get(person_id)
        every_all, due_all = clock(tags, last, zone, today)
        every_care, due_care = clock(care[person_id], last, zone, today) if person_id in care else (None, None)
        rows.append({"person_id": person_id, "every_all": every_all, "due_all": due_all,
                     "every_care": every_care, "due_care": due_care, "last_visit": last})
    return rows


def refresh_schedules(person_ids=None, *, writer=None, models=None) -> int:
    """Recompute the visit schedules of these people (ids, or a queryset of ids; everyone when None), in the
    caller's transaction. Bulk loads pass their `core.bulk.BulkWriter` (COPY, and ANALYZE at its finish);
    `models` (PersonTag, Visit, VisitSchedule) lets a migration pass its own."""
    tag_model, visit_model, schedule_model = models or (PersonTag, Visit, VisitSchedule)
    tags = tag_model.objects.filter(tag__visit_every_days__isnull=False)
    visits = visit_model.objects.all()
    old = schedule_model.objects.all()
    if person_ids is not None:
        tags, visits, old = (q.filter(person_id__in=person_ids) for q in (tags, visits, old))
    tag_rows = tags.values_list("person_id", "tag__group", "tag__visit_every_days", "since").order_by()
    latest = dict(visits.order_by().values("person_id").annotate(last=Max("visited_at"))
                  .values_list("person_id", "last"))
    zone = timezone.get_default_timezone()
    rows = schedules_for(tag_rows, latest, zone, timezone.localtime(timezone=zone).date())
    with transaction.atomic():
        old._raw_delete(old.db)
        if writer is not None:
            writer.insert(Table(schedule_model), rows)
        else:
            schedule_model.objects.bulk_create([schedule_model(**row) for row in rows], batch_size=2000)
    return len(rows)
