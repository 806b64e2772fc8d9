"""The sensing app's rows of the jurisdiction matrix: each part keeps its own."""
from wangge.sensing.tests.scope_rows_alerts import FORBIDDEN as ALERT_FORBIDDEN
from wangge.sensing.tests.scope_rows_alerts import ROWS as ALERT_ROWS
from wangge.sensing.tests.scope_rows_devices import FORBIDDEN as DEVICE_FORBIDDEN
from wangge.sensing.tests.scope_rows_devices import ROWS as DEVICE_ROWS
from wangge.sensing.tests.scope_rows_events import FORBIDDEN as EVENT_FORBIDDEN
from wangge.sensing.tests.scope_rows_events import ROWS as EVENT_ROWS

ROWS = ALERT_ROWS + DEVICE_ROWS + EVENT_ROWS
FORBIDDEN = ALERT_FORBIDDEN + DEVICE_FORBIDDEN + EVENT_FORBIDDEN
