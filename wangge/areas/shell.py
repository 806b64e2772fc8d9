"""What the region pages add to the staff shell: the grid worker's own grid in the base-data menu."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wangge.core import shell
from wangge.core.roles import Role


def _works_a_grid(user) -> bool:
    return user.role == Role.GRID_WORKER and user.region_id is not None


def _my_grid(user) -> str:
    return reverse("grid", args=[user.region.code])


shell.register(
    shell.Item("base", _("My grid"), _my_grid, _works_a_grid, also=("grid", "region"), quick=3),
)
