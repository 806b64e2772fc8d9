"""Case workbenches (事件工作台): the command centre's queue, the supervision board, a department's inbox,
a grid worker's phone pages (report, mine) and the case page with its action forms.

The pages live in views_lists.py (queue, board, inbox, mine), views_case.py (case page and actions) and
views_report.py (上报 and the duplicate check); this module keeps what they share.

Every read goes through `Case.objects.visible_to(request.user)` or `get_visible_or_404`, so a case outside
the user's area answers 404. Every change goes through `services.do_act` / `do_report_case`; a refusal
(workflow, stale version, bad input) changes nothing and is shown with its reason.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from wangge.areas.models import Region
from wangge.cases.models import Case, CaseEvent
from wangge.core.models import Department
from wangge.core.refusals import require  # noqa: F401 (the pages' one permission check, re-exported)
from wangge.core.roles import Role, can
from wangge.core.scoping import ALL, scope_prefix
from wangge.core.staff import staff_labels, timeline_rows

PAGE_SIZE = 30

def require_reporter(user):
    """The report pages are for people: a connected system (Role.SYSTEM) reports through the API."""
    if not can(user, "cases.report") or user.role == Role.SYSTEM:
        raise PermissionDenied


def cases_for(user):
    """The user's cases, with what the lists show."""
    return Case.objects.visible_to(user).select_related(
        "category__major", "grid", "assignee_department", "assignee_region", "owner_region")


def ancestor_paths(path: str) -> list[str]:
    """"/51/5101/510107/" -> ["/51/", "/51/5101/", "/51/5101/510107/"]."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def departments_serving(user):
    """Departments a user may dispatch to: those serving the user's node (at or above it) and those inside it."""
    prefix = scope_prefix(user)
    if prefix is ALL:
        return Department.objects.select_related("region").order_by("code")
    if prefix is None:
        return Department.objects.none()
    return (Department.objects.filter(Q(region__path__in=ancestor_paths(prefix)) | Q(region__path__startswith=prefix))
            .select_related("region").order_by("code"))


def departments_for_case(case):
    """Departments serving the case's grid (at the grid or above it)."""
    return (Department.objects.filter(region__path__in=ancestor_paths(case.grid.path))
            .select_related("region").order_by("code"))


def lower_regions_for(case, user):
    """Levels below the user's own that hold the case (派往下级): the community, the grid, …"""
    if not user.region_id:
        return []
    own = user.region.path
    return list(Region.objects.filter(path__in=ancestor_paths(case.grid.path), path__startswith=own)
                .exclude(pk=user.region_id).order_by("path"))


def timeline(viewer, case) -> list[dict]:
    """The case's events, oldest first, each with the actor as the viewer may know them."""
    return timeline_rows(viewer, CaseEvent.objects.filter(case=case))


def reporter_label(viewer, case) -> str:
    if case.anonymous:
        return _("Anonymous")
    if case.reporter_id:
        return staff_labels(viewer, [case.reporter])[case.reporter_id]
    return case.reporter_name or "—"
