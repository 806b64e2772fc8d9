"""The mediation app's rows of the jurisdiction matrix: each part keeps its own."""
from wangge.mediation.tests.scope_rows_api import ROWS as API_ROWS
from wangge.mediation.tests.scope_rows_directory import ROWS as DIRECTORY_ROWS
from wangge.mediation.tests.scope_rows_mobile import ROWS as MOBILE_ROWS
from wangge.mediation.tests.scope_rows_pages import ROWS as PAGE_ROWS
from wangge.mediation.tests.scope_rows_stats import ROWS as STATS_ROWS
from wangge.mediation.tests.scope_rows_warnings import ROWS as WARNING_ROWS

ROWS = API_ROWS + PAGE_ROWS + MOBILE_ROWS + STATS_ROWS + WARNING_ROWS + DIRECTORY_ROWS


def _outside_dispute_numbers(user):
    """No answer of any row may name a dispute the user may not see (numbers are fixed-length)."""
    from wangge.mediation.models import Dispute

    visible = Dispute.objects.visible_to(user).values("pk")
    return list(Dispute.objects.exclude(pk__in=visible).values_list("number", flat=True))


FORBIDDEN = [_outside_dispute_numbers]
