"""Field-level 4xx answers in the same shape as django-ninja's own validation errors."""
from ninja.errors import ValidationError


def field_error(source: str, field: str, message: str) -> ValidationError:
    """Raise the result: 422 {"detail": [{"loc": [source, field], "msg": message, "type": "value_error"}]}."""
    return ValidationError([{"loc": [source, field], "msg": message, "type": "value_error"}])
