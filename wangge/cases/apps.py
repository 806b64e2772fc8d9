from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = "事件"

    def ready(self):
        from wangge.cases import poller
        from wangge.core import pollers

        pollers.register("cases", poller.poll)  # unsigned and overdue cases (run_worker prints its counts)
