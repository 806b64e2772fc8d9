"""Retention and the event table's months (the worker's `sensing_events` poller, partitions.py): old events and
dead letters expire; on PostgreSQL whole months are dropped and the months ahead are made."""
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from wangge.core import pollers
from wangge.sensing import ingest, partitions
from wangge.sensing.models import AccessEvent, DeadLetter, Device

pytestmark = pytest.mark.django_db


def _events(device, times):
    rows = [{"seq": i, "at": at, "card_number": "", "plate": "", "door": "1", "direction": "in", "granted": True,
             "reason": "", "alarm": ""} for i, at in enumerate(times)]
    return ingest.store_events(Device.objects.select_related("grid").get(pk=device.pk), rows)


def test_the_poller_is_registered():
    assert "sensing_events" in pollers.registered()


def test_events_older_than_the_retention_period_are_deleted(sensing, settings):
    settings.WANGGE_EVENT_RETENTION_DAYS = 30
    now = timezone.now()
    _events(sensing["door"], [now - timedelta(days=29), now - timedelta(days=31), now - timedelta(days=20)])
    DeadLetter.objects.create(channel="mqtt", reason="not valid JSON", received_at=now - timedelta(days=40))
    DeadLetter.objects.create(channel="mqtt", reason="not valid JSON", received_at=now - timedelta(days=1))
    counts = partitions.poll(now)
    assert counts["events_expired"] >= 1 and counts["dead_letters_expired"] == 1
    assert AccessEvent.objects.count() == 2
    assert not AccessEvent.objects.filter(at__lt=now - timedelta(days=30)).exists()
    assert DeadLetter.objects.count() == 1


def test_an_event_older_than_the_retention_period_is_refused(sensing, settings):
    settings.WANGGE_EVENT_RETENTION_DAYS = 30
    old = {"seq": 1, "ts": (timezone.now() - timedelta(days=31)).isoformat(), "card": "5101070000000018",
           "direction": "in", "granted": True}
    with pytest.raises(ingest.EventErrors) as refused:
        ingest.check_events(sensing["door"], [old])
    assert refused.value.errors[0][1] == "ts"


def test_months_are_made_ahead_and_dropped_whole_on_postgres(sensing, settings):
    """PostgreSQL: a table per month, made ahead and dropped whole; SQLite: one plain table, rows deleted."""
    postgres = connection.vendor == "postgresql"
    assert partitions.is_partitioned() == postgres
    settings.WANGGE_EVENT_RETENTION_DAYS = 400
    now = timezone.now()
    old = now - timedelta(days=300)  # before the months 0002 made: ingestion makes its month itself
    _events(sensing["door"], [old, now])
    later = now + timedelta(days=45)
    partitions.poll(later)
    if postgres:
        assert partitions.month_of(old) in partitions.months()
        assert partitions.next_month(partitions.next_month(partitions.month_of(later))) in partitions.months()
    settings.WANGGE_EVENT_RETENTION_DAYS = 30
    assert partitions.poll(now)["events_expired"] >= 1
    if postgres:
        assert partitions.month_of(old) not in partitions.months()
    assert AccessEvent.objects.count() == 1 and AccessEvent.objects.get().at == now


def test_month_arithmetic():
    assert partitions.next_month((2026, 12)) == (2027, 1)
    assert partitions.month_of(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == (2026, 12)
