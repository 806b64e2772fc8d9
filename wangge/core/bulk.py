"""The one bulk writer: many rows into a few tables, the fastest plain way each database has.

Who uses it: the people import (tens of thousands to millions of rows), the demo loader (people,
cases, disputes) and telemetry (door events: `insert_new`, which skips rows already stored). Three parts:

* `Table` — a model's table as columns, with its defaults and how each Python value is prepared for
  the driver (encryption of personal data, dates, JSON), without an ORM object per row.
* Primary keys before the rows exist, so rows written together can point at each other in one pass:
  `Ids` reserves them (PostgreSQL: `nextval` over the sequence in one query; SQLite: above the
  highest key, under the write lock the transaction holds since BEGIN IMMEDIATE). Plans that number
  their own rows from `first_free_id` move the sequences past them with `catch_up_sequences`.
* `BulkWriter` — COPY on PostgreSQL (psycopg 3 `cursor.copy`), `executemany` of one prepared INSERT on
  SQLite (multi-row VALUES lists measured no faster), UPDATEs by key; rows derived from rows just
  written (simple-history rows, `history_of`; any `insert_select`) made by INSERT ... SELECT in the
  database, with nothing sent row by row; and `finish()`, which ANALYZEs
  every table written on PostgreSQL: autovacuum may be off or late, and a table loaded in bulk
  without statistics gets nested-loop plans (the statistics page took 5.1 s instead of 0.24 s).

The caller owns the transaction (the writer writes inside it; ANALYZE too, so statistics and rows
commit or roll back together).
"""
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Max
from django.utils import timezone

from wangge.core.fields import EncryptedCharField

# --- tables ------------------------------------------------------------------------------------


class Table:
    """A model's table as columns, for rows given as {attname: value} dicts or objects (their __dict__).

    A value a row leaves out takes the field's default (auto_now fields: now; `fixed` overrides
    both). With `prepared=True` the rows already hold what the driver takes (ciphertexts, ISO
    dates), and nothing is converted: the fast path for callers that build rows by the thousand.
    """

    def __init__(self, model, *, with_pk: bool = True, prepared: bool = False, using: str = DEFAULT_DB_ALIAS,
                 **fixed):
        connection = connections[using]
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.model = model
        self.name = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        now = timezone.now()
        convert = {f.attname: (None if prepared else _converter(f, connection)) for f in fields}
        self.defaults = {}
        for f in fields:
            if f.primary_key:
                continue
            default = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            default = fixed.get(f.attname, default)
            if prepared and isinstance(default, datetime):  # otherwise converted with the row's own values
                default = connection.ops.adapt_datetimefield_value(default)
            self.defaults[f.attname] = default
        self.converters = [(i, convert[a]) for i, a in enumerate(self.attnames) if convert[a] is not None]
        self._values = operator.itemgetter(*self.attnames)

    def from_tuples(self, attnames: Sequence[str]) -> Callable[[tuple], tuple]:
        """For callers that build rows by the hundred thousand: a function from a tuple of `attnames`'
        values (in that order) to the row in column order, the other columns' defaults filled in. One
        tuple concatenation and one itemgetter per row, no dict; the values are taken as they are (for
        `prepared` tables)."""
        given = {a: i for i, a in enumerate(attnames)}
        unknown = set(given) - set(self.attnames)
        if unknown:
            raise ValueError(f"{self.name} has no columns {sorted(unknown)}")
        rest = [a for a in self.attnames if a not in given]
        extra = tuple(self.defaults[a] for a in rest)
        position = {**given, **{a: len(attnames) + k for k, a in enumerate(rest)}}
        pick = operator.itemgetter(*[position[a] for a in self.attnames])
        return lambda row: pick(row + extra)

    def tuples(self, rows: Iterable) -> Iterator[tuple]:
        """Each row as a tuple in column order, every value ready for the driver."""
        defaults, values, converters = self.defaults, self._values, self.converters
        for row in rows:
            merged = {**defaults, **(row if isinstance(row, dict) else row.__dict__)}
            if not converters:
                yield values(merged)
                continue
            out = list(values(merged))
            for i, convert in converters:
                if out[i] is not None:
                    out[i] = convert(out[i])
            yield tuple(out)


def _converter(field, connection):
    """How a field's Python value becomes what the driver takes; None where it already is."""
    if isinstance(field, EncryptedCharField):
        return field.get_prep_value
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, ensure_ascii=False)
    if isinstance(field, (models.AutoField, models.BigAutoField, models.CharField, models.TextField,
                          models.IntegerField, models.FloatField, models.BooleanField, models.ForeignKey)):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


# --- primary keys ------------------------------------------------------------------------------


