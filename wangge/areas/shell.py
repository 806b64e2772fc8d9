"""What the region pages add to the staff shell: the grid worker's own grid in the base-data menu, and the map
for those whose home is their work (a department handler's 待办, a mediator's 我的调解)."""
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


def _lands_elsewhere(user) -> bool:
    return shell.landing_for(user) is not None


shell.register(shell.Item("base", _("Map"), "map_home", _lands_elsewhere, html_id="nav-map"))
