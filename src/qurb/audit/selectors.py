from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from qurb.audit.models import AuditEvent


def audit_events_for(user: Any) -> QuerySet[AuditEvent]:
    """The audit trail is for inspectors and administrators only."""
    if not (user.is_authenticated and user.has_perm("audit.read_audit_trail")):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")


def audit_events_since(user: Any, since: datetime) -> int:
    """How many events the trail holds since ``since``, for whoever may read it (0 otherwise)."""
    return audit_events_for(user).filter(occurred_at__gte=since).count()
