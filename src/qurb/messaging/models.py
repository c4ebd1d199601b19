"""Neighbourhood subscriptions and the district team's messages (docs/messaging.md).

A resident subscribes, without an account, to one or more areas (neighbourhoods, districts,
prefectures) by e-mail, Web Push or SMS, chooses topics, a rhythm and quiet hours. The district
team writes ``DistrictMessage`` rows; each copy sent is a ``MessageDelivery`` with its own
state, so a worker killed at any instant loses nothing.
"""

from __future__ import annotations

import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area
from qurb.core.text import pick_translation


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PUSH = "push", _("Notification on this device")
    SMS = "sms", _("Text message (SMS)")


class Rhythm(models.TextChoices):
    NOW = "now", _("At once")
    DAILY = "daily", _("Once a day (digest)")
    WEEKLY = "weekly", _("Once a week (digest)")


class Topic(models.TextChoices):
    """What a subscriber wants; stored as one bit each in ``AreaSubscription.topics``."""

    MESSAGES = "messages", _("Messages from the district team")
    MEETINGS = "meetings", _("New meetings")
    PRIORITIES = "priorities", _("Priorities and their results")
    APPEALS = "appeals", _("Appeals for witnesses")
    FIGURES = "figures", _("Figures of the month")
    NEWS = "news", _("News")
    MISSING_CHILD = "missing_child", _("Missing-child alerts")


TOPIC_BITS: dict[str, int] = {t.value: 1 << i for i, t in enumerate(Topic)}
ALL_TOPICS = sum(TOPIC_BITS.values())


def topics_mask(topics: list[str] | tuple[str, ...] | set[str]) -> int:
    return sum(TOPIC_BITS[t] for t in set(topics) if t in TOPIC_BITS)


def topics_of(mask: int) -> list[str]:
    return [t for t, bit in TOPIC_BITS.items() if mask & bit]


class AreaSubscription(models.Model):
    """Someone who wants to hear from the police of some areas. No account.

    "Who is in this area" is one query over ``SubscriptionArea`` (see there). The phone number
    of an SMS subscription is kept for the sender only (never shown on a staff page), with its
    keyed hash (``qurb.sms.services.number_hash``) for matching, e.g. a ``STOP``.
    """

    token = models.CharField(max_length=64, unique=True, default=new_token)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    email = models.EmailField(blank=True)
    endpoint = models.URLField(max_length=1000, blank=True)
    p256dh = models.CharField(max_length=200, blank=True)
    auth = models.CharField(max_length=60, blank=True)
    number = models.CharField(max_length=20, blank=True)
    number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    areas = models.ManyToManyField(Area, through="SubscriptionArea", related_name="+")
    topics = models.PositiveIntegerField(default=ALL_TOPICS)  # bits of TOPIC_BITS
    rhythm = models.CharField(
        _("how often"), max_length=8, choices=Rhythm.choices, default=Rhythm.NOW
    )
    # Local time (TIME_ZONE, Africa/Casablanca); only missing-child alerts pass through.
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    language = models.CharField(max_length=8, default="ar")
    confirmed_at = models.DateTimeField(null=True, blank=True)  # double opt-in
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint"], condition=~models.Q(endpoint=""), name="messaging_endpoint"
            ),
            models.CheckConstraint(
                condition=models.Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | models.Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="messaging_quiet_both",
            ),
        ]
        indexes = [
            # The address as a missing-child alert's subscriptions are matched against it: one
            # copy of an alert per person across both kinds of subscription (alerts.residents).
            models.Index(Lower("email"), name="messaging_email_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk}"

    @property
    def topic_list(self) -> list[str]:
        return topics_of(self.topics)

    def wants(self, topic: str) -> bool:
        return bool(self.topics & TOPIC_BITS.get(topic, 0))

    def quiet_at(self, moment: time) -> bool:
        """Whether ``moment`` (local time) falls in the quiet hours (which may span midnight)."""
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return False
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end


class SubscriptionArea(models.Model):
    """One area of one subscription, indexed by area.

    Why an area-membership table rather than H3 cells: a message is addressed to an area of the
    same hierarchy residents subscribe to (a neighbourhood, a district, a prefecture), never to
    a free shape. Its audience is every subscription of that area, of an area inside it, or of
    an area around it: one indexed ``area_id IN (…)`` over a few ids (the area's ancestors and
    descendants, a few dozen at most), exact, with no geometry at all. H3 cells (as alerts and
    insights use them) earn their keep for circles and points; here they would only
    approximate the boundaries we already have and cost one row per cell (tens of thousands
    for a prefecture at resolution 9) for each subscription.
    """

    subscription = models.ForeignKey(
        AreaSubscription, on_delete=models.CASCADE, related_name="area_links"
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "area"], name="messaging_one_area")
        ]
        indexes = [models.Index(fields=["area", "subscription"], name="messaging_area_members")]

    def __str__(self) -> str:
        return f"{self.subscription_id} in {self.area_id}"


