from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensingConfig(AppConfig):
    name = "wangge.sensing"
    label = "sensing"
    verbose_name = _("Sensing")

    def ready(self):
        from wangge.core import pollers
        from wangge.sensing import connectivity, partitions, poller

        # Escalation of unacknowledged alerts and the rules on time (no activity, over-occupancy); devices offline
        # for long enough, one device_offline alert each (connectivity.py). What they raise is on the alert board
        # and in people's inboxes, so run_worker's printed counts stay the cases' and the tasks'.
        pollers.register("sensing_alerts", poller.poll, report=False)
        pollers.register("sensing.connectivity", connectivity.poll, report=False)
        # Next months' event tables made ahead, old events and dead letters expired (partitions.py); quiet
        # housekeeping, like core's sweep: run_worker prints only what needs a person's eye.
        pollers.register("sensing_events", partitions.poll, report=False)
