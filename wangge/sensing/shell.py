"""What sensing adds to the staff shell: the alert board and the devices (and, as they land, cards)."""
from django.utils.translation import gettext_lazy as _

from wangge.core import shell

shell.register(
    shell.Item("sensing", _("Alert board"), "sensing:alerts", shell.perm("sensing.view"), also=("sensing:alert",),
               html_id="nav-alerts"),
    shell.Item("sensing", _("Devices"), "sensing:devices", shell.perm("sensing.view"),
               also=("sensing:device", "sensing:device_map", "sensing:device_new", "sensing:device_edit"),
               html_id="nav-devices"),
)
