"""Neighbourhood meetings and priorities (SARA).

A meeting (لقاء تواصلي) has invited associations and open registration with places and a
waiting list, an agenda drafted from the data, attendance, minutes, the proposals raised and
their answers, action items, and the attendees' ratings. A priority records the problem, the
actions taken and, computed from the reports, the assessment.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area
from qurb.core.models import Multilingual, MultilingualTitle, translated
from qurb.core.text import pick_translation
from qurb.reports.models import Category


class MeetingMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("In person and online")


class Meeting(MultilingualTitle):
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="meetings"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location_ar = models.CharField(_("place (Arabic)"), max_length=300, blank=True)
    location_fr = models.CharField(_("place (French)"), max_length=300, blank=True)
    location_en = models.CharField(_("place (English)"), max_length=300, blank=True)
    is_public = models.BooleanField(_("open to residents"), default=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    mode = models.CharField(
        _("format"), max_length=12, choices=MeetingMode.choices, default=MeetingMode.IN_PERSON
    )
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    invited = models.ManyToManyField(
        "accounts.Association",
        verbose_name=_("invited associations"),
        blank=True,
        related_name="meeting_invitations",
    )
    agenda_ar = models.TextField(_("agenda (Arabic)"), blank=True)
    agenda_fr = models.TextField(_("agenda (French)"), blank=True)
    agenda_en = models.TextField(_("agenda (English)"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)

    location = translated("location")
    agenda = translated("agenda")

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            )
        ]


class PriorityStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    CLOSED = "closed", _("Closed")


class Priority(MultilingualTitle):
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="priorities"
    )
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PriorityStatus.choices, default=PriorityStatus.CURRENT
    )
    set_on = models.DateField(_("set on"))
    # SARA: the problem's category (empty: every category) decides which reports measure it;
    # the response starts with the first action, which splits "before" from "after".
    category = models.CharField(
        _("category of the problem"), max_length=16, choices=Category.choices, blank=True
    )
    response_started_on = models.DateField(_("response started on"), null=True, blank=True)
    # The evidence (SARA "analysis"): reports staff linked to it, and hexagons of the hotspot
    # analysis (H3 cells at QURB_HOTSPOT_RESOLUTION, as hexadecimal strings).
    evidence_reports = models.ManyToManyField(
        "reports.Report", verbose_name=_("reports"), blank=True, related_name="priorities"
    )
    hotspot_cells = models.JSONField(_("hotspots"), default=list, blank=True)

    class Meta:
        ordering = ["-set_on"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    description = translated("description")


class ActionProgress(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class PriorityAction(Multilingual, models.Model):
    """What the police did about a priority (the SARA "response"), dated; the text is kept in
    Arabic, French and English (``description``: in the reader's language)."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="actions")
    description_ar = models.TextField(_("what was done (Arabic)"), max_length=2000, blank=True)
    description_fr = models.TextField(_("what was done (French)"), max_length=2000, blank=True)
    description_en = models.TextField(_("what was done (English)"), max_length=2000, blank=True)
    done_on = models.DateField(_("date"))
    progress = models.CharField(
        _("progress"), max_length=16, choices=ActionProgress.choices, default=ActionProgress.DONE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    description = translated("description")

    class Meta:
        ordering = ["done_on", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"{self.done_on}: {self.description[:60]}"


class PriorityRating(models.Model):
    """A resident's view of how a priority is being dealt with (1 to 5), once per person; the
    person is kept only as a keyed hash."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="ratings")
    respondent = models.CharField(max_length=64)
    score = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "respondent"], name="one_priority_rating_each"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="priority_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority_id}: {self.score}"


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Place confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    association = models.ForeignKey(
        "accounts.Association", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.CONFIRMED,
    )
    attended = models.BooleanField(_("attended"), default=False)
    language = models.CharField(max_length=8, default="ar")  # of the reminder e-mail
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="one_registration_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.meeting_id} ({self.status})"


class ProposalAnswer(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Accepted")
    UNDER_STUDY = "under_study", _("Under study")
    REJECTED = "rejected", _("Rejected")


class Proposal(models.Model):
    """A proposal raised at a meeting, or sent by an association from its space, and the
    police's answer."""

    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="proposals")
    association = models.ForeignKey(
        "accounts.Association",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    text = models.TextField(_("proposal"), max_length=2000)
    answer = models.CharField(
        _("answer"), max_length=12, choices=ProposalAnswer.choices, default=ProposalAnswer.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ActionItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    text = models.TextField(_("action"), max_length=2000)
    owner = models.CharField(_("owner"), max_length=150)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Rating(models.Model):
    """An attendee's rating of the meeting and of the district's performance (1 to 5)."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="rating"
    )
    meeting_score = models.PositiveSmallIntegerField(_("the meeting"))
    performance_score = models.PositiveSmallIntegerField(_("the district's performance"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meeting_score__gte=1, meeting_score__lte=5)
                & models.Q(performance_score__gte=1, performance_score__lte=5),
                name="rating_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting_score}/{self.performance_score}"


class Invitation(models.Model):
    """An invited association's e-mail invitation, sent once by a background task."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    association = models.ForeignKey(
        "accounts.Association", on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "association"], name="one_invitation")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} → {self.association_id}"


class QuestionKind(models.TextChoices):
    SCALE = "scale", _("From 1 to 5")
    YES_NO = "yes_no", _("Yes or no")
    CHOICE = "choice", _("One of several answers")


class Survey(MultilingualTitle):
    """A trust and satisfaction questionnaire for an area, answered anonymously."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="surveys")
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")), name="survey_dates"
            )
        ]


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=QuestionKind.choices)
    text_ar = models.CharField(max_length=300, blank=True)
    text_fr = models.CharField(max_length=300, blank=True)
    text_en = models.CharField(max_length=300, blank=True)
    # For CHOICE: [{"value": "often", "ar": "…", "fr": "…", "en": "…"}, …]
    choices = models.JSONField(default=list, blank=True)
    # Questions marked "trust" make the trust index (scale questions, 1 to 5).
    measures_trust = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return pick_translation({"ar": self.text_ar, "fr": self.text_fr, "en": self.text_en})


class SurveyResponse(models.Model):
    """One person's answers; the respondent is kept only as a keyed hash, to answer once."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent"], name="one_response_each")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.created_at:%Y-%m-%d}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_each")
        ]

    def __str__(self) -> str:
        return self.value
