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

from qurb.accounts import policy
from qurb.accounts.access import Capability, forget_grants, grant, is_staff_member
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
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.core.errors import NotFound, Refused


@audited(AuditAction.ACCOUNTS_CREATE_USER)
def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    display_name: str = "",
    preferred_language: str = "ar",
    actor: User | None = None,
) -> User:
    policy.require_account_manager(actor)
    user = _user_new(
        username=username,
        password=password,
        email=email,
        display_name=display_name,
        preferred_language=preferred_language,
    )
    audit_record(actor=actor, action=AuditAction.ACCOUNTS_CREATE_USER, target=user)
    return user


def _user_new(
    *, username: str, password: str | None, email: str, display_name: str, preferred_language: str
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
    return user


# What an administrator may change about an account by hand; privileges follow from roles.
EDITABLE_USER_FIELDS = frozenset(
    {"username", "first_name", "last_name", "email", "display_name", "preferred_language"}
)


@audited(AuditAction.ACCOUNTS_UPDATE_USER)
def user_details_update(*, user: User, values: dict[str, Any], actor: User) -> User:
    """Change an account's names or contact details (an administrator, from the admin)."""
    policy.require_account_manager(actor)
    refused = set(values) - EDITABLE_USER_FIELDS
    if refused:
        raise Refused("out_of_scope")
    changes = {
        f: change_of(getattr(user, f), v) for f, v in values.items() if getattr(user, f) != v
    }
    for field, value in values.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=sorted(values) or None)
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_UPDATE_USER,
        target=user,
        details={"changes": changes},
    )
    return user


@audited(AuditAction.ACCOUNTS_SET_PASSWORD)
def user_password_set(*, user: User, password: str | None, actor: User) -> User:
    """An administrator sets another account's password (``None``: password sign-in is
    disabled). The event records whether a password is usable, never the password."""
    policy.require_account_manager(actor)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_SET_PASSWORD,
        target=user,
        details={"usable": user.has_usable_password()},
    )
    return user


@audited(AuditAction.ACCOUNTS_GRANT_ROLE)
def role_grant(
    *, user: User, role: Role, area: Area | None = None, actor: User | None = None
) -> RoleAssignment:
    policy.require_account_manager(actor)
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=user,
        role=role,
        area=area,
        defaults={"granted_by": actor if getattr(actor, "pk", None) else None},
    )
    changes = _admin_flags_sync(user)
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_GRANT_ROLE,
        target=user,
        area_id=area.pk if area else None,
        details={"role": str(role), **({"changes": changes} if changes else {})},
    )
    forget_grants(user)
    return assignment


@audited(AuditAction.ACCOUNTS_REVOKE_ROLE)
def role_revoke(*, assignment: RoleAssignment, actor: User | None = None) -> None:
    policy.require_account_manager(actor)
    assignment.delete()
    changes = _admin_flags_sync(assignment.user)
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_REVOKE_ROLE,
        target=assignment.user,
        area_id=assignment.area_id,
        details={"role": assignment.role, **({"changes": changes} if changes else {})},
    )
    forget_grants(assignment.user)


def _admin_flags_sync(user: User) -> dict[str, Any]:
    """The Django admin is for those who read the audit trail over the whole force
    (inspectors, read-only; administrators) and its superusers are those who manage
    accounts. Returns the flags that changed, as audit ``changes``."""
    forget_grants(user)
    is_staff = grant(user, Capability.AUDIT_READ).everywhere
    is_superuser = grant(user, Capability.ACCOUNT_MANAGE).everywhere
    changes: dict[str, Any] = {}
    if user.is_staff != is_staff:
        changes["is_staff"] = change_of(user.is_staff, is_staff)
    if user.is_superuser != is_superuser:
        changes["is_superuser"] = change_of(user.is_superuser, is_superuser)
    if changes:
        user.is_staff, user.is_superuser = is_staff, is_superuser
        user.save(update_fields=["is_staff", "is_superuser"])
    return changes


