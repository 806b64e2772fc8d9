"""What assessment adds to the staff shell (group "insight"): the assessments (periods, rankings), appeals and the
year's best grid workers."""
from django.utils.translation import gettext_lazy as _

from wangge.core import shell

shell.register(
    shell.Item("insight", _("Assessment"), "assessment:index", shell.perm("assessment.view"),
               also=("assessment:period", "assessment:scheme", "assessment:scheme_edit", "assessment:scheme_new",
                     "assessment:score", "assessment:allowances", "assessment:spot_check"),
               html_id="nav-assessment"),
    shell.Item("insight", _("Appeals"), "assessment:appeals", shell.perm("assessment.view"),
               also=("assessment:appeal",)),
    shell.Item("insight", _("Best grid workers of the year"), "assessment:top", shell.perm("assessment.view")),
)
