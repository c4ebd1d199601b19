"""Concern reports: what a resident or an association tells the police, and what became of it.

A report is never public as it was written. Residents follow theirs by an unguessable tracking
code; staff see the reports of their own areas; the public sees aggregated counts, and through
Open311 a small public subset of each request (``policy.publicly_listed``: no text, no exact
place, nobody).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qurb.areas.models import Area
from qurb.core.models import MultilingualTitle


class Category(models.TextChoices):
    DRUGS = "drugs", _("Drugs (dealing or use in public)")
    ROBBERY = "robbery", _("Street robbery or mugging")
    THEFT = "theft", _("Theft, pickpocketing, burglary")
    WEAPONS = "weapons", _("Carrying or using weapons")
    HARASSMENT = "harassment", _("Harassment or stalking")
    DISORDER = "disorder", _("Fights, drunkenness, noise, loitering")
    ROAD = "road", _("Dangerous driving, traffic danger")
    VANDALISM = "vandalism", _("Vandalism, arson, graffiti")
    HOOLIGANISM = "hooliganism", _("Stadium and supporter violence")
    OTHER = "other", _("Something else")


class Flag(models.TextChoices):
    WEAPON = "weapon", _("A weapon is involved")
    MINOR_INVOLVED = "minor_involved", _("A child or teenager is involved")
    NEAR_SCHOOL = "near_school", _("Near a school")
    IN_PROGRESS = "in_progress", _("It is happening now")


def flag_labels(values: object) -> list[str]:
    """Flags as people read them (in the active language), in the order given; a value that is
    no longer a flag is left out."""
    if not isinstance(values, list | tuple):
        return []
    return [str(Flag(v).label) for v in values if v in Flag.values]


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    ASSOCIATION = "association", _("Association")
    MEETING = "meeting", _("Meeting")
    SMS = "sms", pgettext_lazy("report channel", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("report channel", "WhatsApp")


class Status(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("report status", "Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    ACTION_PLANNED = "action_planned", _("Action planned")
    RESOLVED = "resolved", _("Resolved")
    NOT_POLICE = "not_police", _("Not a police matter")
    DUPLICATE = "duplicate", _("Duplicate")
    CLOSED = "closed", pgettext_lazy("report status", "Closed")


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.ACTION_PLANNED}
)
FINAL_STATUSES = frozenset({Status.RESOLVED, Status.NOT_POLICE, Status.DUPLICATE, Status.CLOSED})
# The lifecycle: forward through the open steps, or to an end; a closed report may be reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset(
        {
            Status.ACKNOWLEDGED,
            Status.INVESTIGATING,
            Status.ACTION_PLANNED,
            Status.RESOLVED,
            Status.NOT_POLICE,
            Status.DUPLICATE,
            Status.CLOSED,
        }
    ),
    Status.ACKNOWLEDGED: frozenset(
        {
            Status.INVESTIGATING,
            Status.ACTION_PLANNED,
            Status.RESOLVED,
            Status.NOT_POLICE,
            Status.DUPLICATE,
            Status.CLOSED,
        }
    ),
    Status.INVESTIGATING: frozenset(
        {Status.ACTION_PLANNED, Status.RESOLVED, Status.NOT_POLICE, Status.DUPLICATE, Status.CLOSED}
    ),
    Status.ACTION_PLANNED: frozenset(
        {Status.INVESTIGATING, Status.RESOLVED, Status.DUPLICATE, Status.CLOSED}
    ),
    Status.RESOLVED: frozenset({Status.INVESTIGATING, Status.CLOSED}),
    Status.NOT_POLICE: frozenset({Status.ACKNOWLEDGED}),
    Status.DUPLICATE: frozenset({Status.ACKNOWLEDGED}),
    Status.CLOSED: frozenset({Status.INVESTIGATING}),
}


class When(models.TextChoices):
    NOW = "now", _("It is happening now")
    MOMENT = "moment", _("At a given moment")
    RECURRING = "recurring", _("It keeps happening")
    UNKNOWN = "unknown", _("I do not know")


class RecurrenceDays(models.TextChoices):
    DAILY = "daily", _("Every day")
    SCHOOL_DAYS = "school_days", _("School days")
    WEEKDAYS = "weekdays", _("Monday to Friday")
    WEEKENDS = "weekends", _("Weekends")
    FRIDAYS = "fridays", _("Fridays")
    MATCH_DAYS = "match_days", _("Match days")


class Outcome(models.TextChoices):
    BETTER = "better", _("Better")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class ApiKey(models.Model):
    """A partner's key for the JSON API and Open311. Only a hash of the key is kept."""

    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Report(models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=32, unique=True)
    # Open311 clients may receive a token before the id; here both exist at once.
    token = models.CharField(max_length=32, unique=True)
    # What the public reads of the report go by (Open311 without a key): random, so it says
    # nothing of when or in what order reports came. Never the tracking code, which lets its
    # holder follow the report and answer for the reporter. Empty for synthetic reports.
    public_id = models.CharField(
        _("public reference"), max_length=20, unique=True, null=True, blank=True, editable=False
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # What the reporter chose; ``category`` is the working category, which staff may correct.
    reported_category = models.CharField(
        _("category chosen by the reporter"), max_length=16, choices=Category.choices, blank=True
    )
    # The automatic reading of the text (qurb.language), kept beside what the reporter chose.
    suggested_category = models.CharField(
        _("suggested category"), max_length=16, choices=Category.choices, blank=True
    )
    suggestion_confidence = models.FloatField(_("confidence"), null=True, blank=True)
    suggested_flags = models.JSONField(_("suggested flags"), default=list, blank=True)
    reported_flags = models.JSONField(_("flags chosen by the reporter"), default=list, blank=True)
    triage_confirmed_at = models.DateTimeField(null=True, blank=True)
    triage_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flag_weapon = models.BooleanField(_("weapon"), default=False)
    flag_minor = models.BooleanField(_("minor involved"), default=False)
    flag_near_school = models.BooleanField(_("near a school"), default=False)
    flag_in_progress = models.BooleanField(_("in progress"), default=False)
    description = models.TextField(_("description"), max_length=4000)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    address = models.CharField(_("address or landmark"), max_length=300, blank=True)
    district = models.ForeignKey(
        Area, verbose_name=_("district"), on_delete=models.PROTECT, related_name="district_reports"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="reports"
    )
    when = models.CharField(_("when"), max_length=12, choices=When.choices, default=When.UNKNOWN)
    occurred_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    recurrence_days = models.CharField(
        _("which days"), max_length=16, choices=RecurrenceDays.choices, blank=True
    )
    recurrence_from = models.TimeField(_("from"), null=True, blank=True)
    recurrence_to = models.TimeField(_("until"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_reports",
    )
    anonymous = models.BooleanField(_("anonymous"), default=True)
    language = models.CharField(_("language"), max_length=8, default="ar")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_reports",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    outcome = models.CharField(
        _("did things get better?"), max_length=8, choices=Outcome.choices, blank=True
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    # Written for the demo (never a real resident's report).
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Generated in bulk for scale tests and benchmarks (`qurb generate-reports`).
    is_synthetic = models.BooleanField(_("synthetic"), default=False, db_index=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Analysis columns (see reports.rollup): the point's H3 cell at resolution 15, the local
    # day it was seen and the local hour of the week it happens (empty when unknown).
    h3_cell = models.BigIntegerField(null=True, blank=True, editable=False)
    seen_on = models.DateField(_("seen on"), null=True, blank=True, editable=False)
    hour_of_week = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["district", "status", "created_at"]),
            models.Index(fields=["area", "created_at"]),
            # The analyses' raw reads (one district's period); covering on PostgreSQL.
            models.Index(
                fields=["district", "seen_on"],
                include=["h3_cell", "hour_of_week", "category", "area", "status", "lat", "lon"],
                name="report_district_seen",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="report_point_on_earth",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}"

    @property
    def flags(self) -> list[str]:
        pairs = [
            (self.flag_weapon, Flag.WEAPON),
            (self.flag_minor, Flag.MINOR_INVOLVED),
            (self.flag_near_school, Flag.NEAR_SCHOOL),
            (self.flag_in_progress, Flag.IN_PROGRESS),
        ]
        return [str(flag) for on, flag in pairs if on]

    @property
    def flag_labels(self) -> list[str]:
        return flag_labels(self.flags)

    @property
    def reported_flag_labels(self) -> list[str]:
        """The flags the reporter chose, as people read them."""
        return flag_labels(self.reported_flags)

    @property
    def suggested_flag_labels(self) -> list[str]:
        """The flags suggested from the text, as people read them."""
        return flag_labels(self.suggested_flags)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReporterContact(models.Model):
    """How to reach the reporter, kept apart from the report so every read can be audited.

    ``updates_email`` only receives status updates and is never shown to staff; the name,
    phone and e-mail exist only when the reporter chose to be identified.
    """

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField(_("name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    updates_email = models.EmailField(_("e-mail for updates"), blank=True)

    class Meta:
        verbose_name = _("reporter contact")
        verbose_name_plural = _("reporter contacts")

    def __str__(self) -> str:
        return f"contact of report #{self.report_id}"


class Photo(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    # A random name under MEDIA_ROOT; never the uploaded file name.
    file = models.CharField(max_length=200, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file


class StatusChange(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    public_note = models.TextField(_("public note"), max_length=2000, blank=True)
    staff_note = models.TextField(_("private staff note"), max_length=2000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once the reporter was told by e-mail; a retried task never sends twice.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.report_id}: {self.from_status or '∅'} → {self.to_status}"


class StaffNote(models.Model):
    """A private note on a report, for staff only."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on #{self.report_id}"


class ResponseTemplate(MultilingualTitle):
    """A reusable public answer for a status change, per category (empty: any category); its
    title (what staff pick from) and text are kept in Arabic, French and English."""

    category = models.CharField(_("category"), max_length=16, choices=Category.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    text_ar = models.TextField(_("text (Arabic)"), blank=True)
    text_fr = models.TextField(_("text (French)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)

    class Meta:
        ordering = ["status", "category", "pk"]
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")

    def text(self, language: str | None = None) -> str:
        return self.localized("text", language)


class ReportLabel(models.Model):
    """A labelled text for the triage model: a staff confirmation or correction of a report."""

    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels"
    )
    text = models.TextField(max_length=4000)
    category = models.CharField(max_length=16, choices=Category.choices)
    flags = models.JSONField(default=list)
    suggested_category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    corrected = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("triage label")
        verbose_name_plural = _("triage labels")

    def __str__(self) -> str:
        return f"{self.category} ← #{self.report_id}"


class CellDay(models.Model):
    """Reports per district, day, category and hexagon (at ``HOTSPOT_H3_RESOLUTION``)."""

    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    category = models.CharField(max_length=16, choices=Category.choices)
    cell = models.BigIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "day", "category", "cell"], name="cellday_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["district", "day"], include=["cell", "category", "n"], name="cellday_read"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.day} {self.category} {self.cell:x}: {self.n}"


class HourDay(models.Model):
    """Reports per district, day, category and local hour of the week."""

    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    category = models.CharField(max_length=16, choices=Category.choices)
    hour_of_week = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "day", "category", "hour_of_week"], name="hourday_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["district", "day"],
                include=["hour_of_week", "category", "n"],
                name="hourday_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.day} {self.category} h{self.hour_of_week}: {self.n}"
