"""Writes for a meeting's action items: add one, mark it done."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability
from qurb.accounts.models import User
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.engagement import policy
from qurb.engagement.models import ActionItem, ActionItemStatus, Meeting


@audited(AuditAction.ENGAGEMENT_ADD_ACTION_ITEM)
def action_item_add(
    *, meeting: Meeting, text: str, owner: str, due_on: date, actor: User
) -> ActionItem:
    policy.require(actor, Capability.MEETING_MANAGE, meeting.area_id)
    errors: dict[str, list[Any]] = {}
    if not text.strip():
        errors["text"] = [_("Say what is to be done.")]
    if not owner.strip():
        errors["owner"] = [_("Say who does it.")]
    if errors:
        raise ValidationError(errors)
    item = ActionItem.objects.create(
        meeting=meeting, text=text.strip()[:2000], owner=owner.strip()[:150], due_on=due_on
    )
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ADD_ACTION_ITEM,
        target=item,
        area_id=meeting.area_id,
        details={"meeting": meeting.pk},
    )
    return item


@audited(AuditAction.ENGAGEMENT_COMPLETE_ACTION_ITEM)
def action_item_done(*, item: ActionItem, actor: User) -> ActionItem:
    policy.require(actor, Capability.MEETING_MANAGE, item.meeting.area_id)
    before = item.status
    item.status = ActionItemStatus.DONE
    item.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_COMPLETE_ACTION_ITEM,
        target=item,
        area_id=item.meeting.area_id,
        details={"changes": {"status": change_of(before, item.status)}},
    )
    return item
