from typing import Any

from django.db import models, transaction

from qurb.audit.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    area_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must be called inside the transaction of the action it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    person = actor if getattr(actor, "pk", None) else None
    event = AuditEvent(
        actor=person,
        actor_label=person.get_username() if person is not None else "system",
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_label=str(target)[:300] if target is not None else "",
        area_id=area_id,
        details=details or {},
    )
    event.save()
    return event
