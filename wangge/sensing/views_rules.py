"""告警规则: the rules in force for the user's area — the defaults and every area's own — and a form to set or
remove one (sensing.edit_rules)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wangge.areas.models import Region
from wangge.core.refusals import page_status
from wangge.core.roles import can
from wangge.core.scoping import ALL, get_visible_or_404, scope_prefix
from wangge.core.services import FieldErrors, OperationError, require
from wangge.sensing import services_rules
from wangge.sensing.models import AlertRule, AlertType, Severity
from wangge.sensing.rules import DEFAULTS

PARAM_NAMES = ("hours", "days", "margin", "after_minutes", "escalate_minutes", "tags")


def _rules(user):
    prefix = scope_prefix(user)
    rules = AlertRule.objects.select_related("region").order_by("type", "region__path")
    if prefix is ALL:
        return rules
    # The user's own area's rules and those below; and the ones above, which apply to them too.
    above = [p for p in _ancestors(prefix)]
    from django.db.models import Q

    return rules.filter(Q(region__path__startswith=prefix) | Q(region__path__in=above) | Q(region__isnull=True))


def _ancestors(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def _context(request, *, error=None, errors=None, values=None) -> dict:
    user = request.user
    return {
        "defaults": [(t, label, DEFAULTS[t][0], DEFAULTS[t][1]) for t, label in AlertType.choices],
        "rules": list(_rules(user)), "types": AlertType.choices, "severities": Severity.choices,
        "can_edit": can(user, "sensing.edit_rules"), "error": error, "errors": errors or {},
        "values": values or {"enabled": True}, "params": PARAM_NAMES,
    }


@login_required
@require_http_methods(["GET", "POST"])
def rules_page(request):
    user = request.user
    require(user, "sensing.view")
    if request.method == "GET":
        return render(request, "sensing/rules.html", _context(request))
    values = {name: (request.POST.get(name) or "").strip() for name in ("type", "area", "severity", *PARAM_NAMES)}
    values["enabled"] = request.POST.get("enabled") == "1"
    try:
        area = get_visible_or_404(Region.objects.all(), user, code=values["area"]) if values["area"] else None
        services_rules.do_set_rule(user, values["type"], area, enabled=values["enabled"], severity=values["severity"],
                                   params={name: values[name] for name in PARAM_NAMES})
    except OperationError as exc:
        errors = exc.errors if isinstance(exc, FieldErrors) else {}
        return render(request, "sensing/rules.html", _context(request, error=exc.message, errors=errors,
                                                             values=values), status=page_status(exc))
    messages.success(request, _("Rule saved"))
    return redirect(reverse("sensing:rules"))


@login_required
@require_POST
def rule_remove(request, pk):
    require(request.user, "sensing.edit_rules")
    rule = _rules(request.user).filter(pk=pk).first()
    if rule is None:
        from django.http import Http404

        raise Http404
    try:
        services_rules.do_remove_rule(request.user, rule)
    except OperationError as exc:
        return render(request, "sensing/rules.html", _context(request, error=exc.message), status=page_status(exc))
    messages.success(request, _("Rule removed"))
    return redirect(reverse("sensing:rules"))
