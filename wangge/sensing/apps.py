from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensingConfig(AppConfig):
    name = "wangge.sensing"
    label = "sensing"
    verbose_name = _("Sensing")

    def ready(self):
        from wangge.core import pollers
        from wangge.sensing import partitions

        # Next months' event tables made ahead, old events and dead letters expired (partitions.py); quiet
        # housekeeping, like core's sweep: run_worker prints only what needs a person's eye.
        pollers.register("sensing_events", partitions.poll, report=False)
