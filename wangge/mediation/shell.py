"""What the mediation pages add to the staff shell: the disputes menu. Each entry's check is the one its page
makes (views.require, require_registrar, require_court, require_mediator)."""
from django.utils.translation import gettext_lazy as _

from wangge.core import shell
from wangge.core.roles import Role
from wangge.mediation.workflow import is_court_handler


def _is_mediator(user) -> bool:
    return user.role == Role.MEDIATOR


stats = shell.perm("mediation.stats")
shell.register(
    shell.Item("disputes", _("Dispute ledger"), "mediation:ledger", shell.perm("mediation.view"),
               also=("mediation:detail",), html_id="nav-mediation"),
    shell.Item("disputes", _("My mediations"), "mediation:mobile_mine", _is_mediator,
               also=("mediation:mobile_card", "mediation:mobile_me")),
    shell.Item("disputes", _("Register a dispute"), "mediation:register",
               shell.perm("mediation.register", unless_role=Role.SYSTEM)),
    shell.Item("disputes", _("Court referrals"), "mediation:referrals", is_court_handler,
               also=("mediation:refer",)),
    shell.Item("disputes", _("Early warnings"), "mediation:warnings", stats),
    shell.Item("disputes", _("Dispute statistics"), "mediation:stats", stats, also=("mediation:stats_mediators",)),
)
# A mediator's day is their own mediations (我的调解), on a phone first.
shell.register_landing(Role.MEDIATOR, "mediation:mobile_mine", _is_mediator)
