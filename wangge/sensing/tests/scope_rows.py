"""The sensing app's rows of the jurisdiction matrix: each part keeps its own."""
from wangge.sensing.tests.scope_rows_events import FORBIDDEN as EVENT_FORBIDDEN
from wangge.sensing.tests.scope_rows_events import ROWS as EVENT_ROWS

ROWS = EVENT_ROWS
FORBIDDEN = EVENT_FORBIDDEN
