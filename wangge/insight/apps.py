from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "wangge.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self):
        from wangge.core import pollers
        from wangge.insight import poller as warnings_poller
        from wangge.insight import rollups

        # The rollups behind the one map: the days touched since the last round recomputed (docs/insight.md).
        pollers.register("insight_rollups", rollups.poll, report=False)
        # The early warnings (hourly) and the monthly 研判 reports (docs/early-warning.md, docs/insight-report.md):
        # quiet in run_worker's printed counts, like sensing's (what they make is on the board and in inboxes).
        pollers.register("insight_warnings", warnings_poller.poll, report=False)
