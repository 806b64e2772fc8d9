"""Human-readable record numbers: a prefix, the date and the day's sequence (WG20261124000123).

The sequence is claimed from a per-day counter row (a model with `day` and `last`) inside the caller's
transaction. The UPDATE holds the day's row until commit, so two records at the same moment wait for each other
instead of reading the same last number (on PostgreSQL); SQLite's IMMEDIATE transactions serialise anyway.
"""
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.services import OperationError


def next_day_number(counter_model, prefix: str, now, width: int = 6) -> str:
    day = timezone.localtime(now).date()
    table = connection.ops.quote_name(counter_model._meta.db_table)
    for _attempt in range(2):
        # UPDATE … RETURNING (PostgreSQL, SQLite ≥ 3.35): claim and read the number in one statement.
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last",
                           [connection.ops.adapt_datefield_value(day)])
            row = cursor.fetchone()
        if row:
            return f"{prefix}{day:%Y%m%d}{row[0]:0{width}d}"
        try:
            with transaction.atomic():
                counter_model.objects.create(day=day, last=1)
            return f"{prefix}{day:%Y%m%d}{1:0{width}d}"
        except IntegrityError:
            continue  # another writer made the day's row first: claim from it
    raise OperationError(_("Numbering is busy: please try again"))
