"""The event table's months and retention (the worker's poller `sensing_events`).

On PostgreSQL `sensing_accessevent` is partitioned by month on `at` (migration 0002): one table per calendar
month (UTC), `sensing_accessevent_pYYYYMM`. The poller makes this month's and the next `AHEAD` months' tables
before any event needs them (ingestion also makes a missing one itself, should the worker have been stopped
for months), and enforces the retention period (`WANGGE_EVENT_RETENTION_DAYS`, 180): a month wholly older
is dropped at once (no row by row delete, no bloat, no vacuum), and the rows of the month straddling the
limit are deleted. On SQLite the table is plain and old rows are deleted. Dead letters are kept
`WANGGE_DEAD_LETTER_RETENTION_DAYS` (30) days.
"""
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from wangge.sensing.models import AccessEvent, DeadLetter

TABLE = AccessEvent._meta.db_table
AHEAD = 2  # months made ahead of time
NAME = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")

_known: set[tuple[str, tuple[int, int]]] = set()  # (database, month) partitions this process knows exist
_partitioned: dict[str, bool] = {}


def month_of(moment: datetime) -> tuple[int, int]:
    moment = moment.astimezone(UTC)
    return moment.year, moment.month


def next_month(month: tuple[int, int]) -> tuple[int, int]:
    year, number = month
    return (year + 1, 1) if number == 12 else (year, number + 1)


def partition_name(month: tuple[int, int]) -> str:
    return f"{TABLE}_p{month[0]:04d}{month[1]:02d}"


def is_partitioned() -> bool:
    """Whether the event table is partitioned here (PostgreSQL after migration 0002)."""
    key = connection.settings_dict["NAME"]
    if key not in _partitioned:
        if connection.vendor != "postgresql":
            _partitioned[key] = False
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
                row = cursor.fetchone()
            _partitioned[key] = bool(row) and row[0] == "p"
    return _partitioned[key]


def create_month(month: tuple[int, int]) -> None:
    start = datetime(*month, 1, tzinfo=UTC)
    end = datetime(*next_month(month), 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE IF NOT EXISTS "{partition_name(month)}" PARTITION OF "{TABLE}" '
                       f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")


def ensure_for(low: datetime, high: datetime) -> None:
    """Make the months from `low` to `high` that do not exist yet (inside the caller's transaction; two
    processes making the same one at once: the loser finds it made)."""
    if not is_partitioned():
        return
    database = connection.settings_dict["NAME"]
    month, last = month_of(low), month_of(high)
    while month <= last:
        if (database, month) not in _known:
            try:
                with transaction.atomic():
                    create_month(month)
            except DatabaseError:
                pass  # made by another process a moment ago
            # Known once committed: a month made in a transaction rolled back is made again next time.
            transaction.on_commit(lambda key=(database, month): _known.add(key))
        month = next_month(month)


def months() -> list[tuple[int, int]]:
    """The months that have a table, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = to_regclass(%s)", [TABLE])
        names = [name for (name,) in cursor.fetchall()]
    return sorted((int(m[1]), int(m[2])) for m in map(NAME.match, names) if m)


def expire(now: datetime) -> int:
    """Enforce the retention period; answers how many months were dropped plus rows deleted."""
    from wangge.sensing.ingest import retention_days

    cutoff = now - timedelta(days=retention_days())
    gone = 0
    with transaction.atomic():
        if is_partitioned():
            for month in months():
                if datetime(*next_month(month), 1, tzinfo=UTC) <= cutoff:
                    with connection.cursor() as cursor:
                        cursor.execute(f'DROP TABLE IF EXISTS "{partition_name(month)}"')
                    _known.discard((connection.settings_dict["NAME"], month))
                    gone += 1
        gone += AccessEvent.objects.filter(at__lt=cutoff).delete()[0]
    return gone


def expire_dead_letters(now: datetime) -> int:
    days = int(getattr(settings, "WANGGE_DEAD_LETTER_RETENTION_DAYS", 30))
    return DeadLetter.objects.filter(received_at__lt=now - timedelta(days=days)).delete()[0]


def poll(now=None) -> dict:
    now = now or timezone.now()
    if is_partitioned():
        month = month_of(now)
        ahead = [month]
        for _step in range(AHEAD):
            ahead.append(next_month(ahead[-1]))
        ensure_for(datetime(*ahead[0], 1, tzinfo=UTC), datetime(*ahead[-1], 1, tzinfo=UTC))
    return {"events_expired": expire(now), "dead_letters_expired": expire_dead_letters(now)}
