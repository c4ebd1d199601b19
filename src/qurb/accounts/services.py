"""Writes about accounts: creation, roles, associations, disabling."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.models import (
    Association,
    AssociationStatus,
    OfficerProfile,
    Rank,
    Role,
    RoleAssignment,
    User,
)
from qurb.areas.models import Area
from qurb.audit.services import audit_record


def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    display_name: str = "",
    preferred_language: str = "ar",
    actor: Any = None,
) -> User:
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            display_name=display_name,
            preferred_language=preferred_language,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        audit_record(actor=actor, action="accounts.user_create", target=user)
    return user


def role_grant(
    *, user: User, role: Role, area: Area | None = None, actor: Any = None
) -> RoleAssignment:
    with transaction.atomic():
        assignment, _created = RoleAssignment.objects.get_or_create(
            user=user,
            role=role,
            area=area,
            defaults={"granted_by": actor if getattr(actor, "pk", None) else None},
        )
        _admin_flags_sync(user)
        audit_record(
            actor=actor,
            action="accounts.role_grant",
            target=user,
            area_id=area.pk if area else None,
            details={"role": str(role)},
        )
    user.__dict__.pop("_qurb_roles", None)
    return assignment


def role_revoke(*, assignment: RoleAssignment, actor: Any = None) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="accounts.role_revoke",
            target=assignment.user,
            area_id=assignment.area_id,
            details={"role": assignment.role},
        )
        assignment.delete()
        _admin_flags_sync(assignment.user)
    assignment.user.__dict__.pop("_qurb_roles", None)


def _admin_flags_sync(user: User) -> None:
    """The Django admin is for administrators (everything) and inspectors (audit, read-only)."""
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    is_staff = bool(roles & {Role.ADMINISTRATOR, Role.INSPECTOR})
    is_superuser = Role.ADMINISTRATOR in roles
    if (user.is_staff, user.is_superuser) != (is_staff, is_superuser):
        user.is_staff, user.is_superuser = is_staff, is_superuser
        user.save(update_fields=["is_staff", "is_superuser"])


def officer_profile_set(
    *,
    user: User,
    rank: Rank,
    public_phone: str = "",
    public_email: str = "",
    notes: dict[str, str] | None = None,
    is_demo: bool = False,
    actor: Any = None,
) -> OfficerProfile:
    notes = notes or {}
    with transaction.atomic():
        profile = OfficerProfile.objects.filter(user=user).first() or OfficerProfile(user=user)
        profile.rank, profile.public_phone, profile.public_email = rank, public_phone, public_email
        profile.public_note_ar = notes.get("ar", "")
        profile.public_note_fr = notes.get("fr", "")
        profile.public_note_en = notes.get("en", "")
        profile.is_demo = is_demo
        profile.full_clean()
        profile.save()
        audit_record(actor=actor, action="accounts.officer_profile_set", target=profile)
    return profile


def association_register(
    *,
    names: dict[str, str],
    registration_number: str,
    area: Area,
    contact_email: str = "",
    contact_person: str = "",
    is_demo: bool = False,
    actor: Any = None,
) -> Association:
    """An association's application; it waits for a communication cell to verify it."""
    with transaction.atomic():
        association = Association(
            contact_person=contact_person.strip()[:150],
            name_ar=names.get("ar", ""),
            name_fr=names.get("fr", ""),
            name_en=names.get("en", ""),
            registration_number=registration_number,
            area=area,
            contact_email=contact_email,
            is_demo=is_demo,
        )
        association.full_clean()
        association.save()
        audit_record(
            actor=actor, action="accounts.association_register", target=association, area_id=area.pk
        )
    return association


def association_verify(*, association: Association, actor: User) -> Association:
    """A communication cell vouches for an association (callers fetch it with access checks)."""
    with transaction.atomic():
        association.status = AssociationStatus.VERIFIED
        association.verified_by = actor
        association.verified_at = timezone.now()
        association.full_clean()
        association.save(update_fields=["status", "verified_by", "verified_at"])
        audit_record(
            actor=actor,
            action="accounts.association_verify",
            target=association,
            area_id=association.area_id,
        )
    return association


def association_reject(*, association: Association, reason: str, actor: User) -> Association:
    """A communication cell refuses an application, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the application is refused.")]})
    with transaction.atomic():
        association.status = AssociationStatus.REJECTED
        association.rejection_reason = reason.strip()
        association.save(update_fields=["status", "rejection_reason"])
        audit_record(
            actor=actor,
            action="accounts.association_reject",
            target=association,
            area_id=association.area_id,
        )
    return association


def association_member_add(*, user: User, association: Association, actor: Any = None) -> User:
    with transaction.atomic():
        user.association = association
        user.save(update_fields=["association"])
        RoleAssignment.objects.get_or_create(user=user, role=Role.ASSOCIATION_MEMBER, area=None)
        audit_record(
            actor=actor,
            action="accounts.association_member_add",
            target=user,
            area_id=association.area_id,
            details={"association": association.pk},
        )
    return user


def user_disable(*, user: User, actor: Any = None) -> User:
    """Disable an account and end every session it has open."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == str(user.pk):
                session.delete()
        audit_record(actor=actor, action="accounts.user_disable", target=user)
    return user
