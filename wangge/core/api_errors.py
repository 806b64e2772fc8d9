"""Field-level 4xx answers in the same shape as django-ninja's own validation errors."""
from django.utils.translation import gettext as _
from ninja.errors import ValidationError


def field_loc(source: str, field: str) -> list:
    """"parties[0].person" -> [source, "parties", 0, "person"], the shape pydantic gives nested fields."""
    loc = [source]
    for part in field.replace("]", "").replace("[", ".").split("."):
        loc.append(int(part) if part.isdigit() else part)
    return loc


def field_error(source: str, field: str, message: str) -> ValidationError:
    """Raise the result: 422 {"detail": [{"loc": [source, field], "msg": message, "type": "value_error"}]}."""
    return ValidationError([{"loc": field_loc(source, field), "msg": message, "type": "value_error"}])


def field_errors(source: str, errors: dict[str, str]) -> ValidationError:
    """Several fields at once, one entry each: {field: message} -> 422 with every field named."""
    return ValidationError([{"loc": field_loc(source, field), "msg": message, "type": "value_error"}
                            for field, message in errors.items()])


def query_choice(value, allowed, field: str):
    """`value` when it is one of `allowed` (values, or a TextChoices class), else a 422 naming the query field."""
    values = allowed.values if hasattr(allowed, "values") and not isinstance(allowed, (list, tuple, set)) else allowed
    if value not in values:
        raise field_error("query", field, _("Unknown %(field)s %(value)s") % {"field": field, "value": repr(value)})
    return value
