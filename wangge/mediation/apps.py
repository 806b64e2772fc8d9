from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "wangge.mediation"
    label = "mediation"
    verbose_name = _("Disputes")

    def ready(self):
        from wangge.core import pollers
        from wangge.mediation import poller

        # overdue disputes and petition reminders (counts not printed by run_worker)
        pollers.register("mediation", poller.poll, report=False)
