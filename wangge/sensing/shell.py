"""What sensing adds to the staff shell: the alert board and the devices (and, as they land, cards)."""
from django.utils.translation import gettext_lazy as _

from wangge.core import shell

shell.register(
    shell.Item("sensing", _("Alert board"), "sensing:alerts", shell.perm("sensing.view"), also=("sensing:alert",),
               html_id="nav-alerts"),
    shell.Item("sensing", _("Three-ones coverage"), "sensing:coverage", shell.perm("sensing.view"),
               also=("sensing:building",)),
    shell.Item("sensing", _("Card holders"), "sensing:holders", shell.perm("sensing.view")),
    shell.Item("sensing", _("Alert rules"), "sensing:rules", shell.perm("sensing.edit_rules")),
    shell.Item("sensing", _("Devices"), "sensing:devices", shell.perm("sensing.view"),
               also=("sensing:device", "sensing:device_map", "sensing:device_new", "sensing:device_edit"),
               html_id="nav-devices"),
)

HOME_LIMIT = 6


def _open_alerts(user):
    """The open alerts of the grid worker's area, the gravest first (as on the board: a critical alert is never
    pushed off the few shown by minor ones), then the most recent: acknowledged in place, or opened to act."""
    from wangge.core.roles import can
    from wangge.sensing.alerts import DEFAULT_SORT, SORTS
    from wangge.sensing.models import Alert

    if not can(user, "sensing.view"):
        return None
    alerts = Alert.objects.visible_to(user).open().select_related("grid").order_by(*SORTS[DEFAULT_SORT])
    shown = list(alerts[:HOME_LIMIT + 1])
    return {"alerts": shown[:HOME_LIMIT], "more": len(shown) > HOME_LIMIT}


# On the grid worker's phone, after the cases waiting for them and before today's visits.
shell.register_panel(shell.Panel("alerts_open", "sensing/_home_alerts.html", _open_alerts, order=15))
