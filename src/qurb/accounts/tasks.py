"""Association e-mails as background tasks, in the association's language, each sent once.

Each task locks its row and stamps it once sent, so a retried or duplicated task never sends
twice.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from qurb.accounts.models import AccountInvitation, Association, AssociationStatus, User
from qurb.core.bidi import isolate
from qurb.core.links import absolute


def password_link(user: User) -> str:
    """A one-time link to choose a password (it stops working once the password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute(reverse("accounts:set_password", args=[uid, token]))


@task()
def send_association_decision(association_id: int) -> bool:
    with transaction.atomic():
        association = (
            Association.objects.select_for_update()
            .filter(pk=association_id, decision_mailed_at__isnull=True)
            .exclude(status=AssociationStatus.PENDING)
            .first()
        )
        if association is None or not association.contact_email:
            return False
        # The association's name isolated (FSI … PDI): a French name in an Arabic sentence.
        name = isolate(association.name)
        with translation.override(association.language):
            if association.status == AssociationStatus.VERIFIED:
                subject = _("%(name)s is verified on Qurb") % {"name": name}
                body = _(
                    "The communication cell has verified %(name)s. Its members can now be "
                    "invited to meetings, register, and send proposals from the association's "
                    "space: %(link)s"
                ) % {"name": name, "link": absolute(reverse("neighbourhoods:space"))}
            else:
                subject = _("Your application for %(name)s") % {"name": name}
                body = _(
                    "The communication cell could not verify %(name)s, for this reason:\n\n"
                    "%(reason)s\n\nYou may apply again: %(link)s"
                ) % {
                    "name": name,
                    "reason": association.rejection_reason,
                    "link": absolute(reverse("neighbourhoods:association_apply")),
                }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [association.contact_email])
        association.decision_mailed_at = timezone.now()
        association.save(update_fields=["decision_mailed_at"])
    return True


@task()
def send_account_invitation(invitation_id: int) -> bool:
    with transaction.atomic():
        invitation = (
            AccountInvitation.objects.select_for_update()
            .select_related("user", "association")
            .filter(pk=invitation_id, sent_at__isnull=True)
            .first()
        )
        if invitation is None or not invitation.user.email or not invitation.user.is_active:
            return False
        user = invitation.user
        with translation.override(user.preferred_language):
            name = isolate(invitation.association.name)  # not the user name: it is copied
            subject = _("Your account for %(name)s on Qurb") % {"name": name}
            body = _(
                "An account has been opened for you as a member of %(name)s.\n"
                "Your user name: %(username)s\n"
                "Choose your password with this link (it works once): %(link)s"
            ) % {
                "name": name,
                "username": user.username,
                "link": password_link(user),
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return True
