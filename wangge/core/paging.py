"""The API's paging: ninja's limit/offset paging with both numbers bounded (wangge.core.numbers).

Every list operation uses this `LimitOffsetPagination` (and `paginate`, re-exported) instead of ninja's own, whose
offset has no upper bound: `?offset=9223372036854775808` overflowed the database driver (a 500)."""
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffsetPagination
from ninja.pagination import paginate

from wangge.core.numbers import Count, PageSize

__all__ = ["LimitOffsetPagination", "paginate"]


class LimitOffsetPagination(NinjaLimitOffsetPagination):
    class Input(Schema):
        limit: PageSize = Field(ninja_settings.PAGINATION_PER_PAGE)
        offset: Count = Field(0)
