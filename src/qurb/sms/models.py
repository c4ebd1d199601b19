"""SMS and WhatsApp: phone numbers (personal data, kept apart), conversations, outgoing messages.

A phone number is stored once, in ``PhoneNumber``, next to its keyed hash; everything else
matches numbers by hash. A report texted by SMS is linked to its number only through
``ReportPhone``, a table of this app that staff pages never read.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class MessageChannel(models.TextChoices):
    """How a resident's texts reach Qurb and its answers go back (docs/sms.md)."""

    SMS = "sms", pgettext_lazy("sms", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("sms", "WhatsApp")


class PhoneNumber(models.Model):
    number = models.CharField(
        pgettext_lazy("sms", "phone number"), max_length=16, unique=True
    )  # E.164
    number_hash = models.CharField(max_length=64, unique=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # WhatsApp: STOP sent there (SMS are not affected), and the resident's last message there,
    # which opens WhatsApp's 24-hour customer service window.
    whatsapp_opted_out_at = models.DateTimeField(null=True, blank=True)
    whatsapp_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("sms", "phone number")
        verbose_name_plural = pgettext_lazy("sms", "phone numbers")

    def __str__(self) -> str:
        return f"{self.number_hash[:12]}…"


class ConversationState(models.TextChoices):
    IDLE = "idle", pgettext_lazy("sms", "Idle")
    PLACE = "place", pgettext_lazy("sms", "Waiting for the place")
    CHOICE = "choice", pgettext_lazy("sms", "Waiting for a choice of place")
    ANONYMOUS = "anonymous", pgettext_lazy("sms", "Waiting for the anonymity answer")


class Conversation(models.Model):
    """Where one number is in the short exchange that turns texts into a report (one per
    number and channel)."""

    number_hash = models.CharField(max_length=64)
    channel = models.CharField(
        max_length=16, choices=MessageChannel.choices, default=MessageChannel.SMS
    )
    state = models.CharField(
        max_length=16, choices=ConversationState.choices, default=ConversationState.IDLE
    )
    language = models.CharField(max_length=8, default="fr")
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)
    place = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("sms", "SMS conversation")
        verbose_name_plural = pgettext_lazy("sms", "SMS conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["number_hash", "channel"], name="sms_conversation_number_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number_hash[:12]}… {self.state}"


class ReportPhone(models.Model):
    """The number a report was texted from: for status updates by SMS (or WhatsApp) only."""

    report = models.OneToOneField(
        "reports.Report", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    phone = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="reports")
    channel = models.CharField(
        max_length=16, choices=MessageChannel.choices, default=MessageChannel.SMS
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"report {self.report_id}"


class SmsState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("sms", "Pending")
    SENDING = "sending", pgettext_lazy("sms", "Sending")
    SENT = "sent", pgettext_lazy("sms", "Sent")
    DELIVERED = "delivered", pgettext_lazy("sms", "Delivered")
    READ = "read", pgettext_lazy("sms", "Read")  # WhatsApp only
    FAILED = "failed", pgettext_lazy("sms", "Failed")


class OutgoingSms(models.Model):
    """One outgoing SMS (or WhatsApp message), with its own state: claimed before it is sent,
    recorded after."""

    phone = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="outgoing")
    channel = models.CharField(
        max_length=16, choices=MessageChannel.choices, default=MessageChannel.SMS
    )
    language = models.CharField(max_length=8, blank=True)  # for a WhatsApp template
    # WhatsApp: "text" or "template" (decided when sent, by the 24-hour window) and the
    # message id (wamid) the Cloud API gave, which its status notifications name.
    kind = models.CharField(max_length=16, blank=True)
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    text = models.TextField()
    purpose = models.CharField(max_length=32)
    area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=SmsState.choices, default=SmsState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a pending message is due (now when queued; later after a failed try): the claim
    # every delivery shares (qurb.core.copies.claim) takes only due copies.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # its task, last put in the queue
    # How many times the sweep put it back in the queue since its task was last queued: each
    # time the sweep waits twice as long, so a long queue (tasks waiting, not lost) is not
    # flooded with copies of the same task.
    sweeps = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    dlr_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("sms", "outgoing SMS")
        verbose_name_plural = pgettext_lazy("sms", "outgoing SMS")
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["area", "created_at"]),
            models.Index(fields=["phone", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} ({self.state})"


class WhatsAppIncoming(models.Model):
    """The id of a WhatsApp message already answered: Meta may deliver one message twice."""

    message_id = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.message_id[:40]


class SmsIncoming(models.Model):
    """The id Kannel gave an incoming SMS already answered (``%I`` in the get-url): smsbox
    calls again when it got no answer in time, with the same id."""

    message_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.message_id


class WhatsAppPendingStatus(models.Model):
    """A status of a WhatsApp message whose ``wamid`` was not recorded yet: Meta may report
    "sent" (even "read") before the task that sent the message records the id. Applied, in
    the order received, as soon as the id is recorded (``whatsapp.pending_statuses_apply``)."""

    message_id = models.CharField(max_length=200)
    status = models.CharField(max_length=16)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message_id", "status"], name="sms_whatsapp_pending_status_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id[:40]} {self.status}"


class Verification(models.Model):
    """A 6-digit code sent to confirm a number (kept as a keyed hash, valid 15 minutes)."""

    number_hash = models.CharField(max_length=64, db_index=True)
    # Who asked (a subscription's token): a code is checked, and wrong tries counted, for
    # that request only, so nobody can spoil another person's code for the same number.
    scope = models.CharField(max_length=64, blank=True, default="")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.number_hash[:12]}…"
