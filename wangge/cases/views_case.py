"""The case page (案卷): header, description, map, photos, people, timeline, duplicates and one form per
allowed action; and the POST that takes an action.

Action-form contract (the browser tests drive it): each allowed action is a
`<form method="post" action="/cases/<pk>/act/<action>/" data-action="<action>">` with a hidden `version`
and inputs named exactly as the action's parameters (the workflow table's `params`), and one submit button.

A refused action changes nothing and re-renders the case page with the reason, at the status the API gives the
same refusal (wangge/core/refusals.py): 404 outside the area, 403 a role that may not, 409 not in this state,
refused by a guard or a stale version, 422 bad input.
"""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wangge.cases import services, workflow
from wangge.cases.models import Case, CasePhoto
from wangge.cases.templatetags.cases_tags import RATING_LABELS
from wangge.cases.views import (
    cases_for,
    departments_for_case,
    lower_regions_for,
    require,
    timeline,
)
from wangge.core.redirects import safe_back, safe_next
from wangge.core.refusals import take_posted_action
from wangge.core.roles import OPERATORS
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import OperationError
from wangge.core.staff import staff_labels, staff_name


def _people(viewer, case) -> dict:
    """Who reported it and who entered it; phones masked. Staff are named only when the viewer may know them."""
    staff = staff_labels(viewer, [case.reporter]) if case.reporter_id else {}
    entered_by = staff.get(case.reporter_id)
    if case.anonymous:
        reporter = _("Anonymous")
    elif case.reporter_id and case.reporter_name == staff_name(case.reporter):
        reporter, entered_by = entered_by, None  # a staff member reporting themselves
    else:
        reporter = case.reporter_name or "—"
    return {"reporter": reporter, "entered_by": entered_by,
            "reporter_phone": "" if case.anonymous else case.reporter_phone}


def _duplicates(user, case, allowed):
    """Possible duplicates an operator may merge this case into (only cases the operator sees)."""
    if "merge" not in allowed or case.lng is None:
        return []
    from wangge.cases.duplicates import find_duplicates

    return find_duplicates(case.category, case.lng, case.lat, f"{case.title} {case.description}",
                           exclude_id=case.pk, limit=5, queryset=cases_for(user))


def case_context(request, case, *, failed_action=None, error=None, values=None) -> dict:
    user = request.user
    allowed = workflow.allowed_actions(case, user)
    offered = [(a, workflow.FLOW.params(a)) for a in allowed]
    if "register" in allowed:  # 立案并派遣 in one step, beside the two steps
        offered.append(("register_dispatch", workflow.REGISTER_DISPATCH_PARAMS))
    rank = {a: i for i, a in enumerate(workflow.USUAL_FIRST)}
    offered.sort(key=lambda pair: rank.get(pair[0], len(rank)))  # stable: the rest keep the table's order
    forms = [{"action": a, "label": workflow.FLOW.label(a), "params": params,
              "error": error if a == failed_action else None,
              "values": (values or {}) if a == failed_action else {}} for a, params in offered]
    dispatching = "dispatch" in allowed or "register" in allowed
    back = safe_back(request)
    context = {
        # Opened from a list: "back" returns to it, at the same page and row; an action keeps it.
        "back": back, "next": (reverse("cases:detail", args=[case.pk]) + "?" + urlencode({"from": back})) if back
        else "",
        "case": case, "forms": forms, "allowed": allowed, "timeline": timeline(user, case),
        "photos": CasePhoto.objects.filter(case=case).order_by("uploaded_at", "id"),
        "duplicates": _duplicates(user, case, allowed),
        "departments": departments_for_case(case) if dispatching else [],
        "catalogue_departments": services.departments_for(case) if dispatching else [],
        "lower_regions": lower_regions_for(case, user) if dispatching else [],
        "ratings": list(RATING_LABELS.items()), "error": error, "failed_action": failed_action,
        "merged_into": (cases_for(user).filter(pk=case.merged_into_id).first() if case.merged_into_id else None),
        "is_operator": user.role in OPERATORS,
        "photo_actions": set(services.PHOTO_STAGES),
        **_people(user, case),
    }
    return context


@login_required
@require_GET
def detail(request, pk):
    require(request.user, "cases.view")
    case = get_visible_or_404(cases_for(request.user).select_related("reporter", "category__major"),
                              request.user, pk=pk)
    return render(request, "cases/detail.html", case_context(request, case))


def _params(request, action) -> dict:
    """The action's inputs as posted; an empty department or region means "not chosen"."""
    params = {}
    for name in workflow.FLOW.params(action):
        value = (request.POST.get(name) or "").strip()
        if name in ("department", "region"):
            if not value:
                continue
            if not value.isdigit():
                raise OperationError(_("Choose from the list"), field=name)
            value = int(value)
        params[name] = value
    return params


def _into(user, value):
    """The original of a merge, given by id or by its number, among the cases the user sees."""
    if not value:
        raise OperationError(_("Choose the original case"), field="into")
    cases = cases_for(user)
    found = cases.filter(pk=int(value)).first() if value.isdigit() else cases.filter(number=value.upper()).first()
    if found is None:
        raise OperationError(_("Original case not found in your area"), field="into")
    return found


@login_required
@require_POST
def act(request, pk, action):
    """Take one action on a case (POST from the case page, the board or the inbox); with photos on the
    handle and verify forms, one operation (services.do_act)."""
    user = request.user
    require(user, "cases.view")
    if action == "register_dispatch":
        return _register_dispatch(request, pk)
    if action not in workflow.ACTIONS:
        raise Http404
    case = get_visible_or_404(cases_for(user).select_related("reporter"), user, pk=pk)
    files = request.FILES.getlist("photos") if action in services.PHOTO_STAGES else []

    def read_params():
        params = _params(request, action)
        if action == "merge":
            params["into"] = _into(user, params["into"])
        return {**params, "photos": files}

    fresh, refused = take_posted_action(request, workflow.FLOW, case, action, services.do_act, read_params)
    if refused:
        return _refused(request, case, action, refused)
    here = reverse("cases:detail", args=[case.pk])
    target = safe_next(request, here)
    if target == here and not cases_for(user).filter(pk=case.pk).exists():
        target = reverse("cases:inbox")  # returned by a department: no longer theirs to see
    return redirect(target)


def _register_dispatch(request, pk):
    """立案并派遣: both steps in one operation; refused as a whole (the case stays as it was)."""
    user = request.user
    case = get_visible_or_404(cases_for(user).select_related("reporter"), user, pk=pk)

    def read_params():
        params = _params(request, "dispatch")
        return {"department": params.get("department"), "region": params.get("region"),
                "instructions": params.get("note", "")}

    def operation(actor, record, action, expected_version, **params):
        return services.do_register_and_dispatch(actor, record, expected_version=expected_version, **params)

    fresh, refused = take_posted_action(request, workflow.FLOW, case, "register_dispatch", operation, read_params,
                                        param_names=workflow.REGISTER_DISPATCH_PARAMS)
    if refused:
        return _refused(request, case, "register_dispatch", refused)
    return redirect(safe_next(request, reverse("cases:detail", args=[case.pk])))


def _refused(request, case, action, refused):
    case = Case.objects.select_related("category__major", "grid", "assignee_department", "assignee_region",
                                       "owner_region", "reporter").get(pk=case.pk)
    context = case_context(request, case, failed_action=action, error=refused.message, values=refused.values)
    return render(request, "cases/detail.html", context, status=refused.status)