@audited(AuditAction.ACCOUNTS_SET_OFFICER_PROFILE)
def officer_profile_set(
    *,
    user: User,
    rank: Rank,
    public_phone: str = "",
    public_email: str = "",
    notes: dict[str, str] | None = None,
    is_demo: bool = False,
    actor: User | None = None,
) -> OfficerProfile:
    policy.require_account_manager(actor)
    notes = notes or {}
    profile = OfficerProfile.objects.filter(user=user).first() or OfficerProfile(user=user)
    before = {
        "rank": profile.rank,
        "public_phone": profile.public_phone,
        "public_email": profile.public_email,
    }
    profile.rank, profile.public_phone, profile.public_email = rank, public_phone, public_email
    profile.public_note_ar = notes.get("ar", "")
    profile.public_note_fr = notes.get("fr", "")
    profile.public_note_en = notes.get("en", "")
    profile.is_demo = is_demo
    profile.full_clean()
    profile.save()
    after = {
        "rank": profile.rank,
        "public_phone": profile.public_phone,
        "public_email": profile.public_email,
    }
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_SET_OFFICER_PROFILE,
        target=profile,
        details={
            "changes": {k: change_of(before[k], after[k]) for k in after if before[k] != after[k]}
        },
    )
    return profile


@audited(AuditAction.ACCOUNTS_REGISTER_ASSOCIATION)
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
    actor: User | None = None,
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
        name, original = document_store(document)
        AssociationDocument.objects.create(
            association=association,
            file=name,
            original=original,
            content_type=document.content_type,
            size=len(document.data),
        )
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_REGISTER_ASSOCIATION,
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


@audited(AuditAction.ACCOUNTS_VERIFY_ASSOCIATION)
def association_verify(*, association: Association, actor: User) -> Association:
    """A communication cell of the association's area vouches for it.

    The contact person gets the association's first account, as its lead, and both e-mails
    (the decision, and the link to choose a password) leave through background tasks.
    """
    policy.require(actor, Capability.ASSOCIATION_VERIFY, association)
    if association.status == AssociationStatus.VERIFIED:
        raise ValidationError({"association": [_("This association is already verified.")]})
    before = association.status
    lead: User | None = None
    association.status = AssociationStatus.VERIFIED
    association.verified_by = actor
    association.verified_at = timezone.now()
    association.full_clean()
    association.save(update_fields=["status", "verified_by", "verified_at"])
    if association.contact_email and not association.members.exists():
        existing = User.objects.filter(
            email__iexact=association.contact_email, is_active=True
        ).first()
        if existing is None:
            lead = _member_invite(
                association=association,
                name=association.contact_person or association.name,
                email=association.contact_email,
                lead=True,
            )
        elif _may_lead(existing):
            # The contact person already has an account (a resident): it becomes the
            # association's lead, with the password it has.
            lead = _member_join(user=existing, association=association)
            existing.association_lead = True
            existing.save(update_fields=["association_lead"])
        # Otherwise the e-mail is a staff account's or another association's member's:
        # such an account is never handed to an association (anyone may name any e-mail
        # in an application). The association is verified without an account; the page
        # tells the cell so (selectors.association_lead_missing).
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_VERIFY_ASSOCIATION,
        target=association,
        area_id=association.area_id,
        details={
            "changes": {"status": change_of(before, association.status)},
            "lead": lead.pk if lead else None,
        },
    )
    if not association.is_demo:  # demo data writes to no one
        transaction.on_commit(lambda: _enqueue_decision(association.pk))
    return association


def _may_lead(account: User) -> bool:
    """Whether an existing account may become an association's lead: a resident's, not a
    staff account (any role with a staff capability, or the admin's flags) and not a member
    of an association already."""
    return not (
        account.association_id is not None
        or account.is_staff
        or account.is_superuser
        or is_staff_member(account)
    )


