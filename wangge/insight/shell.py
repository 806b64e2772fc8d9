"""What insight adds to the staff shell: the one map, early warnings and the 研判 reports (assessment has its
own shell.py)."""
from django.utils.translation import gettext_lazy as _  # noqa: F401

from wangge.core import shell  # noqa: F401

# The one map (一张图): added with the map.

# Early warnings and reports.
shell.register(
    shell.Item("insight", _("Early warnings"), "insight:warnings", shell.perm("insight.view"),
               also=("insight:warning",), html_id="nav-early-warnings"),
    shell.Item("insight", _("Situation reports"), "insight:reports", shell.perm("insight.view"),
               html_id="nav-insight-reports"),
)
