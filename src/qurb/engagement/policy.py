"""Who sees a meeting, and who gets its online link: one rule for every output.

A public meeting (``is_public``) is seen by everyone. An invitation-only meeting is seen only
by

- the district's staff: whoever holds ``MEETING_MANAGE`` over the meeting's area;
- the members of an invited association, while that association is verified.

Pages, feeds, the API, the association space and the staff lists all ask
:func:`meetings_visible_to` (a queryset) or :func:`meeting_visible` (an instance check); both
are built from the same three clauses below, so they cannot disagree. Published documents
that are the same for everyone (open data, the yearly report, the ratings on the
neighbourhood page) count :func:`meetings_published`, the meetings an anonymous visitor sees.

The online link (which may carry a password) goes further: only the district's staff and the
people holding a confirmed place (a :class:`Registration` of their account) get it, through
:func:`online_link_for`. No feed carries it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from qurb.accounts.access import Capability, grant
from qurb.accounts.models import AssociationStatus, User
from qurb.core.errors import NotFound, Refused
from qurb.engagement.models import Meeting, Priority, Proposal, Registration, RegistrationStatus

if TYPE_CHECKING:
    from qurb.accounts.access import Actor


def _signed_in(user: Actor) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def invited_as(user: Actor) -> int | None:
    """The id of the user's association if it is verified (its invitations count), else None."""
    if not _signed_in(user) or getattr(user, "association_id", None) is None:
        return None
    association = user.association  # type: ignore[union-attr]
    if association is None or association.status != AssociationStatus.VERIFIED:
        return None
    return int(association.pk)


def _invited_meeting_ids(association_id: int) -> QuerySet[Any]:
    return Meeting.invited.through.objects.filter(association_id=association_id).values(
        "meeting_id"
    )


# --- the rule, as a queryset filter and as an instance check -------------------------------------


def meetings_visible_to(user: Actor) -> QuerySet[Meeting]:
    """Every meeting ``user`` may see (cancelled and past ones included: callers narrow)."""
    staff = grant(user, Capability.MEETING_MANAGE)
    if staff.everywhere:
        return Meeting.objects.all()
    condition = Q(is_public=True)
    if staff:
        condition |= staff.q("area_id")
    association_id = invited_as(user)
    if association_id is not None:
        condition |= Q(pk__in=_invited_meeting_ids(association_id))
    return Meeting.objects.filter(condition)


def meeting_visible(user: Actor, meeting: Meeting) -> bool:
    """Whether ``user`` may see ``meeting`` (the same clauses as :func:`meetings_visible_to`)."""
    if meeting.is_public:
        return True
    if grant(user, Capability.MEETING_MANAGE).covers(meeting.area_id):
        return True
    association_id = invited_as(user)
    return association_id is not None and meeting.invited.filter(pk=association_id).exists()


def meetings_published() -> QuerySet[Meeting]:
    """What everyone sees: the meetings counted in documents that are the same for all."""
    return meetings_visible_to(None)


def access_meeting(user: Actor, meeting_id: int) -> Meeting:
    """The meeting if ``user`` may see it; NotFound (404) otherwise, so that its existence
    does not leak."""
    meeting = meetings_visible_to(user).select_related("area").filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound
    return meeting


# --- the online link -----------------------------------------------------------------------------


def online_link_for(user: Actor, meeting: Meeting) -> str:
    """The meeting's online link for the district's staff and for a person holding a confirmed
    place; an empty string for anyone else (the waiting list gets it with the place)."""
    if not meeting.online_url:
        return ""
    if grant(user, Capability.MEETING_MANAGE).covers(meeting.area_id):
        return meeting.online_url
    if not isinstance(user, User) or not _signed_in(user) or not meeting_visible(user, meeting):
        return ""
    registered = Registration.objects.filter(
        meeting=meeting, user=user, status=RegistrationStatus.CONFIRMED
    ).exists()
    return meeting.online_url if registered else ""


# --- staff work on meetings and priorities -------------------------------------------------------


def meetings_managed_by(user: Actor) -> QuerySet[Meeting]:
    """The meetings ``user`` plans and holds: ``MEETING_MANAGE`` over their area."""
    return Meeting.objects.filter(grant(user, Capability.MEETING_MANAGE).q("area_id"))


def may_manage(user: Actor, capability: Capability, area_id: int) -> bool:
    """Whether ``user`` does ``capability`` (``MEETING_MANAGE``, ``PRIORITY_MANAGE``,
    ``SURVEY_OPEN``) on an object of ``area_id`` (the same rule as the querysets)."""
    return grant(user, capability).covers(area_id)


def priorities_managed_by(user: Actor) -> QuerySet[Priority]:
    return Priority.objects.filter(grant(user, Capability.PRIORITY_MANAGE).q("area_id"))


def require(user: Actor, capability: Capability, area_id: int) -> None:
    if not may_manage(user, capability, area_id):
        raise Refused("out_of_scope")


def access_managed_meeting(user: Actor, meeting_id: int) -> Meeting:
    """A meeting ``user`` plans and holds (``MEETING_MANAGE`` over its area); NotFound (404)
    otherwise."""
    meeting = meetings_managed_by(user).select_related("area").filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound
    return meeting


def access_managed_priority(user: Actor, priority_id: int) -> Priority:
    """A priority ``user`` manages (``PRIORITY_MANAGE`` over its area); NotFound otherwise."""
    priority = priorities_managed_by(user).select_related("area").filter(pk=priority_id).first()
    if priority is None:
        raise NotFound
    return priority


def access_managed_proposal(user: Actor, proposal_id: int) -> Proposal:
    """A proposal ``user`` answers (``MEETING_MANAGE`` over its area); NotFound otherwise."""
    proposal = (
        Proposal.objects.filter(grant(user, Capability.MEETING_MANAGE).q("area_id"))
        .select_related("area")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise NotFound
    return proposal
