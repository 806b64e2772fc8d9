"""Template helpers for the registry pages: masking, age, permissions."""
from datetime import date

from django import template
from django.utils import timezone

from wangge.core.personal import mask_id_number, mask_phone
from wangge.core.roles import can as role_can

register = template.Library()


@register.filter
def mask_id(value) -> str:
    """510107199001011234 -> 510107********1234: the only way an ID number reaches a page."""
    return mask_id_number(value or "")


@register.filter(name="mask_phone")
def mask_phone_filter(value) -> str:
    return mask_phone(value or "")


@register.filter
def age(birth: date | None) -> int | str:
    """Whole years today (the birth date itself is part of the ID number, so pages show the age only)."""
    if not birth:
        return ""
    today = timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@register.filter
def can(user, permission: str) -> bool:
    return role_can(user, permission)
