"""What insight adds to the staff shell: the one map, early warnings and the 研判 reports (assessment has its
own shell.py)."""
from django.utils.translation import gettext_lazy as _

from wangge.core import shell

# The one map (一张图): the command centres' first screen of the insight group.
shell.register(shell.Item("insight", _("One map"), "insight:onemap", shell.perm("insight.view"),
                          also=("insight:onemap_region",), html_id="nav-onemap"))

# Early warnings and reports.
shell.register(
    shell.Item("insight", _("Early warnings"), "insight:warnings", shell.perm("insight.view"),
               also=("insight:warning",), html_id="nav-early-warnings"),
    shell.Item("insight", _("Situation reports"), "insight:reports", shell.perm("insight.view"),
               html_id="nav-insight-reports"),
)
