"""The jurisdiction matrix: every endpoint and page that reads scoped data, one row each.

To put a new endpoint under the matrix, add a `Row` to the `ROWS` list of your
app's `tests/scope_rows.py` (create it if the app has none). The matrix test
then asks it, as every role, about a region inside the user's area and about
regions outside it, and proves that:

  * a URL about something outside the area answers 404 (never the record),
  * a URL about something inside answers 200 (or 403 where the role lacks the permission),
  * no answer mentions the code or name of any region outside the area
    (listed, shown, exported or counted), ancestors of the user's node aside,
  * `check(response, ctx)`, if given, holds (e.g. counts equal what the user may see).

`{code}` in a URL is replaced with the region code under test.

A URL about one record carries `{id}` instead (or the placeholder `record_key` names), and the row says which records to
ask about: `objects(world, user) -> (inside ids, outside ids)`; the same rules hold
(outside 404, inside 200 or 403). `setup(world)` makes the data a row needs; it is
called before the row is asked and must be safe to call twice.

An app's `scope_rows.py` may also define `FORBIDDEN`: callables `user -> strings`
(say, the names of people living outside the user's area) that no answer of any
row may contain.
"""
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Row:
    name: str
    url: str
    # Region levels that {code} may take; the matrix picks inside/outside targets at these levels.
    levels: tuple = ("district", "street", "community", "grid")
    # Roles that may use it; others must get 403 (or an empty answer, see `refused`).
    roles: tuple | None = None
    # How a role without permission is refused: "403", or "empty" (200 with nothing in it).
    refused: str = "403"
    check: Callable | None = None
    tags: set = field(default_factory=set)
    # For URLs with {id}: (world, user) -> (ids inside the user's area, ids outside it).
    objects: Callable | None = None
    # world -> None: make the records this row needs (idempotent).
    setup: Callable | None = None
    # The placeholder naming the record in a URL about one record: "id", or "code" for records found by a code
    # of their own (a device: /devices/{code}/events), whose `objects` answer codes.
    record_key: str = "id"

    @property
    def about_a_region(self) -> bool:
        return "{code}" in self.url and self.record_key != "code"

    @property
    def about_a_record(self) -> bool:
        return "{" + self.record_key + "}" in self.url
