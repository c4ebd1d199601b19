"""Automatic items: a public meeting planned, a priority set or closed become published
messages of their area once (engagement sends signals; it never imports messaging)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from qurb.engagement.services import meeting_create, priority_close, priority_set
from qurb.messaging.delivery import deliver
from qurb.messaging.models import DistrictMessage, MessageKind, MessageStatus
from tests.alerts.pushserver import Device, PushServer
from tests.messaging.conftest import MEDINA, area, push_subscriber, user

pytestmark = pytest.mark.django_db


def test_a_public_meeting_planned_is_announced_to_those_who_want_meetings(
    push_server: PushServer, django_capture_on_commit_callbacks: Any
) -> None:
    wants = Device("/meetings")
    push_subscriber(push_server, wants, MEDINA, topics=["meetings"])
    push_subscriber(push_server, Device("/appeals"), MEDINA, topics=["appeals"])
    starts = timezone.now() + timedelta(days=9)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_create(
            actor=user("chief.medina"),
            area=area(MEDINA),
            title={"fr": "Rencontre au Batha", "ar": "لقاء في البطحاء"},
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location="Dar Chabab Batha",
            language="fr",
        )
        invitation_only = meeting_create(
            actor=user("chief.medina"),
            area=area(MEDINA),
            title="Réunion restreinte",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            location="Commissariat",
            language="fr",
            is_public=False,
        )
    message = DistrictMessage.objects.get(source=f"meeting:{meeting.pk}")
    assert (message.kind, message.status) == (MessageKind.MEETING, MessageStatus.PUBLISHED)
    assert message.title_ar == "لقاء في البطحاء"
    assert message.title_fr == "Rencontre au Batha"
    assert message.title_en == "لقاء في البطحاء"  # none in English: Arabic first, as everywhere
    assert all("Dar Chabab Batha" in b for b in (message.body_ar, message.body_fr, message.body_en))
    assert not DistrictMessage.objects.filter(source=f"meeting:{invitation_only.pk}").exists()
    assert deliver().sent == 1
    assert len(push_server.to("/meetings")) == 1


def test_a_priority_set_then_closed_is_told_twice(django_capture_on_commit_callbacks: Any) -> None:
    chief = user("chief.medina")
    with django_capture_on_commit_callbacks(execute=True):
        priority = priority_set(
            actor=chief,
            area=area(MEDINA),
            title="Éclairage des derbs",
            set_on=timezone.localdate(),
            language="fr",
        )
    with django_capture_on_commit_callbacks(execute=True):
        priority_close(actor=chief, priority=priority)
    told = DistrictMessage.objects.filter(source__startswith=f"priority:{priority.pk}:")
    assert sorted(m.source.rsplit(":", 1)[1] for m in told) == ["closed", "set"]
    assert all(m.kind == MessageKind.PRIORITY_RESULT for m in told)
    assert all("Éclairage des derbs" in m.title_fr for m in told)
