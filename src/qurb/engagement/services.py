"""Writes for neighbourhood priorities (SARA): setting one, recording what was done, closing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qurb.accounts.models import Role
from qurb.accounts.selectors import staff_area_ids, user_roles
from qurb.areas.models import Area
from qurb.audit.services import audit_record
from qurb.engagement.models import (
    ActionProgress,
    Priority,
    PriorityAction,
    PriorityStatus,
)
from qurb.reports.models import Category

PRIORITY_ROLES = frozenset({Role.DISTRICT_CHIEF, Role.NEIGHBOURHOOD_OFFICER})


def _require(actor: Any, area: Area) -> None:
    scope = staff_area_ids(actor)
    if not user_roles(actor) & PRIORITY_ROLES or (scope is not None and area.pk not in scope):
        raise PermissionDenied


def priority_set(
    *,
    area: Area,
    title: str,
    description: str = "",
    category: str = "",
    set_on: date,
    language: str = "ar",
    actor: Any,
) -> Priority:
    """A neighbourhood priority, as agreed with residents (the SARA "scanning" step)."""
    _require(actor, area)
    errors: dict[str, list[Any]] = {}
    if not title.strip():
        errors["title"] = [_("Give the priority a title.")]
    if category and category not in Category.values:
        errors["category"] = [_("Choose a category.")]
    if errors:
        raise ValidationError(errors)
    lang = language if language in {"ar", "fr", "en"} else "ar"
    with transaction.atomic():
        priority = Priority.objects.create(
            area=area,
            category=category,
            set_on=set_on,
            **{f"title_{lang}": title.strip()[:200], f"description_{lang}": description.strip()},
        )
        audit_record(actor=actor, action="priority.set", target=priority, area_id=area.pk)
    return priority


def priority_action_add(
    *,
    priority: Priority,
    description: str,
    done_on: date,
    progress: str = ActionProgress.DONE,
    actor: Any,
) -> PriorityAction:
    """What was done (the "response"); the first action starts the assessment's "after"."""
    _require(actor, priority.area)
    errors: dict[str, list[Any]] = {}
    if not description.strip():
        errors["description"] = [_("Say what was done.")]
    if progress not in ActionProgress.values:
        errors["progress"] = [_("Choose the progress.")]
    if done_on < priority.set_on:
        errors["done_on"] = [_("An action cannot come before the priority was set.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = PriorityAction.objects.create(
            priority=priority,
            description=description.strip()[:2000],
            done_on=done_on,
            progress=progress,
        )
        if priority.response_started_on is None or done_on < priority.response_started_on:
            priority.response_started_on = done_on
            priority.save(update_fields=["response_started_on"])
        audit_record(
            actor=actor,
            action="priority.action",
            target=priority,
            area_id=priority.area_id,
            details={"done_on": done_on.isoformat(), "progress": progress},
        )
    return action


def priority_close(*, priority: Priority, actor: Any) -> Priority:
    _require(actor, priority.area)
    with transaction.atomic():
        priority.status = PriorityStatus.CLOSED
        priority.save(update_fields=["status"])
        audit_record(
            actor=actor, action="priority.close", target=priority, area_id=priority.area_id
        )
    return priority
