from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "wangge.mediation"
    label = "mediation"
    verbose_name = "矛盾纠纷"

    def ready(self):
        from wangge.core import pollers
        from wangge.mediation import poller

        # overdue disputes and petition reminders (counts not printed by run_worker)
        pollers.register("mediation", poller.poll, report=False)
