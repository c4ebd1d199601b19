from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area
from qurb.core.models import MultilingualName
from qurb.core.text import pick_translation


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    ASSOCIATION_MEMBER = "association_member", _("Association member")
    NEIGHBOURHOOD_OFFICER = "neighbourhood_officer", _("Neighbourhood officer")
    DISTRICT_CHIEF = "district_chief", _("District chief")
    COMMUNICATION_CELL = "communication_cell", _("Communication cell")
    HQ_ANALYST = "hq_analyst", _("HQ analyst")
    INSPECTOR = "inspector", _("Inspector")
    ADMINISTRATOR = "administrator", _("Administrator")
    # The unit that checks and approves missing-child alerts, designated per prefecture.
    ALERT_VALIDATOR = "alert_validator", _("Alert validation unit")


# Roles that must be held over an area (a rule on the data, kept by a constraint; what each
# role may do is in qurb.accounts.access).
AREA_SCOPED_ROLES = frozenset(
    {
        Role.NEIGHBOURHOOD_OFFICER,
        Role.DISTRICT_CHIEF,
        Role.COMMUNICATION_CELL,
        Role.ALERT_VALIDATOR,
    }
)


class User(AbstractUser):
    """An account. Residents need none to report or read; staff always have one."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="ar"
    )
    association = models.ForeignKey(
        "accounts.Association",
        verbose_name=_("association"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # The association's contact person: may add and remove the association's members.
    association_lead = models.BooleanField(_("manages the association's members"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        help_text=_("Where the role applies; empty means the whole force."),
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                name="unique_role_per_area",
                condition=models.Q(area__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                name="unique_force_wide_role",
                condition=models.Q(area__isnull=True),
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=[r.value for r in Role if r in AREA_SCOPED_ROLES])
                | models.Q(area__isnull=False),
                name="scoped_role_has_area",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area or '—'}"


class Rank(models.TextChoices):
    GARDIEN = "gardien_de_la_paix", _("Police constable")
    BRIGADIER = "brigadier", _("Sergeant")
    INSPECTEUR = "inspecteur", _("Inspector of police")
    OFFICIER = "officier", _("Police officer (lieutenant)")
    COMMISSAIRE = "commissaire", _("Superintendent")


class OfficerProfile(models.Model):
    """What residents see of an officer: name, rank and a professional way to reach them."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="officer_profile")
    rank = models.CharField(_("rank"), max_length=32, choices=Rank.choices)
    # Professional contact only (the station's line or a service address), never personal.
    public_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    public_email = models.EmailField(_("public e-mail"), blank=True)
    public_note_ar = models.CharField(_("note (Arabic)"), max_length=300, blank=True)
    public_note_fr = models.CharField(_("note (French)"), max_length=300, blank=True)
    public_note_en = models.CharField(_("note (English)"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("officer profile")
        verbose_name_plural = _("officer profiles")

    def __str__(self) -> str:
        return f"{self.get_rank_display()} {self.user}"

    @property
    def public_note(self) -> str:
        return pick_translation(
            {"ar": self.public_note_ar, "fr": self.public_note_fr, "en": self.public_note_en}
        )


class AssociationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class Association(MultilingualName):
    """A registered civil-society organisation, verified by a communication cell."""

    registration_number = models.CharField(_("registration number"), max_length=60, unique=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area of activity"),
        on_delete=models.PROTECT,
        related_name="associations",
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=150, blank=True)
    # The language it applied in: its e-mails (decision, invitations) are written in it.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="ar"
    )
    decision_mailed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason for refusal"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssociationStatus.choices,
        default=AssociationStatus.PENDING,
    )
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="verified")
                | models.Q(verified_at__isnull=False, verified_by__isnull=False),
                name="verified_association_has_verifier",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AssociationDocument(models.Model):
    """A document sent with an application (statutes, récépissé, list of the board), seen only
    by the communication cell that verifies the association."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="documents")
    file = models.CharField(max_length=200)  # storage name, random, outside any public URL
    # The PDF as sent, for the legal record only; staff open `file`, rebuilt from pixels.
    original = models.CharField(max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.association_id}: {self.content_type}, {self.size} bytes"


class AccountInvitation(models.Model):
    """The e-mail that lets a new member choose a password; sent once by a background task."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} → {self.association_id}"