@audited(AuditAction.ACCOUNTS_REJECT_ASSOCIATION)
def association_reject(*, association: Association, reason: str, actor: User) -> Association:
    """A communication cell of the association's area refuses an application, saying why
    (the association is told)."""
    policy.require(actor, Capability.ASSOCIATION_VERIFY, association)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the application is refused.")]})
    before = association.status
    association.status = AssociationStatus.REJECTED
    association.rejection_reason = reason.strip()
    association.save(update_fields=["status", "rejection_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_REJECT_ASSOCIATION,
        target=association,
        area_id=association.area_id,
        details={
            "changes": {"status": change_of(before, association.status)},
            "reason": association.rejection_reason,
        },
    )
    if not association.is_demo:  # demo data writes to no one
        transaction.on_commit(lambda: _enqueue_decision(association.pk))
    return association


def _free_username(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0].lower())[:100] or "member"
    candidate = base
    while User.objects.filter(username=candidate).exists():
        candidate = f"{base}.{secrets.token_hex(2)}"
    return candidate


@audited(AuditAction.ACCOUNTS_ADD_MEMBER)
def association_member_invite(
    *, association: Association, name: str, email: str, lead: bool = False, actor: User
) -> User:
    """An account for a member of a verified association; an e-mail lets them choose their
    password. The association's lead, or a verifier of its area, invites."""
    policy.require_member_manager(actor, association)
    if lead and not policy.may(actor, Capability.ASSOCIATION_VERIFY, association):
        raise Refused("out_of_scope")  # a lead names members, verifiers name leads
    user = _member_invite(association=association, name=name, email=email, lead=lead)
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_ADD_MEMBER,
        target=user,
        area_id=association.area_id,
        details={"association": association.pk, "invited": True},
    )
    return user


def _member_invite(*, association: Association, name: str, email: str, lead: bool) -> User:
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
        user = _user_new(
            username=_free_username(email.strip()),
            password=None,
            email=email.strip(),
            display_name=name.strip()[:150],
            preferred_language=association.language,
        )
        user.association_lead = lead
        user.save(update_fields=["association_lead"])
        _member_join(user=user, association=association)
        invitation = AccountInvitation.objects.create(user=user, association=association)
        transaction.on_commit(lambda: _enqueue_account_invitation(invitation.pk))
    return user


@audited(AuditAction.ACCOUNTS_REMOVE_MEMBER)
def association_member_remove(*, user: User, association: Association, actor: User) -> User:
    """The member leaves the association; the account is disabled (it existed only for it)."""
    policy.require_member_manager(actor, association)
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
    user.association = None
    user.association_lead = False
    user.save(update_fields=["association", "association_lead"])
    RoleAssignment.objects.filter(user=user, role=Role.ASSOCIATION_MEMBER).delete()
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_REMOVE_MEMBER,
        target=user,
        area_id=association.area_id,
        details={"association": association.pk},
    )
    _disable(user)
    return user


@audited(AuditAction.ACCOUNTS_ADD_MEMBER)
def association_member_add(
    *, user: User, association: Association, actor: User | None = None
) -> User:
    """An existing account joins an association (administrators and the system)."""
    policy.require_account_manager(actor)
    _member_join(user=user, association=association)
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_ADD_MEMBER,
        target=user,
        area_id=association.area_id,
        details={"association": association.pk},
    )
    return user


def _member_join(*, user: User, association: Association) -> User:
    with transaction.atomic():
        user.association = association
        user.save(update_fields=["association"])
        RoleAssignment.objects.get_or_create(user=user, role=Role.ASSOCIATION_MEMBER, area=None)
    return user


@audited(AuditAction.ACCOUNTS_DISABLE_USER)
def user_disable(*, user: User, actor: User | None = None) -> User:
    """Disable an account and end every session it has open."""
    policy.require_account_manager(actor)
    _disable(user)
    audit_record(actor=actor, action=AuditAction.ACCOUNTS_DISABLE_USER, target=user)
    return user


def _disable(user: User) -> None:
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == str(user.pk):
                session.delete()


@audited(AuditAction.ACCOUNTS_READ_ASSOCIATION_DOCUMENT)
def association_document_read(
    *, actor: User, association_id: int, document_id: int
) -> AssociationDocument:
    """A document sent with an application, for the verifiers of its area; each read is
    recorded. 404 for anyone else."""
    association = policy.access_association(actor, association_id)
    document = AssociationDocument.objects.filter(pk=document_id, association=association).first()
    if document is None:
        raise NotFound
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNTS_READ_ASSOCIATION_DOCUMENT,
        target=association,
        area_id=association.area_id,
        details={"document": document.pk},
    )
    return document
