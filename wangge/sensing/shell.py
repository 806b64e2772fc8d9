"""What sensing adds to the staff shell: the alert board (and, as they land, devices and cards)."""
from django.utils.translation import gettext_lazy as _

from wangge.core import shell

shell.register(
    shell.Item("sensing", _("Alert board"), "sensing:alerts", shell.perm("sensing.view"), also=("sensing:alert",),
               html_id="nav-alerts"),
    shell.Item("sensing", _("Three-ones coverage"), "sensing:coverage", shell.perm("sensing.view"),
               also=("sensing:building",)),
)
