"""The police's public communication: events and open days (venues, stands, a programme,
tickets with a QR code, check-in at the gate), school awareness sessions, news in three
languages with a publication workflow, the newsletter (national, or of a prefecture or a
district) with double opt-in, and the publication of the yearly district reports."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area, Place
from qurb.communication import ticketcodes
from qurb.core.models import Multilingual, MultilingualName, MultilingualTitle, translated


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
    """An e-mail address that asked for the newsletter (double opt-in). It receives the
    editions of the areas it chose (``NewsletterArea``), or, having chosen none, the national
    edition."""

    email = models.EmailField(unique=True)
    language = models.CharField(max_length=8, default="ar")
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)  # the last one asked
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class NewsletterArea(models.Model):
    """An area whose edition a subscriber receives (a prefecture or a district). A subscriber
    without any receives the national edition. Indexed by area, so that "who receives this
    edition" is one query."""

    subscriber = models.ForeignKey(
        NewsletterSubscriber, on_delete=models.CASCADE, related_name="editions"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "area"], name="newsletter_one_area")
        ]
        indexes = [models.Index(fields=["area", "subscriber"], name="newsletter_area_readers")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} in {self.area_id}"


class Newsletter(Multilingual, models.Model):
    """One edition: national (no area), or of a prefecture or a district. A draft while
    ``queued_at`` is empty: its items are edited and reordered by the staff who compose it;
    queued, it has one copy per subscriber of that edition (``NewsletterDelivery``)."""

    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_ar = models.CharField(max_length=200, blank=True)
    subject_fr = models.CharField(max_length=200, blank=True)
    subject_en = models.CharField(max_length=200, blank=True)
    # The period its items were drawn from; the next edition of the area starts at ``until``.
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # sent to its subscribers
    sent_at = models.DateTimeField(null=True, blank=True)  # every copy done

    subject = translated("subject")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["area", "queued_at"], name="newsletter_area_editions")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_draft(self) -> bool:
        return self.queued_at is None


class ItemKind(models.TextChoices):
    ARTICLE = "article", _("News")
    MESSAGE = "message", _("Message from the district team")
    MEETING = "meeting", _("Meeting with residents")
    PRIORITY = "priority", _("Priority")
    NOTE = "note", _("Note")


class NewsletterItem(Multilingual, models.Model):
    """One entry of an edition, in Arabic, French and English: drawn from what the area
    published (``source`` names it, once per edition) or written by hand (a note), with a
    link to its page on the site. Its text is the edition's own: editing it changes nothing
    elsewhere."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=ItemKind.choices, default=ItemKind.NOTE)
    source = models.CharField(max_length=60, blank=True)  # "article:12", "meeting:4"
    title_ar = models.CharField(max_length=200, blank=True)
    title_fr = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    body_ar = models.TextField(blank=True)
    body_fr = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)  # a path on this site

    title = translated("title")
    body = translated("body")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "source"],
                condition=~models.Q(source=""),
                name="newsletter_item_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id}.{self.position}: {self.title}"

    def texts_in(self, language: str) -> tuple[str, str]:
        """The title and text in ``language``, else in the first of Arabic, French, English
        that has a title (both from the same language)."""
        for code in (language, "ar", "fr", "en"):
            title = getattr(self, f"title_{code}", "")
            if title:
                return title, getattr(self, f"body_{code}", "")
        return "", ""


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


class YearlyReportPublication(models.Model):
    """The yearly report of an area (``qurb.insights.yearly``, computed from the data) made
    public for a year that is over, once: residents who chose "figures" are told
    (``signals.yearly_report_published``)."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "year"], name="yearly_report_published_once")
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.year}"
