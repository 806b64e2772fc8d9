"""What insight adds to the staff shell: the one map, early warnings and the 研判 reports (assessment has its
own shell.py)."""
from django.utils.translation import gettext_lazy as _  # noqa: F401

from wangge.core import shell  # noqa: F401

# The one map (一张图): added with the map.

# Early warnings and reports: added with them.
