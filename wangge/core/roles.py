"""Roles and what each may do.

A role says *what* a user may do; the node the user is bound to (a region or a
department) says *where*. Permission names are checked with `can(user, perm)`.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_OPERATOR = "district_operator", _("District operator")
    STREET_OPERATOR = "street_operator", _("Street operator")
    COMMUNITY_OPERATOR = "community_operator", _("Community operator")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    MEDIATOR = "mediator", _("Mediator")
    ADMINISTRATOR = "administrator", _("Administrator")
    # 接入系统: a device platform, video analytics or another government system reporting by API token.
    SYSTEM = "system", _("Connected system")


# The region level each region-bound role is expected to sit at.
ROLE_LEVEL = {
    Role.DISTRICT_OPERATOR: "district",
    Role.STREET_OPERATOR: "street",
    Role.COMMUNITY_OPERATOR: "community",
    Role.GRID_WORKER: "grid",
}

OPERATORS = {Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR}

PERMISSIONS: dict[str, set[str]] = {
    "areas.view": set(Role),
    "areas.edit": {Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR},
    "areas.export": {Role.ADMINISTRATOR, *OPERATORS},
    "team.edit": {Role.ADMINISTRATOR, *OPERATORS},
    "audit.view": {Role.ADMINISTRATOR},
    # 工作日历: loading the State Council's holiday arrangement (and being reminded to).
    "calendar.edit": {Role.ADMINISTRATOR},
    "staff.view": {Role.ADMINISTRATOR, *OPERATORS},
    # Special groups (社区矫正、吸毒、严重精神障碍…) only for those who manage or visit them.
    "registry.view": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER},
    "registry.view_special": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER},
    "registry.edit": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER},
    "registry.import": {Role.ADMINISTRATOR, *OPERATORS},
    "registry.export": {Role.ADMINISTRATOR, *OPERATORS},
    "registry.export_unmasked": {Role.ADMINISTRATOR},
    "registry.visit": {Role.GRID_WORKER, Role.COMMUNITY_OPERATOR},
    # Who takes which workflow action is in wangge/cases/workflow.py's table; these cover the rest.
    "cases.view": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER},
    "cases.report": {*OPERATORS, Role.GRID_WORKER, Role.SYSTEM},
    "cases.supervise": {Role.ADMINISTRATOR, *OPERATORS},
    "cases.stats": {Role.ADMINISTRATOR, *OPERATORS, Role.DEPARTMENT_HANDLER},
    "cases.edit_catalogue": {Role.ADMINISTRATOR},
    # Disputes: who takes which mediation action is in wangge/mediation/workflow.py's table.
    "mediation.view": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER},
    "mediation.register": {*OPERATORS, Role.GRID_WORKER, Role.MEDIATOR},
    "mediation.stats": {Role.ADMINISTRATOR, *OPERATORS},
    # 调解组织与调解员名录: the district operator keeps the whole district's, a street operator their street's.
    "mediation.edit_committees": {Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR},
    # Sensing: devices, cards, events and alerts (who takes which alert action is in wangge/sensing/workflow.py).
    "sensing.view": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER},
    "sensing.edit_devices": {Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR},
    # Access records say who passed which door when: the centres and the grid team of the area.
    "sensing.view_events": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER},
    "sensing.open_camera": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER},
    # e居通卡 are issued at the community's service desk (and by the grid worker on a visit).
    "sensing.cards": {Role.ADMINISTRATOR, Role.COMMUNITY_OPERATOR, Role.STREET_OPERATOR, Role.GRID_WORKER},
    "sensing.edit_rules": {Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR},
    # Insight: the one map (一张图), early warnings and the 研判 reports are the command centres'.
    "insight.view": {Role.ADMINISTRATOR, *OPERATORS},
    # 考核: the centres assess the levels below them; those assessed see (and may appeal) their own scores.
    "assessment.view": {Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER},
    "assessment.manage": {Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR},
    "assessment.appeal": {*OPERATORS, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER},
}


def can(user, permission: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in PERMISSIONS.get(permission, ())
