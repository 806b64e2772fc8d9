"""Writing the audit log. Operations call `record`; nothing else writes AuditEntry."""
from wangge.core.models import AuditEntry


def record(actor, operation: str, obj=None, **details) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        operation=operation,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        details=details,
    )
