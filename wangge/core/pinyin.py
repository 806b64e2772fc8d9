"""Pinyin initials for search: "武侯大道3号" -> "whdd3h", so "wh" finds 武侯… (pypinyin, the maintained library
every Chinese project uses for this). Letters and digits are kept as they are, lower-cased; anything else is
dropped. A small memo keeps the names a search reads again and again (buildings, places, regions)."""
import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

KEEP = re.compile(r"[^0-9a-z]")
# A query that is only Latin letters and digits may be pinyin initials.
INITIALS_QUERY = re.compile(r"^[0-9a-z]+$")


@lru_cache(maxsize=300_000)
def initials(text: str) -> str:
    if not text:
        return ""
    letters = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default", strict=False))
    return KEEP.sub("", letters.lower())


def as_initials_query(text: str) -> str | None:
    """The query as initials to look for ("W H" -> "wh"), or None when it is not that kind of query."""
    squeezed = "".join((text or "").split()).lower()
    return squeezed if squeezed and INITIALS_QUERY.match(squeezed) else None
