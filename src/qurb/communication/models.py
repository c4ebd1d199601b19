"""The police's public communication: events and open days (venues, stands, a programme,
tickets with a QR code, check-in at the gate), school awareness sessions, news in three
languages with a publication workflow, and a newsletter with double opt-in."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area, Place
from qurb.communication import ticketcodes
from qurb.core.models import MultilingualName, MultilingualTitle, translated


def ticket_code() -> str:
    """16 symbols of Crockford's base32, typed at the gate in any case (see ticketcodes)."""
    return ticketcodes.new()


class EventKind(models.TextChoices):
    OPEN_DAY = "open_day", _("Open days")
    PUBLIC = "public", _("Public event")


class Event(MultilingualTitle):
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="events")
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    capacity = models.PositiveIntegerField(_("tickets"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="event_dates"
            )
        ]

    description = translated("description")


class Venue(MultilingualName):
    """Where an event takes place; its name and address are kept in Arabic, French and
    English (``name``, ``address``: in the reader's language)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="venues")
    address_ar = models.CharField(_("address (Arabic)"), max_length=300, blank=True)
    address_fr = models.CharField(_("address (French)"), max_length=300, blank=True)
    address_en = models.CharField(_("address (English)"), max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)

    address = translated("address")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("venue")


class Stand(MultilingualName):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="stands")
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    description = translated("description")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("stand")


class ProgrammeItem(MultilingualTitle):
    """A seminar, demonstration or broadcast in the programme."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="programme")
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL)
    speakers_ar = models.CharField(_("speakers (Arabic)"), max_length=300, blank=True)
    speakers_fr = models.CharField(_("speakers (French)"), max_length=300, blank=True)
    speakers_en = models.CharField(_("speakers (English)"), max_length=300, blank=True)
    place_ar = models.CharField(_("room or place (Arabic)"), max_length=200, blank=True)
    place_fr = models.CharField(_("room or place (French)"), max_length=200, blank=True)
    place_en = models.CharField(_("room or place (English)"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    place = translated("place")
    speakers = translated("speakers")

    class Meta:
        ordering = ["starts_at", "pk"]


class VisitorKind(models.TextChoices):
    PUPIL = "pupil", _("Pupil or student")
    RESIDENT = "resident", _("Resident")
    TOURIST = "tourist", _("Tourist")
    PROFESSIONAL = "professional", _("Professional or partner")


class Ticket(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tickets")
    code = models.CharField(max_length=24, unique=True, default=ticket_code)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    visitor_kind = models.CharField(_("you come as"), max_length=12, choices=VisitorKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    mailed_at = models.DateTimeField(null=True, blank=True)  # the ticket's e-mail, sent once

    def __str__(self) -> str:
        return f"{self.event_id}: {self.code}"

    @property
    def code_grouped(self) -> str:
        return ticketcodes.grouped(self.code)


class CheckIn(models.Model):
    """One entry at the gate: with a ticket (once per day) or counted at the gate."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="checkins")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE)
    visitor_kind = models.CharField(max_length=12, choices=VisitorKind.choices)
    day = models.DateField()
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "day"],
                condition=models.Q(ticket__isnull=False),
                name="one_entry_per_ticket_and_day",
            )
        ]
        indexes = [models.Index(fields=["event", "day"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.at:%Y-%m-%d %H:%M}"


class Topic(models.TextChoices):
    CITIZENSHIP = "citizenship", _("Citizenship")
    DRUGS = "drugs", _("Drugs")
    STADIUM = "stadium", _("Violence in stadiums")
    ROAD = "road", _("Road safety")
    ONLINE = "online", _("Online safety")


class SchoolSession(models.Model):
    school = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="sessions")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="school_sessions")
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    held_on = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=150)
    pupils = models.PositiveIntegerField(_("pupils reached"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.school_id} {self.topic} {self.held_on}"

    @property
    def done(self) -> bool:
        return self.pupils is not None


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Article(MultilingualTitle):
    slug = models.SlugField(max_length=80, unique=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)
    summary_ar = models.TextField(blank=True)
    summary_fr = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    body_ar = models.TextField(blank=True)
    body_fr = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ArticleStatus.choices, default="draft")
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    in_newsletter = models.BooleanField(default=False)

    class Meta:
        ordering = ["-publish_at", "-pk"]

    body = translated("body")
    summary = translated("summary")


class NewsletterSubscriber(models.Model):
    email = models.EmailField(unique=True)
    language = models.CharField(max_length=8, default="ar")
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)  # the last one asked
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class Newsletter(models.Model):
    subject = models.CharField(max_length=200)
    articles = models.ManyToManyField(Article, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.subject


class NewsletterDelivery(models.Model):
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(NewsletterSubscriber, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)  # given up: refused, or too many tries

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "subscriber"], name="one_copy_each")
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id} → {self.subscriber_id}"