class MessageKind(models.TextChoices):
    INFORMATION = "information", _("Information")
    MEETING = "meeting", _("Meeting")
    APPEAL = "appeal", _("Appeal for witnesses")
    PREVENTION = "prevention", _("Prevention advice")
    PRIORITY_RESULT = "priority_result", _("Result of a priority")
    # Written by Qurb itself, never by hand (automatic items).
    FIGURES = "figures", _("Figures")
    NEWS = "news", _("News")
    MISSING_CHILD = "missing_child", _("Missing-child alert")


# The kinds a person writes; the others come from Qurb's own events.
WRITTEN_KINDS = (
    MessageKind.INFORMATION,
    MessageKind.MEETING,
    MessageKind.APPEAL,
    MessageKind.PREVENTION,
    MessageKind.PRIORITY_RESULT,
)

KIND_TOPIC: dict[str, str] = {
    MessageKind.INFORMATION: Topic.MESSAGES,
    MessageKind.PREVENTION: Topic.MESSAGES,
    MessageKind.MEETING: Topic.MEETINGS,
    MessageKind.APPEAL: Topic.APPEALS,
    MessageKind.PRIORITY_RESULT: Topic.PRIORITIES,
    MessageKind.FIGURES: Topic.FIGURES,
    MessageKind.NEWS: Topic.NEWS,
    MessageKind.MISSING_CHILD: Topic.MISSING_CHILD,
}


class MessageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("Waiting for review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DistrictMessage(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    title_ar = models.CharField(max_length=140, blank=True)
    title_fr = models.CharField(max_length=140, blank=True)
    title_en = models.CharField(max_length=140, blank=True)
    body_ar = models.TextField(max_length=2000, blank=True)
    body_fr = models.TextField(max_length=2000, blank=True)
    body_en = models.TextField(max_length=2000, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default="draft")
    needs_review = models.BooleanField(default=False)  # addressed to more than one district
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)
    # An automatic item: what it is about ("meeting:12"), so that it is written once.
    source = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The fan-out (qurb.messaging.delivery): started, and every chunk queued and dispatched.
    fanout_started_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    # A missing-child alert's copy (written by qurb.alerts): the page its copies open instead
    # of the message's own (the alert's page, which ends with the alert), and the moment after
    # which no copy is taken any more (the alert's expiry).
    link = models.URLField(max_length=300, blank=True)
    send_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["area", "status", "published_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=~models.Q(source=""), name="messaging_one_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"

    def title_in(self, language: str | None = None) -> str:
        return pick_translation(
            {"ar": self.title_ar, "fr": self.title_fr, "en": self.title_en}, language
        )

    def body_in(self, language: str | None = None) -> str:
        return pick_translation(
            {"ar": self.body_ar, "fr": self.body_fr, "en": self.body_en}, language
        )

    @property
    def title(self) -> str:
        return self.title_in()

    @property
    def body(self) -> str:
        return self.body_in()

    @property
    def topic(self) -> str:
        return KIND_TOPIC[self.kind]


class Digest(models.Model):
    """One subscriber's digest of one period: the messages waiting for them, sent as one copy.
    Unique per (subscription, period), so the digest command run twice sends nothing twice."""

    subscription = models.ForeignKey(AreaSubscription, on_delete=models.CASCADE, related_name="+")
    rhythm = models.CharField(max_length=8, choices=Rhythm.choices)
    period = models.CharField(max_length=20)  # "2026-12-03" (daily), "2026-W49" (weekly)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period"], name="messaging_one_digest")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period}"


class DeliveryState(models.TextChoices):
    WAITING = "waiting"  # for the subscriber's next digest
    BUNDLED = "bundled"  # in a digest (``digest``), which is sent as its own copy
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    GONE = "gone"  # the push service no longer knows the subscription


class MessageDelivery(models.Model):
    """One copy of a message (``message``) or of a digest (``digest``, no message) to one
    subscription, with its own state: pending → sending (claimed, with a lease) → sent or
    failed. Unique per (message, subscription), and per digest."""

    message = models.ForeignKey(
        DistrictMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subscription = models.ForeignKey(AreaSubscription, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "subscription"], name="messaging_one_copy"),
            models.UniqueConstraint(
                fields=["digest"],
                condition=models.Q(message__isnull=True, digest__isnull=False),
                name="messaging_one_digest_copy",
            ),
            models.CheckConstraint(
                condition=models.Q(message__isnull=False) | models.Q(digest__isnull=False),
                name="messaging_copy_of_something",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="messaging_due",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["subscription"],
                name="messaging_waiting",
                condition=models.Q(state="waiting"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or 'digest'} → {self.subscription_id}: {self.state}"
