"""The cases app's rows of the jurisdiction matrix: the API, the pages and the measures keep their own."""
from wangge.cases.tests.scope_rows_api import ROWS as API_ROWS
from wangge.cases.tests.scope_rows_pages import ROWS as PAGE_ROWS
from wangge.cases.tests.scope_rows_stats import ROWS as STATS_ROWS

ROWS = API_ROWS + PAGE_ROWS + STATS_ROWS


def _outside_case_numbers(user):
    """No answer of any row may name a case outside the user's area (numbers are fixed-length, so no prefixes)."""
    from wangge.cases.models import Case

    visible = Case.objects.visible_to(user).values("pk")
    return list(Case.objects.exclude(pk__in=visible).values_list("number", flat=True))


FORBIDDEN = [_outside_case_numbers]
