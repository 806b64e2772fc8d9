"""Numbers read from a request (a query string, a path, a form), bounded here once for every API.

A number beyond what a column or a driver holds does not find nothing: passed on, it overflows the database
driver (SQLite "datatype mismatch", PostgreSQL "bigint out of range") and the request answers 500. So every
integer an API operation reads from its path or query string is one of these types, and an out-of-range value
is a 422 naming the field before any query runs. Coordinates are bounded the same way.
`wangge/core/tests/test_numbers.py` fails for a numeric path or query parameter without bounds in the OpenAPI
document, so a new app cannot forget.
"""
from typing import Annotated

from pydantic import Field

#: The largest row id: the 64-bit id column (and SQLite's INTEGER).
MAX_ID = 2 ** 63 - 1
#: The largest count, offset, page size or page number: no table holds more rows, and the sum of an offset and a
#: page size still fits a 64-bit integer (LIMIT/OFFSET in SQL).
MAX_COUNT = 2 ** 31 - 1

#: A row id from a path or a query string (`/cases/{id}`, `?committee=`).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: An offset or a count of rows (`?offset=`).
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
#: How many rows a page holds, or a page number (`?limit=`, `?page=`).
PageSize = Annotated[int, Field(ge=1, le=MAX_COUNT)]
#: A longitude or latitude in degrees (no infinity, no NaN: `?lng=inf` parses as a float).
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
