"""The insight app's rows of the jurisdiction matrix: each part keeps its own (assessment is its own app, in
insight's folder, so its rows are collected here)."""
from wangge.insight.assessment.tests.scope_rows import FORBIDDEN as ASSESSMENT_FORBIDDEN
from wangge.insight.assessment.tests.scope_rows import ROWS as ASSESSMENT_ROWS
from wangge.insight.tests.scope_rows_map import FORBIDDEN as MAP_FORBIDDEN
from wangge.insight.tests.scope_rows_map import ROWS as MAP_ROWS
from wangge.insight.tests.scope_rows_warnings import FORBIDDEN as WARNING_FORBIDDEN
from wangge.insight.tests.scope_rows_warnings import ROWS as WARNING_ROWS

ROWS = MAP_ROWS + WARNING_ROWS + ASSESSMENT_ROWS
FORBIDDEN = MAP_FORBIDDEN + WARNING_FORBIDDEN + ASSESSMENT_FORBIDDEN
