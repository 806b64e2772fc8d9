from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from wangge.cases import poller
        from wangge.core import pollers

        pollers.register("cases", poller.poll)  # unsigned and overdue cases (run_worker prints its counts)
