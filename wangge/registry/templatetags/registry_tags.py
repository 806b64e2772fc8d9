"""Template helpers for the registry pages: age (masking and permissions are core_tags, a builtin)."""
from datetime import date

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def age(birth: date | None) -> int | str:
    """Whole years today (the birth date itself is part of the ID number, so pages show the age only)."""
    if not birth:
        return ""
    today = timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
