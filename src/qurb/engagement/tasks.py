"""Meeting e-mails as background tasks (the database backend keeps them across crashes), in
the language of the association invited or of the person who registered.

Each task locks its row and stamps it once sent, so a retried or duplicated task never sends
twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from qurb.core.bidi import isolate, isolated
from qurb.core.links import absolute
from qurb.engagement.models import Invitation, Registration, RegistrationStatus


def _link(meeting_id: int) -> str:
    return absolute(reverse("neighbourhoods:meeting", args=[meeting_id]))


@task()
def send_invitation(invitation_id: int) -> bool:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("meeting", "association")
            .filter(pk=invitation_id, sent_at__isnull=True)
            .first()
        )
        if invitation is None or not invitation.association.contact_email:
            return False
        meeting = invitation.meeting
        if meeting.cancelled:
            return False
        with translation.override(invitation.association.language):
            when = date_format(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT")
            # Names, title, date and place isolated (FSI … PDI), each in its own direction.
            subject = _("Invitation: %(title)s") % {"title": isolate(meeting.title)}
            place = (
                isolate(meeting.location)
                if meeting.location
                # The online link goes only to those who hold a place (engagement.policy):
                # the association's address is not a registration.
                else _("online (the link is on the meeting page once you have a place)")
            )
            body = _(
                "%(association)s is invited to the meeting “%(title)s” on %(when)s, %(place)s.\n"
                "Agenda and registration: %(link)s"
            ) % {
                **isolated(
                    {
                        "association": invitation.association.name,
                        "title": meeting.title,
                        "when": when,
                    }
                ),
                "place": place,
                "link": _link(meeting.pk),
            }
        send_mail(
            subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.association.contact_email]
        )
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return True


@task()
def send_reminder(registration_id: int) -> bool:
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update()
            .select_related("meeting")
            .filter(pk=registration_id, reminded_at__isnull=True)
            .first()
        )
        if (
            registration is None
            or not registration.email
            or registration.status != RegistrationStatus.CONFIRMED
            or registration.meeting.cancelled
        ):
            return False
        meeting = registration.meeting
        with translation.override(registration.language):
            when = date_format(timezone.localtime(meeting.starts_at), "DATETIME_FORMAT")
            subject = _("Reminder: %(title)s") % {"title": isolate(meeting.title)}
            body = _("Your place at “%(title)s” is confirmed: %(when)s, %(place)s.\n%(link)s") % {
                **isolated({"title": meeting.title, "when": when}),
                # A place is isolated; an online link is left as it is, for the mail reader.
                "place": isolate(meeting.location) if meeting.location else meeting.online_url,
                "link": _link(meeting.pk),
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [registration.email])
        registration.reminded_at = timezone.now()
        registration.save(update_fields=["reminded_at"])
    return True
