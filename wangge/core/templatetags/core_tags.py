"""Template filters every page uses: permission checks and masked personal data.

A builtin library (settings.TEMPLATES), so a template needs no {% load %} for them."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language, gettext

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


@register.filter
def money(amount) -> str:
    """An amount in 元 as people read it: in Chinese, 1,137.27 万元 from ten thousand up and 8,500.00 元 below;
    in other languages the whole amount with grouped digits (113,726,590.00 yuan)."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if get_language().startswith("zh") and abs(value) >= 10_000:
        wan = (value / 10_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return gettext("%(amount)s ten thousand yuan") % {"amount": f"{wan:,.2f}"}
    # Grouped by thousands in every language (Django's zh-Hans format groups nothing).
    return gettext("%(amount)s yuan") % {"amount": f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"}
