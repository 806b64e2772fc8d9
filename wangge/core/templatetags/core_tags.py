"""Template filters every page uses: permission checks and masked personal data.

A builtin library (settings.TEMPLATES), so a template needs no {% load %} for them."""
from django import template

from wangge.core.personal import mask_id_number, mask_phone
from wangge.core.roles import can as role_can

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """{% if user|can:"cases.dispatch" %}: the same rule as every operation's check."""
    return role_can(user, permission)


@register.filter(name="mask_phone")
def mask_phone_filter(value) -> str:
    """13812345678 -> 138****5678."""
    return mask_phone(value or "")


@register.filter
def mask_id(value) -> str:
    """510107199001011234 -> 510107********1234: the only way an ID number reaches a page."""
    return mask_id_number(value or "")
