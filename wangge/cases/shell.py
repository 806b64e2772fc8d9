"""What the case workbenches add to the staff shell: the cases menu and, on the grid worker's work home, the
cases waiting for them. Each entry's check is the one its page makes (views.require / require_reporter)."""
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import State
from wangge.core import shell
from wangge.core.roles import OPERATORS, Role, can

HOME_LIMIT = 8

reporter = shell.perm("cases.report", unless_role=Role.SYSTEM)  # a connected system reports through the API
shell.register(
    shell.Item("cases", _("Case queue"), "cases:queue", shell.perm("cases.view"), also=("cases:detail",)),
    shell.Item("cases", _("Supervision"), "cases:board", shell.perm("cases.supervise")),
    shell.Item("cases", _("Case statistics"), "cases:stats", shell.perm("cases.stats")),
    # An administrator is never assigned a case: their inbox would always be empty.
    shell.Item("cases", _("To do"), "cases:inbox", shell.perm("cases.view", unless_role=Role.ADMINISTRATOR)),
    shell.Item("cases", _("Report a case"), "cases:report", reporter, quick=1),
    shell.Item("cases", _("My cases"), "cases:mine", reporter),
)


def _waiting(user):
    """Cases dispatched to the user and not yet done (to accept, to handle), soonest deadline first."""
    if not can(user, "cases.view"):
        return None
    from wangge.cases.views_lists import assigned_to

    waiting = assigned_to(user).filter(state__in=(State.DISPATCHED, State.ACCEPTED)).order_by("handle_by", "id")
    cases = list(waiting[:HOME_LIMIT])
    return {"cases": cases, "more": len(cases) == HOME_LIMIT and waiting.count() > HOME_LIMIT}


shell.register_panel(shell.Panel("cases_waiting", "cases/_home_tasks.html", _waiting, order=10))
# A department handler's day is the cases dispatched to their department (待办).
shell.register_landing(Role.DEPARTMENT_HANDLER, "cases:inbox", shell.perm("cases.view"))
# An operator's day is the queue: what to register, dispatch and verify, counted on its tabs.
for _operator in OPERATORS:
    shell.register_landing(_operator, "cases:queue", shell.perm("cases.view"))
