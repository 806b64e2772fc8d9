"""Field-level 4xx answers in the same shape as django-ninja's own validation errors."""
from ninja.errors import ValidationError


def field_error(source: str, field: str, message: str) -> ValidationError:
    """Raise the result: 422 {"detail": [{"loc": [source, field], "msg": message, "type": "value_error"}]}."""
    return ValidationError([{"loc": [source, field], "msg": message, "type": "value_error"}])


def field_errors(source: str, errors: dict[str, str]) -> ValidationError:
    """Several fields at once, one entry each: {field: message} -> 422 with every field named."""
    return ValidationError([{"loc": [source, field], "msg": message, "type": "value_error"}
                            for field, message in errors.items()])
