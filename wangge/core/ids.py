"""Row ids from text (query strings, form fields): a whole number that fits the 64-bit id column, or None.

A longer string of digits is not an id; passed on, it overflows the database driver (a 500 instead of
"nothing found")."""
from wangge.core.numbers import MAX_ID

__all__ = ["MAX_ID", "as_row_id"]


def as_row_id(value) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
