"""Neighbourhood meetings and priorities: the start of the SARA "response" step.

Only what the "my neighbourhood" page shows lives here for now; agendas, minutes and
evaluations come with the meetings work.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area
from qurb.core.text import pick_translation
from qurb.reports.models import Category


class Meeting(models.Model):
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="meetings"
    )
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=300)
    is_public = models.BooleanField(_("open to residents"), default=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)

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

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_translation({"ar": self.title_ar, "fr": self.title_fr, "en": self.title_en})


class PriorityStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    CLOSED = "closed", _("Closed")


class Priority(models.Model):
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="priorities"
    )
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
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

    class Meta:
        ordering = ["-set_on"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_translation({"ar": self.title_ar, "fr": self.title_fr, "en": self.title_en})

    @property
    def description(self) -> str:
        return pick_translation(
            {"ar": self.description_ar, "fr": self.description_fr, "en": self.description_en}
        )


class ActionProgress(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class PriorityAction(models.Model):
    """What the police did about a priority (the SARA "response"), dated."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(_("what was done"), max_length=2000)
    done_on = models.DateField(_("date"))
    progress = models.CharField(
        _("progress"), max_length=16, choices=ActionProgress.choices, default=ActionProgress.DONE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_on", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"{self.done_on}: {self.description[:60]}"
