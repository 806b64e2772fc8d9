"""API schemas that more than one app answers with."""
from datetime import datetime

from ninja import Field, Schema

from wangge.core.personal import mask_id_number, mask_phone


class MaskedPhone(Schema):
    """A schema whose `phone` leaves masked (138****1111)."""

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)


class MaskedIdentity(MaskedPhone):
    """A schema whose `phone` and `id_number` leave masked."""

    @staticmethod
    def resolve_id_number(obj):
        return mask_id_number(obj.id_number)


# One step of a record's timeline (a case's, a dispute's) as the workflow engine writes it, the actor as
# core.staff.timeline_rows labels them for the viewer. (A comment: a docstring would enter the OpenAPI document.)
class EventOut(Schema):
    id: int
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str = Field(description="the actor's name if the viewer may see them, else their role")
    note: str
    details: dict

    @staticmethod
    def resolve_actor(obj):
        return getattr(obj, "actor_label", None) or obj.actor_name
