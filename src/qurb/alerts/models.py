"""Missing-child alerts ("طفلي مختفي"): the case, its CAP messages, and the people reached.

A case holds a child's personal data: only staff of its area and the validation unit of its
prefecture see it, and the data is purged after the retention period, leaving only anonymous
figures (time to resolution, reach).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area


def public_id() -> str:
    return secrets.token_urlsafe(9)


class CaseStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting validation")
    REFUSED = "refused", _("Refused")
    PUBLISHED = "published", _("Published")
    ENDED = "ended", _("Ended")


class EndReason(models.TextChoices):
    FOUND = "found", _("The child was found")
    EXPIRED = "expired", _("The alert expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class GuardianRelation(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GUARDIAN = "guardian", _("Legal guardian")


class IdentityDocument(models.TextChoices):
    CNIE = "cnie", _("National identity card (CNIE)")
    PASSPORT = "passport", _("Passport")
    RESIDENCE = "residence", _("Residence card")


class AlertCase(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=public_id)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="alert_cases")
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default="pending")
    is_exercise = models.BooleanField(_("exercise"), default=False)
    # The child (published once validated).
    child_first_name = models.CharField(_("first name"), max_length=80)
    child_age = models.PositiveSmallIntegerField(_("age"))
    description = models.TextField(_("description"), max_length=2000)
    clothing = models.TextField(_("clothes"), max_length=1000, blank=True)
    places = models.TextField(_("places they go"), max_length=1000, blank=True)
    language = models.CharField(max_length=8, default="ar")  # of the texts above
    photo = models.CharField(max_length=200, blank=True)  # storage name, random
    last_seen_at = models.DateTimeField(_("last seen at"))
    last_seen_lat = models.FloatField()
    last_seen_lon = models.FloatField()
    last_seen_place = models.CharField(_("last seen place"), max_length=300)
    radius_km = models.PositiveIntegerField(_("radius of the alert (km)"))
    call_number = models.CharField(_("number to call"), max_length=20)
    # The guardian: checked and recorded, never published.
    guardian_name = models.CharField(_("guardian's name"), max_length=150)
    guardian_relation = models.CharField(max_length=12, choices=GuardianRelation.choices)
    guardian_document = models.CharField(max_length=12, choices=IdentityDocument.choices)
    guardian_document_number = models.CharField(max_length=40)
    guardian_phone = models.CharField(max_length=30)
    guardian_checked = models.BooleanField(default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    # Validation by the prefecture's unit.
    criteria_minor = models.BooleanField(default=False)
    criteria_confirmed = models.BooleanField(default=False)
    criteria_helpful = models.BooleanField(default=False)
    criteria_safe = models.BooleanField(default=False)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    # Life of the public alert.
    published_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    end_notified_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    # Anonymous figures kept after the purge.
    reached = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(child_age__lt=18), name="alert_minor")
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"


class MessageType(models.TextChoices):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class CapMessage(models.Model):
    """One CAP 1.2 message as sent; Update and Cancel reference the earlier ones."""

    case = models.ForeignKey(AlertCase, on_delete=models.CASCADE, related_name="messages")
    identifier = models.CharField(max_length=120, unique=True)
    msg_type = models.CharField(max_length=8, choices=MessageType.choices)
    sent = models.DateTimeField()
    xml = models.TextField()  # emptied at the purge
    # The fan-out (qurb.alerts.delivery): started, and every chunk queued and dispatched.
    fanout_started_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True)  # stranded copies last re-sent

    class Meta:
        ordering = ["sent", "pk"]

    def __str__(self) -> str:
        return self.identifier


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PUSH = "push", _("Notification on this device")


class Subscription(models.Model):
    """Someone who wants alerts for an area: a point and radius, or a district. No account."""

    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    email = models.EmailField(blank=True)
    endpoint = models.URLField(max_length=1000, blank=True)
    p256dh = models.CharField(max_length=200, blank=True)
    auth = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=8, default="ar")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    radius_km = models.FloatField(null=True, blank=True)
    district = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)  # e-mail: double opt-in
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)  # the last one asked
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["lat", "lon"],
                name="subscription_point",
                condition=models.Q(active=True, confirmed_at__isnull=False, lat__isnull=False),
            ),
            models.Index(
                fields=["district"],
                name="subscription_district",
                condition=models.Q(active=True, confirmed_at__isnull=False),
            ),
            # The address as neighbourhood subscriptions are matched against it: one copy of
            # an alert per person across both kinds of subscription (alerts.residents).
            models.Index(Lower("email"), name="subscription_email_lower"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__isnull=False, lon__isnull=False, radius_km__gt=0)
                | models.Q(district__isnull=False),
                name="subscription_has_area",
            ),
            models.UniqueConstraint(
                fields=["endpoint"], condition=~models.Q(endpoint=""), name="one_per_endpoint"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk}"


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    GONE = "gone"  # the push service says the subscription no longer exists


class Delivery(models.Model):
    """One message to one subscriber; the unique pair means it is never queued twice."""

    message = models.ForeignKey(CapMessage, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "subscription"], name="one_delivery")
        ]
        indexes = [
            models.Index(
                fields=["message", "next_attempt_at"],
                name="delivery_due",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.subscription_id}: {self.state}"
