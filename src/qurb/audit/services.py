"""Writing the audit trail: ``audit_record`` appends one event; ``audited`` makes a service own
its transaction and refuse to finish without having recorded what it did."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction

from qurb.audit.actions import AuditAction, check_details
from qurb.audit.models import AuditEvent

P = ParamSpec("P")
R = TypeVar("R")

# The actions recorded so far by the innermost running audited service.
_recorded: ContextVar[list[AuditAction] | None] = ContextVar("qurb_audit_recorded", default=None)

# Every audited service, by qualified name, with the actions it may record.
AUDITED_SERVICES: dict[str, tuple[AuditAction, ...]] = {}


class AuditMissingError(RuntimeError):
    """An audited service finished without recording one of its actions."""


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    target: models.Model | None = None,
    area_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must be called inside the transaction of the action it records.

    ``actor`` None is recorded as the system (imports, scheduled tasks, and anonymous
    residents, whose reports are never tied to anyone).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    action = AuditAction(action)
    details = details or {}
    check_details(action, details)
    person = actor if isinstance(actor, get_user_model()) and actor.pk else None
    event = AuditEvent(
        actor=person,
        actor_label=person.get_username() if person is not None else "system",
        action=action.value,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_label=str(target)[:300] if target is not None else "",
        area_id=area_id,
        details=details,
    )
    event.save()
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append(action)
    return event


def audited(*actions: AuditAction) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the service in its own transaction (a savepoint inside another) and fail, rolling
    everything back, if it returns without recording one of ``actions``."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        name = f"{service.__module__}.{service.__qualname__}"

        @functools.wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _recorded.set([])
            try:
                with transaction.atomic():
                    result = service(*args, **kwargs)
                    done = _recorded.get() or []
                    if not any(a in actions for a in done):
                        raise AuditMissingError(
                            f"{name} recorded none of {[str(a) for a in actions]}"
                        )
            finally:
                _recorded.reset(token)
            return result

        run.audit_actions = actions  # type: ignore[attr-defined]
        AUDITED_SERVICES[name] = actions
        return run

    return decorate


def takes_actor(function: Callable[..., Any]) -> bool:
    """Whether a service is called on behalf of someone (it has an ``actor`` parameter)."""
    try:
        return "actor" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
