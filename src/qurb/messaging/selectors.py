"""Reads for neighbourhood messages: what a neighbourhood page and its feed show, the staff's
lists (through ``policy``), the sender's counts, a subscription by its token."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qurb.accounts.access import Actor, Capability, grant
from qurb.areas.models import Area
from qurb.areas.selectors import (
    area_and_ancestors,
    area_public,
    areas_in_active_generation,
    descendants_of,
)
from qurb.messaging import policy
from qurb.messaging.models import (
    AreaSubscription,
    DeliveryState,
    DistrictMessage,
    MessageDelivery,
    MessageKind,
    MessageStatus,
)


def _public() -> QuerySet[DistrictMessage]:
    """Published messages a page may show. A missing-child alert's message is never one: the
    alert's own page is its public face, read live at every request and gone when it ends (the
    neighbourhood page lists the live alerts from there)."""
    return DistrictMessage.objects.filter(status=MessageStatus.PUBLISHED).exclude(
        kind=MessageKind.MISSING_CHILD
    )


def area_messages(area: Area, *, current: bool = True, limit: int = 20) -> list[DistrictMessage]:
    """Published messages for the area: addressed to it, to an area around it or inside it.
    ``current``: without those whose end date is past."""
    related = descendants_of({area.pk}) | {a.pk for a in area_and_ancestors(area)}
    found = _public().filter(area_id__in=related).select_related("area")
    if current:
        found = found.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()))
    return list(found.order_by("-published_at", "-pk")[:limit])


def public_messages() -> list[DistrictMessage]:
    """Every published message (for the sitemap), newest first."""
    return list(_public().order_by("-published_at", "-pk"))


def published_message(message_id: int) -> DistrictMessage | None:
    return _public().filter(pk=message_id).select_related("area", "area__type").first()


def message_area(area_id: int) -> Area | None:
    """An area of the active generation a resident may subscribe to or read messages of."""
    return area_public(area_id)


def subscription_areas(area_ids: list[int]) -> list[Area]:
    found = [area_public(pk) for pk in dict.fromkeys(area_ids)]
    return [a for a in found if a is not None]


def subscription_by_token(token: str) -> AreaSubscription | None:
    return AreaSubscription.objects.filter(token=token).first()


def areas_of(subscription: AreaSubscription) -> list[Area]:
    return list(subscription.areas.select_related("type").order_by("pk"))


# --- staff ------------------------------------------------------------------------------------


def writable_areas(user: Actor) -> list[Area]:
    """The areas a user may write to (for the compose form), outermost first."""
    writes = grant(user, Capability.MESSAGE_WRITE)
    if not writes:
        return []
    areas = areas_in_active_generation()
    if not writes.everywhere:
        areas = areas.filter(pk__in=writes.area_ids)
    return list(areas.order_by("type__level", "code"))


def staff_messages(user: Actor, *, limit: int = 50) -> list[DistrictMessage]:
    return list(
        policy.messages_for_staff(user)
        .select_related("area", "author", "reviewer")
        .order_by("-created_at", "-pk")[:limit]
    )


def review_queue(user: Actor) -> QuerySet[DistrictMessage]:
    """Messages waiting for a review ``user`` may give (never their own), oldest first."""
    reviews = grant(user, Capability.MESSAGE_REVIEW)
    if not reviews:
        return DistrictMessage.objects.none()
    waiting = (
        DistrictMessage.objects.filter(reviews.q("area_id"), status=MessageStatus.REVIEW)
        .exclude(author_id=getattr(user, "pk", None))
        .select_related("area", "author")
    )
    return waiting.order_by("created_at", "pk")


@dataclass(frozen=True)
class Counts:
    sent: int
    failed: int
    opened: int
    waiting: int  # not sent yet: for a digest, for the end of quiet hours, or being sent


def message_counts(message: DistrictMessage) -> Counts:
    """Copies of the message: sent, failed, opened (e-mail and push tell when their link is
    followed), and still waiting; copies that went in a digest count as the digest went."""
    sent_states = [DeliveryState.SENT]
    failed_states = [DeliveryState.FAILED, DeliveryState.GONE]
    waiting_states = [DeliveryState.WAITING, DeliveryState.PENDING, DeliveryState.SENDING]

    def tally(rows: QuerySet[MessageDelivery]) -> dict[str, int]:
        return rows.aggregate(
            sent=Count("pk", filter=Q(state__in=sent_states)),
            failed=Count("pk", filter=Q(state__in=failed_states)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            waiting=Count("pk", filter=Q(state__in=waiting_states)),
        )

    direct = tally(MessageDelivery.objects.filter(message=message))
    digests = MessageDelivery.objects.filter(message=message, state=DeliveryState.BUNDLED).values(
        "digest_id"
    )
    bundled = tally(MessageDelivery.objects.filter(message__isnull=True, digest_id__in=digests))
    return Counts(
        sent=direct["sent"] + bundled["sent"],
        failed=direct["failed"] + bundled["failed"],
        opened=direct["opened"] + bundled["opened"],
        waiting=direct["waiting"] + bundled["waiting"],
    )


def missing_child_reached(sources: list[str]) -> int:
    """Subscriptions a copy of these missing-child messages reached (an alert's figure)."""
    return (
        MessageDelivery.objects.filter(
            message__kind=MessageKind.MISSING_CHILD,
            message__source__in=sources,
            state=DeliveryState.SENT,
        )
        .values("subscription_id")
        .distinct()
        .count()
    )
