"""The worker's early-warning round (registered in apps.py): the analysis at most once an hour, and on the first
working day of a month the previous month's 研判 reports of the district(s) and every street.

Each job is claimed with a conditional UPDATE of its AnalysisMark row (`claim`), so of several workers exactly one
runs it; the others see the row already moved and do nothing.
"""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core import workdays
from wangge.insight.models import AnalysisMark

ANALYSIS_EVERY = timedelta(hours=1)
NEVER = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)


def claim(name: str, now, every: timedelta | None) -> bool:
    """Whether this worker got the job `name`: its mark is older than `every` (None: never claimed before), moved
    to `now` by one conditional UPDATE."""
    try:
        with transaction.atomic():
            AnalysisMark.objects.get_or_create(name=name, defaults={"claimed_at": NEVER})
    except IntegrityError:
        pass  # made by another worker a moment ago
    due = AnalysisMark.objects.filter(name=name)
    due = due.filter(claimed_at=NEVER) if every is None else due.filter(claimed_at__lte=now - every)
    return due.update(claimed_at=now) == 1


def finish(name: str, now, counts: dict) -> None:
    AnalysisMark.objects.filter(name=name).update(finished_at=now, counts=counts)


def first_workday_of_month(day) -> bool:
    return day == workdays.next_workday(day.replace(day=1))


def monthly_reports(now) -> int:
    from wangge.areas.models import Level, Region
    from wangge.insight import report, services
    from wangge.insight.models import Report

    start, end = report.previous_month(timezone.localdate(now))
    made = 0
    for region in Region.objects.filter(level__in=(Level.DISTRICT, Level.STREET)).order_by("path"):
        if Report.objects.filter(region=region, kind="monthly", period_start=start, period_end=end).exists():
            continue
        services.do_make_report(None, region, start, end, kind="monthly", now=now)
        made += 1
    return made


def poll(now=None) -> dict:
    from wangge.insight import analysis

    now = now or timezone.now()
    counts = {}
    if claim("warnings", now, ANALYSIS_EVERY):
        counts = analysis.run(now)
        finish("warnings", now, counts)
    today = timezone.localdate(now)
    if first_workday_of_month(today):
        name = f"report:{today:%Y-%m}"
        if claim(name, now, None):
            counts["reports_made"] = monthly_reports(now)
            finish(name, now, {"reports_made": counts["reports_made"]})
    return counts
