"""What the registry adds to the staff shell: the base-data menu and, on the grid worker's work home, the
visits due today and their grid's links."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core import shell
from wangge.core.roles import can
from wangge.registry.due import due_visits

HOME_LIMIT = 8  # visits listed on the work home; the rest are one tap away

reader = shell.perm("registry.view")
shell.register(
    shell.Item("base", _("Buildings"), "buildings", reader,
               also=("grid_buildings", "building", "house", "household_new")),
    shell.Item("base", _("Search"), "people_search", reader),
    shell.Item("base", _("People"), "people", reader, also=("person", "person_move", "person_edit", "people_export")),
    shell.Item("base", _("Visits due"), "visits_due", shell.perm("registry.edit"), also=("visit_new",), quick=2),
    shell.Item("base", _("Organisations"), "organisations", reader, also=("organisation", "organisation_new")),
    shell.Item("base", _("Key places"), "places", reader, also=("place", "place_new")),
    shell.Item("base", _("Vehicles"), "vehicles", reader, also=("vehicle_new",)),
    shell.Item("base", _("Population"), "population_home", reader, also=("population",)),
    shell.Item("base", _("Import"), "people_import", shell.perm("registry.import"), also=("people_import_commit",)),
)


def _visits_today(user):
    """Visits due today or overdue, for the work home."""
    if not can(user, "registry.edit"):
        return None
    today = timezone.localdate()
    due = due_visits(user, today=today, window_days=0)
    people = list(due[:HOME_LIMIT])
    for person in people:
        person.days_overdue = (today - person.due_on).days if person.due_on else 0
    return {"people": people, "more": len(people) == HOME_LIMIT and due.count() > HOME_LIMIT}


def _my_grid(user):
    node = user.scope_node
    if not can(user, "registry.view") or node is None or node.level != "grid":
        return None
    return {"grid": node}


shell.register_panel(shell.Panel("visits_today", "registry/_home_visits.html", _visits_today, order=20))
shell.register_panel(shell.Panel("my_grid", "registry/_home_grid.html", _my_grid, order=90))
