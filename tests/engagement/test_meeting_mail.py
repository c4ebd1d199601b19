"""Invitations and reminders go through the database task queue and are sent once."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from qurb.accounts.models import Association, User
from qurb.areas.models import Area
from qurb.engagement.services import meeting_create, meeting_register, meetings_remind

pytestmark = pytest.mark.django_db


def test_invitations_and_reminders_are_sent_once(
    task_queue: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    association = Association.objects.exclude(contact_email="").first()
    assert association is not None
    start = timezone.now() + timedelta(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_create(
            area=Area.objects.get(code="032310107"),
            title="لقاء تواصلي",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            location="دار الشباب",
            capacity=1,
            invited=[association],
            actor=User.objects.get(username="chief.medina"),
        )
    mail.outbox.clear()
    call_command("worker", batch=True)
    assert [m.to for m in mail.outbox] == [[association.contact_email]]
    assert meeting.title in mail.outbox[0].subject
    meeting_register(meeting=meeting, name="Amina", email="amina@example.org")
    meeting_register(meeting=meeting, name="Omar", email="omar@example.org")  # waiting list
    meeting_register(meeting=meeting, name="Sans e-mail")
    mail.outbox.clear()
    assert meetings_remind() == 1
    call_command("worker", batch=True)
    assert [m.to for m in mail.outbox] == [["amina@example.org"]]
    assert meetings_remind() == 0  # already reminded
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1


def test_meeting_e_mails_are_written_in_each_reader_s_language(
    task_queue: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    association = Association.objects.exclude(contact_email="").first()
    assert association is not None
    association.language = "fr"
    association.save(update_fields=["language"])
    start = timezone.now() + timedelta(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_create(
            area=Area.objects.get(code="032310107"),
            title="Rencontre de quartier",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            location="Maison des jeunes",
            invited=[association],
            language="fr",
            actor=User.objects.get(username="chief.medina"),
        )
    mail.outbox.clear()
    call_command("worker", batch=True)
    assert mail.outbox[0].subject == "Invitation : \u2068Rencontre de quartier\u2069"
    meeting_register(meeting=meeting, name="Sara", email="sara@example.org", language="en")
    meeting_register(meeting=meeting, name="Hamid", email="hamid@example.org", language="ar")
    mail.outbox.clear()
    assert meetings_remind() == 2
    call_command("worker", batch=True)
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["sara@example.org"].startswith("Reminder: ")
    assert subjects["hamid@example.org"].startswith("تذكير")