class Ids:
    """Primary keys handed out before the rows are written, so that rows written together can point
    at each other in one pass. A dry run (`real=False`) hands out negative stand-ins and touches no
    sequence. Call inside the transaction that writes the rows."""

    BLOCK = 10_000  # keys fetched per round trip on PostgreSQL

    def __init__(self, real: bool = True, using: str = DEFAULT_DB_ALIAS):
        self.real = real
        self.using = using
        self.free: dict[type, Iterator[int]] = {}

    def next(self, model) -> int:
        while True:
            try:
                return next(self.free[model])
            except (KeyError, StopIteration):
                self.free[model] = self._reserve(model)

    def _reserve(self, model) -> Iterator[int]:
        if not self.real:
            return itertools.count(-1, -1)
        connection = connections[self.using]
        if connection.vendor == "postgresql":
            return iter(reserve_ids(model, self.BLOCK, self.using))
        # SQLite: every key above the highest is ours while the transaction holds the write lock; an
        # endless counter, since keys handed out are not in the table until the rows are written.
        return itertools.count(first_free_id(model, self.using))


def reserve_ids(model, count: int, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """`count` fresh primary keys of `model` (in the caller's transaction). PostgreSQL: from the
    sequence, in one query, so concurrent writers never collide. SQLite: the next `count` above every
    key used, which holds while the transaction keeps the write lock and writes those rows."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The sequence looked up once: pg_get_serial_sequence is not folded into a constant, and
            # called per row it made the query several times slower.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
            return [pk for (pk,) in cursor.fetchall()]
    first = first_free_id(model, using)
    return list(range(first, first + count))


def first_free_id(model, using: str = DEFAULT_DB_ALIAS) -> int:
    """Above every key in use and every key handed out before (deleted rows' keys are not reused:
    their history rows still carry them)."""
    used = model._default_manager.using(using).aggregate(top=Max("pk"))["top"] or 0
    table = model._meta.db_table
    connection = connections[using]
    row = None
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}")
            row = cursor.fetchone()
    return max(used, row[0] if row and row[0] else 0) + 1


def catch_up_sequences(models_, using: str = DEFAULT_DB_ALIAS) -> None:
    """Rows were written with keys of their own (from `first_free_id`): move PostgreSQL's sequences
    past them (SQLite's AUTOINCREMENT follows by itself)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- writing -----------------------------------------------------------------------------------


class BulkWriter:
    """Inserts (and updates) rows in bulk inside the caller's transaction; `finish()` analyses what
    was written on PostgreSQL. Statement logging is bypassed (the driver's cursor, not Django's
    debug wrapper): a log line per row of a million-row load is the load's bottleneck."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using
        self.connection = connections[using]
        self.written: dict[str, None] = {}  # table names in the order first written

    def quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def insert(self, table: Table, rows: Iterable) -> None:
        """Rows (dicts or objects) into `table`, each prepared by the table."""
        self.insert_tuples(table.name, table.columns, table.tuples(rows))

    def insert_tuples(self, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
        """Tuples already in column order and ready for the driver."""
        names = ", ".join(self.quote(c) for c in columns)
        with self.connection.cursor() as wrapper:
            cursor = wrapper.cursor
            if self.connection.vendor == "postgresql":
                with cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {self.quote(table)} ({names}) VALUES ({marks})", rows)
        self.written[table] = None

    def insert_new(self, table: Table, rows: list, *, conflict: Sequence[str],
                   returning: Sequence[str]) -> list[tuple] | None:
        """Rows into `table`, except those whose `conflict` columns (a unique constraint) match a row already
        stored or an earlier one of these rows. Answers None when every row was new (all written), else
        `returning` of each row written, in no set order.

        How telemetry is stored once however often a device or the broker delivers it: no read before the
        write, and two writers racing meet at the unique index. PostgreSQL: first a plain COPY straight into
        the table in a savepoint, the fast path (repeats are rare: a device retrying after a lost answer, the
        broker delivering again after a restart); if the unique index refuses a row, the savepoint is rolled
        back and the rows go through a temporary staging table (made once per connection, emptied after use
        and at commit) and one INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING. SQLite: INSERT ...
        VALUES (...), ... ON CONFLICT DO NOTHING RETURNING, a few hundred rows per statement (the driver's
        executemany returns nothing)."""
        from django.db import transaction

        names = ", ".join(self.quote(c) for c in table.columns)
        target = ", ".join(self.quote(c) for c in conflict)
        answer = ", ".join(self.quote(c) for c in returning)
        self.written[table.name] = None
        if self.connection.vendor == "postgresql":
            import psycopg

            tuples = list(table.tuples(rows))
            try:
                with transaction.atomic(using=self.using):
                    with self.connection.cursor() as wrapper:
                        with wrapper.cursor.copy(f"COPY {self.quote(table.name)} ({names}) FROM STDIN") as copy:
                            for row in tuples:
                                copy.write_row(row)
                return None
            except psycopg.errors.UniqueViolation:
                pass  # a repeat among them: the slow path tells which
            with self.connection.cursor() as wrapper:
                cursor = wrapper.cursor
                stage = self.quote(f"stage_{table.name}")
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                               f"SELECT {names} FROM {self.quote(table.name)} WITH NO DATA")
                with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
                    for row in tuples:
                        copy.write_row(row)
                cursor.execute(f"INSERT INTO {self.quote(table.name)} ({names}) SELECT {names} FROM {stage} "
                               f"ON CONFLICT ({target}) DO NOTHING RETURNING {answer}")
                found = cursor.fetchall()
                cursor.execute(f"TRUNCATE {stage}")  # a second batch in the same transaction starts empty
            return found
        found = []
        with self.connection.cursor() as wrapper:
            cursor = wrapper.cursor
            marks = "(" + ", ".join(["%s"] * len(table.columns)) + ")"
            chunk = max(1, 30_000 // len(table.columns))  # under SQLite's 32,766 parameters
            tuples = table.tuples(rows)
            while batch := list(itertools.islice(tuples, chunk)):
                cursor.execute(f"INSERT INTO {self.quote(table.name)} ({names}) VALUES "
                               f"{', '.join([marks] * len(batch))} ON CONFLICT ({target}) DO NOTHING "
                               f"RETURNING {answer}", [value for row in batch for value in row])
                found.extend(cursor.fetchall())
        return found if len(found) < len(rows) else None

    def insert_select(self, table: str, columns: list[str], select: str, params: Iterable = ()) -> None:
        """INSERT INTO table (columns) SELECT ...: rows made in the database from rows already written
        (history, residences), with no value crossing to Python and back."""
        names = ", ".join(self.quote(c) for c in columns)
        with self.connection.cursor() as wrapper:
            wrapper.cursor.execute(f"INSERT INTO {self.quote(table)} ({names}) {select}", list(params))
        self.written[table] = None

    def keys_in(self, column: str, ids: list[int]) -> tuple[str, list]:
        """A condition `column` in `ids` (distinct keys) and its parameters: a range when the keys are
        consecutive (as reserved keys are), else one array (PostgreSQL) or JSON list (SQLite) parameter."""
        column = self.quote(column)
        low, high = min(ids), max(ids)
        if high - low + 1 == len(ids):  # distinct and consecutive: every key in the range is one of them
            return f"{column} BETWEEN %s AND %s", [low, high]
        if self.connection.vendor == "postgresql":
            return f"{column} = ANY(%s)", [list(ids)]
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]

    def history_of(self, model, ids: list[int], *, history_date, history_type: str = "+", history_user_id=None,
                   history_change_reason: str | None = None) -> None:
        """django-simple-history rows for the rows `ids` of `model` as they are now stored, copied in SQL
        (INSERT ... SELECT, in key order): what a save() of each would have recorded, without reading
        the rows back or building them in Python. `history_date` as the driver takes it."""
        if not ids:
            return
        history = model.history.model
        source = {f.column for f in model._meta.concrete_fields}
        fixed = {"history_date": history_date, "history_type": history_type, "history_user_id": history_user_id,
                 "history_change_reason": history_change_reason}
        postgres = self.connection.vendor == "postgresql"
        columns, selected, params = [], [], []
        for f in history._meta.concrete_fields:
            if f.primary_key:  # history_id: numbered by the database
                continue
            columns.append(f.column)
            if f.column in fixed:
                # Typed on PostgreSQL (a bare parameter in a select list is text); SQLite's CAST to
                # datetime would make a number of a date, and the column's affinity does the job.
                selected.append(f"CAST(%s AS {f.cast_db_type(self.connection)})" if postgres else "%s")
                params.append(fixed[f.column])
            elif f.column in source:
                selected.append(self.quote(f.column))
            else:
                raise ValueError(f"{history._meta.db_table}.{f.column} has no column in {model._meta.db_table}")
        condition, keys = self.keys_in(model._meta.pk.column, ids)
        self.insert_select(history._meta.db_table, columns,
                           f"SELECT {', '.join(selected)} FROM {self.quote(model._meta.db_table)} WHERE {condition} "
                           f"ORDER BY {self.quote(model._meta.pk.column)}", params + keys)

    def update(self, table: str, columns: list[str], keys: list[str], rows: Iterable[tuple], where: str = "") -> None:
        """UPDATE table SET columns WHERE keys = ... [AND where]; each row is (*values, *key values)."""
        assignments = ", ".join(f"{self.quote(c)} = %s" for c in columns)
        condition = " AND ".join([f"{self.quote(k)} = %s" for k in keys] + ([where] if where else []))
        with self.connection.cursor() as wrapper:
            wrapper.cursor.executemany(f"UPDATE {self.quote(table)} SET {assignments} WHERE {condition}", rows)
        self.written[table] = None

    def finish(self) -> None:
        """ANALYZE the tables written (PostgreSQL), so the planner knows their new sizes."""
        if self.written and self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(self.quote(t) for t in self.written))
        self.written.clear()


@contextmanager
def roomy_sqlite_cache(using: str = DEFAULT_DB_ALIAS, kib: int = 262_144):
    """SQLite's default 2 MB page cache thrashes on the random keys of hash and name indexes of a
    hundred thousand rows; a bigger one for the load halves its time. Nothing on PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
