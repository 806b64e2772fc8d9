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

    @property
    def about_a_region(self) -> bool:
        return "{code}" in self.url
