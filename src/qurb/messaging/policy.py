"""Who writes to which areas, and who approves.

- ``MESSAGE_WRITE``: officers and chiefs over the areas they serve, the communication cell over
  its prefecture. A message's area must lie inside the writer's grant (per capability: a chief
  of one district who is an officer in another writes to those two districts, never a third).
- ``MESSAGE_REVIEW``: chiefs and cells. A message addressed to more than one district (a
  prefecture, or any area holding several districts) is published only once a second person,
  never its author, holding the review capability over its area approves it. A message to one
  district or less may be published by its writer, or sent for review all the same.
- Staff see a message when they hold either capability over its area; to anyone else it does
  not exist (``NotFound``).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from qurb.accounts.access import Actor, Capability, grant, require
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.core.errors import NotFound, Refused
from qurb.messaging.models import DistrictMessage, MessageKind

C = Capability


def districts_in(area: Area) -> int:
    """How many districts the area holds, or 1 for a district or an area inside one."""
    if area.type.code == settings.REPORT_AREA_TYPE:
        return 1
    inside = descendants_of({area.pk})
    count = Area.objects.filter(pk__in=inside, type__code=settings.REPORT_AREA_TYPE).count()
    if count == 0:  # below a district (a neighbourhood), or a hierarchy without districts
        return 1
    return count


def needs_review(area: Area) -> bool:
    return districts_in(area) > 1


def require_write(user: Actor, area: Area) -> None:
    require(user, C.MESSAGE_WRITE, area.pk)


def may_write(user: Actor, area: Area) -> bool:
    return grant(user, C.MESSAGE_WRITE).covers(area.pk)


def require_review(user: Actor, message: DistrictMessage) -> None:
    """A reviewer over the message's area who is not its author."""
    require(user, C.MESSAGE_REVIEW, message.area_id)
    if message.author_id is not None and message.author_id == getattr(user, "pk", None):
        raise Refused("own_message")


def may_review(user: Actor, message: DistrictMessage) -> bool:
    covered = grant(user, C.MESSAGE_REVIEW).covers(message.area_id)
    return covered and message.author_id != getattr(user, "pk", None)


def messages_for_staff(user: Actor) -> QuerySet[DistrictMessage]:
    """The messages ``user`` writes or reviews (by area). Not a missing-child alert's: staff
    follow an alert on its case page, under the alerts' own access rule."""
    writes, reviews = grant(user, C.MESSAGE_WRITE), grant(user, C.MESSAGE_REVIEW)
    if not writes and not reviews:
        return DistrictMessage.objects.none()
    condition = Q(pk__in=[])
    if writes:
        condition |= writes.q("area_id")
    if reviews:
        condition |= reviews.q("area_id")
    return DistrictMessage.objects.filter(condition).exclude(kind=MessageKind.MISSING_CHILD)


def staff_message(user: Actor, message_id: int) -> DistrictMessage:
    """The message, for a staff page; ``NotFound`` outside the user's areas."""
    found = (
        messages_for_staff(user)
        .select_related("area", "area__type", "author", "reviewer")
        .filter(pk=message_id)
        .first()
    )
    if found is None:
        raise NotFound
    return found
