"""Writes about accounts: creation, roles, associations, disabling."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import IO, Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.documents import document_clean, document_store
from qurb.accounts.models import (
    AccountInvitation,
    Association,
    AssociationDocument,
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
    language: str = "ar",
    documents: Sequence[IO[bytes]] = (),
    is_demo: bool = False,
    actor: Any = None,
) -> Association:
    """An association's application, with its documents; it waits for a communication cell to
    verify it. Every document is checked before anything is stored."""
    if len(documents) > settings.ASSOCIATION_DOCUMENTS_MAX:
        raise ValidationError(
            {
                "documents": [
                    _("At most %(n)s documents.") % {"n": settings.ASSOCIATION_DOCUMENTS_MAX}
                ]
            }
        )
    cleaned = []
    for upload in documents:
        try:
            cleaned.append(document_clean(upload))
        except ValidationError as exc:
            raise ValidationError({"documents": exc.messages}) from None
    with transaction.atomic():
        association = Association(
            contact_person=contact_person.strip()[:150],
            name_ar=names.get("ar", ""),
            name_fr=names.get("fr", ""),
            name_en=names.get("en", ""),
            registration_number=registration_number,
            area=area,
            contact_email=contact_email,
            language=language if language in dict(settings.LANGUAGES) else "ar",
            is_demo=is_demo,
        )
        association.full_clean()
        association.save()
        for document in cleaned:
            AssociationDocument.objects.create(
                association=association,
                file=document_store(document),
                content_type=document.content_type,
                size=len(document.data),
            )
        audit_record(
            actor=actor,
            action="accounts.association_register",
            target=association,
            area_id=area.pk,
            details={"documents": len(cleaned)},
        )
    return association


def _enqueue_decision(association_id: int) -> None:
    from qurb.accounts.tasks import send_association_decision

    send_association_decision.enqueue(association_id)


def _enqueue_account_invitation(invitation_id: int) -> None:
    from qurb.accounts.tasks import send_account_invitation

    send_account_invitation.enqueue(invitation_id)


def association_verify(*, association: Association, actor: User) -> Association:
    """A communication cell vouches for an association (callers fetch it with access checks).

    The contact person gets the association's first account, as its lead, and both e-mails
    (the decision, and the link to choose a password) leave through background tasks.
    """
    if association.status == AssociationStatus.VERIFIED:
        raise ValidationError({"association": [_("This association is already verified.")]})
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
        if association.contact_email and not association.members.exists():
            existing = User.objects.filter(
                email__iexact=association.contact_email, is_active=True
            ).first()
            if existing is None:
                association_member_invite(
                    association=association,
                    name=association.contact_person or association.name,
                    email=association.contact_email,
                    lead=True,
                    actor=actor,
                )
            elif existing.association_id is None:
                # The contact person already has an account (a resident, say): it becomes the
                # association's lead, with the password it has.
                association_member_add(user=existing, association=association, actor=actor)
                existing.association_lead = True
                existing.save(update_fields=["association_lead"])
            # Otherwise the contact person leads another association: the cell gives this one
            # a lead later (an account is tied to one association).
        if not association.is_demo:  # demo data writes to no one
            transaction.on_commit(lambda: _enqueue_decision(association.pk))
    return association


def association_reject(*, association: Association, reason: str, actor: User) -> Association:
    """A communication cell refuses an application, saying why (the association is told)."""
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
        transaction.on_commit(lambda: _enqueue_decision(association.pk))
    return association


def _free_username(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0].lower())[:100] or "member"
    candidate = base
    while User.objects.filter(username=candidate).exists():
        candidate = f"{base}.{secrets.token_hex(2)}"
    return candidate


def association_member_invite(
    *, association: Association, name: str, email: str, lead: bool = False, actor: Any
) -> User:
    """An account for a member of a verified association; an e-mail lets them choose their
    password. Only the association's lead or its verifiers call this (the views check)."""
    errors: dict[str, list[Any]] = {}
    if association.status != AssociationStatus.VERIFIED:
        errors["association"] = [_("Only a verified association has members' accounts.")]
    if not name.strip():
        errors["name"] = [_("Give the member's name.")]
    if not email.strip():
        errors["email"] = [_("Give the member's e-mail address.")]
    elif User.objects.filter(email__iexact=email.strip(), is_active=True).exists():
        errors["email"] = [_("An account already uses this e-mail address.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = user_create(
            username=_free_username(email.strip()),
            password=None,
            email=email.strip(),
            display_name=name.strip()[:150],
            preferred_language=association.language,
            actor=actor,
        )
        user.association_lead = lead
        user.save(update_fields=["association_lead"])
        association_member_add(user=user, association=association, actor=actor)
        invitation = AccountInvitation.objects.create(user=user, association=association)
        transaction.on_commit(lambda: _enqueue_account_invitation(invitation.pk))
    return user


def association_member_remove(*, user: User, association: Association, actor: Any) -> User:
    """The member leaves the association; the account is disabled (it existed only for it)."""
    if user.association_id != association.pk:
        raise ValidationError({"member": [_("This person is not a member of the association.")]})
    if (
        user.association_lead
        and not association.members.filter(association_lead=True, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    ):
        raise ValidationError(
            {"member": [_("The association must keep someone who manages its members.")]}
        )
    with transaction.atomic():
        user.association = None
        user.association_lead = False
        user.save(update_fields=["association", "association_lead"])
        RoleAssignment.objects.filter(user=user, role=Role.ASSOCIATION_MEMBER).delete()
        audit_record(
            actor=actor,
            action="accounts.association_member_remove",
            target=user,
            area_id=association.area_id,
            details={"association": association.pk},
        )
        user_disable(user=user, actor=actor)
    return user


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
