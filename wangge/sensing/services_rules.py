"""Rules as data (告警规则): set or remove the rule of an alert type for an area, with its audit row.

Thresholds are checked per type (what `rules.py` reads): whole numbers in a sensible range, and tags that
exist in the group the rule is about. A rule for an area overrides the one above it (rules.RuleBook)."""
from django.db import transaction
from django.utils.translation import gettext as _

from wangge.areas.models import Region
from wangge.core import audit
from wangge.core.scoping import ALL, scope_prefix
from wangge.core.services import FieldErrors, NotInArea, require
from wangge.sensing.models import AlertRule, AlertType, Severity
from wangge.sensing.rules import DEFAULTS, RuleBook

# name: (lowest, highest) of each whole-number threshold, by type; every type takes escalate_minutes.
NUMBERS = {
    AlertType.NO_ACTIVITY: {"hours": (1, 720)},
    AlertType.OVER_OCCUPANCY: {"days": (1, 90), "margin": (0, 50)},
    AlertType.DEVICE_OFFLINE: {"after_minutes": (1, 1440)},
}
ESCALATE = (1, 10080)
TAG_GROUPS = {AlertType.KEY_PERSON: "special", AlertType.NO_ACTIVITY: "care"}


def clean_params(type: str, given: dict) -> dict:
    """The thresholds of a rule of `type`, checked; FieldErrors naming each bad one."""
    from wangge.registry.models import Tag

    errors, params = {}, {}
    numbers = {**NUMBERS.get(type, {}), "escalate_minutes": ESCALATE}
    for name, (low, high) in numbers.items():
        raw = given.get(name)
        if raw in (None, ""):
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors[name] = _("A whole number, please")
            continue
        if not low <= value <= high:
            errors[name] = _("Between %(low)s and %(high)s") % {"low": low, "high": high}
            continue
        params[name] = value
    if type in TAG_GROUPS and given.get("tags") not in (None, "", []):
        tags = given["tags"] if isinstance(given["tags"], list) else str(given["tags"]).replace("，", ",").split(",")
        tags = [t.strip() for t in tags if str(t).strip()]
        known = set(Tag.objects.filter(code__in=tags, group=TAG_GROUPS[type]).values_list("code", flat=True))
        unknown = [t for t in tags if t not in known]
        if unknown:
            errors["tags"] = _("Not groups of this kind: %(tags)s") % {"tags": ", ".join(unknown)}
        else:
            params["tags"] = tags
    if errors:
        raise FieldErrors(errors)
    return params


def _area(actor, region: Region | None) -> None:
    prefix = scope_prefix(actor)
    if region is None:
        if prefix is not ALL:
            raise NotInArea(_("Only an administrator sets the rules for everywhere."))
        return
    if prefix is not ALL and (prefix is None or not region.path.startswith(prefix)):
        raise NotInArea(_("The area is outside yours."))


@transaction.atomic
def do_set_rule(actor, type: str, region: Region | None, *, enabled: bool = True, severity: str = "",
                params: dict | None = None) -> AlertRule:
    require(actor, "sensing.edit_rules")
    if type not in AlertType.values:
        raise FieldErrors({"type": _("Unknown alert type")})
    _area(actor, region)
    severity = severity or DEFAULTS[type][0]
    if severity not in Severity.values:
        raise FieldErrors({"severity": _("Unknown severity")})
    cleaned = clean_params(type, params or {})
    rule, created = AlertRule.objects.update_or_create(type=type, region=region, defaults={
        "enabled": bool(enabled), "severity": severity, "params": cleaned})
    audit.record(actor, "sensing.set_rule", rule, type=type, area=region.code if region else None,
                 enabled=rule.enabled, severity=severity, params=cleaned, created=created)
    RuleBook.forget()
    return rule


@transaction.atomic
def do_remove_rule(actor, rule: AlertRule) -> None:
    require(actor, "sensing.edit_rules")
    _area(actor, rule.region)
    audit.record(actor, "sensing.remove_rule", rule, type=rule.type, area=rule.region.code if rule.region else None)
    rule.delete()
    RuleBook.forget()
