"""Writes for proposals: recorded at a meeting, or sent by a verified association between
meetings; and the police's answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability
from qurb.accounts.models import Association, AssociationStatus, User
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.core.errors import Refused
from qurb.engagement import policy
from qurb.engagement.models import Meeting, Proposal, ProposalAnswer


@audited(AuditAction.ENGAGEMENT_ADD_PROPOSAL)
def proposal_add(
    *, meeting: Meeting, text: str, association: Association | None = None, actor: User
) -> Proposal:
    """A proposal made at a meeting, recorded by its staff."""
    policy.require(actor, Capability.MEETING_MANAGE, meeting.area_id)
    if not text.strip():
        raise ValidationError({"text": [_("Write the proposal.")]})
    proposal = Proposal.objects.create(
        meeting=meeting, area=meeting.area, text=text.strip()[:2000], association=association
    )
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ADD_PROPOSAL,
        target=proposal,
        area_id=meeting.area_id,
        details={"meeting": meeting.pk},
    )
    return proposal


@audited(AuditAction.ENGAGEMENT_SUBMIT_PROPOSAL)
def proposal_submit(*, association: Association, area: Area, text: str, actor: User) -> Proposal:
    """A verified association sends a proposal from its space, between meetings, for its area
    or a neighbourhood within it; the police answer it like a meeting's proposals."""
    errors: dict[str, list[Any]] = {}
    if getattr(actor, "association_id", None) != association.pk or not actor.is_active:
        raise Refused("not_owner")
    if association.status != AssociationStatus.VERIFIED:
        errors["association"] = [_("Only a verified association can send proposals.")]
    if area.pk not in descendants_of({association.area_id}):
        errors["area"] = [_("Choose a neighbourhood where the association works.")]
    if not text.strip():
        errors["text"] = [_("Write the proposal.")]
    if errors:
        raise ValidationError(errors)
    proposal = Proposal.objects.create(area=area, association=association, text=text.strip()[:2000])
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_SUBMIT_PROPOSAL,
        target=proposal,
        area_id=area.pk,
        details={"association": association.pk},
    )
    return proposal


@audited(AuditAction.ENGAGEMENT_ANSWER_PROPOSAL)
def proposal_answer(*, proposal: Proposal, answer: str, reason: str = "", actor: User) -> Proposal:
    """Accepted, under study, or rejected (a rejection says why)."""
    policy.require(actor, Capability.MEETING_MANAGE, proposal.area_id)
    if answer not in {ProposalAnswer.ACCEPTED, ProposalAnswer.UNDER_STUDY, ProposalAnswer.REJECTED}:
        raise ValidationError({"answer": [_("Choose an answer.")]})
    if answer == ProposalAnswer.REJECTED and not reason.strip():
        raise ValidationError({"reason": [_("Say why the proposal is rejected.")]})
    before = {"answer": proposal.answer, "reason": proposal.reason}
    proposal.answer = answer
    proposal.reason = reason.strip()
    proposal.answered_at = timezone.now()
    proposal.save(update_fields=["answer", "reason", "answered_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ANSWER_PROPOSAL,
        target=proposal,
        area_id=proposal.area_id,
        details={
            "changes": {
                "answer": change_of(before["answer"], answer),
                "reason": change_of(before["reason"], proposal.reason),
            }
        },
    )
    return proposal
