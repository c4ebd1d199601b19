"""Meetings with residents: places and a waiting list, invitations, the drafted agenda,
holding the meeting, proposals answered, action items, and ratings in the district's figures."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.engagement.models import Meeting, ProposalAnswer, RegistrationStatus
from qurb.engagement.selectors import agenda_draft, district_performance
from qurb.engagement.services import (
    action_item_add,
    meeting_create,
    meeting_hold,
    meeting_register,
    priority_action_add,
    priority_set,
    proposal_add,
    proposal_answer,
    rating_record,
    registration_cancel,
)
from qurb.insights.selectors import today
from qurb.reports.models import Report
from tests.insights.conftest import plant, spread_days, uniform_points

pytestmark = pytest.mark.django_db

MEDINA = "032310107"


def _chief() -> User:
    return User.objects.get(username="chief.medina")


def _meeting(capacity: int | None = None, is_public: bool = True) -> Meeting:
    start = timezone.now() + timedelta(days=7)
    return meeting_create(
        area=Area.objects.get(code=MEDINA),
        title="لقاء تواصلي مع جمعيات الحي",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="دار الشباب",
        capacity=capacity,
        is_public=is_public,
        actor=_chief(),
    )


def test_places_then_waiting_list_and_a_freed_place_goes_to_the_first_waiting() -> None:
    meeting = _meeting(capacity=2)
    first = meeting_register(meeting=meeting, name="Amina")
    meeting_register(meeting=meeting, name="Youssef")
    third = meeting_register(meeting=meeting, name="Karim")
    fourth = meeting_register(meeting=meeting, name="Salma")
    assert first.status == RegistrationStatus.CONFIRMED
    assert third.status == fourth.status == RegistrationStatus.WAITLISTED
    registration_cancel(registration=first)
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == RegistrationStatus.CONFIRMED
    assert fourth.status == RegistrationStatus.WAITLISTED


def test_an_account_registers_once() -> None:
    meeting = _meeting()
    resident = User.objects.get(username="resident")
    one = meeting_register(meeting=meeting, name="Resident", user=resident)
    two = meeting_register(meeting=meeting, name="Resident", user=resident)
    assert one.pk == two.pk


def test_invitation_only_meetings_admit_invited_associations() -> None:
    meeting = _meeting(is_public=False)
    member = User.objects.get(username="association")
    association = member.association
    assert association is not None
    with translation.override("en"), pytest.raises(ValidationError) as error:
        meeting_register(meeting=meeting, name="Member", association=association, user=member)
    with translation.override("en"):
        assert "by invitation" in str(error.value.message_dict["meeting"][0])
    meeting.invited.add(association)
    # Naming an invited association is not enough: the account must be one of its members.
    resident = User.objects.get(username="resident")
    with pytest.raises(ValidationError):
        meeting_register(meeting=meeting, name="Impostor", association=association, user=resident)
    with pytest.raises(ValidationError):
        meeting_register(meeting=meeting, name="Nobody", association=association)
    registration = meeting_register(
        meeting=meeting, name="Member", association=association, user=member
    )
    assert registration.pk


def test_bad_meetings_are_refused_with_reasons_and_outsiders_cannot_plan() -> None:
    start = timezone.now() + timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        meeting_create(
            area=Area.objects.get(code=MEDINA),
            title="",
            starts_at=start,
            ends_at=start,
            location="",
            mode="online",
            capacity=0,
            actor=_chief(),
        )
    assert set(error.value.message_dict) == {"title", "ends_at", "online_url", "capacity"}
    with pytest.raises(PermissionDenied):
        meeting_create(
            area=Area.objects.get(code=MEDINA),
            title="x",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="x",
            actor=User.objects.get(username="chief.agdal"),
        )


def test_agenda_lists_top_concerns_and_open_priorities() -> None:
    district = Area.objects.get(code=MEDINA)
    hood = Area.objects.filter(parent=district).order_by("code").first()
    assert hood is not None
    Report.objects.filter(district=district).delete()
    rng = np.random.default_rng(3)
    # Since the demo's last meeting (three weeks ago): the agenda counts from there.
    plant(
        district,
        uniform_points(hood, 12, rng),
        days=spread_days(12, rng, span=20),
        hours=[None] * 12,
        category="harassment",
    )
    plant(
        district,
        uniform_points(hood, 4, rng),
        days=spread_days(4, rng, span=20),
        hours=[None] * 4,
        category="road",
    )
    priority = priority_set(
        area=hood,
        title="Harcèlement à l'arrêt de bus",
        category="harassment",
        set_on=today() - timedelta(days=20),
        language="fr",
        actor=_chief(),
    )
    priority_action_add(
        priority=priority,
        description="Présence aux heures de pointe",
        done_on=today() - timedelta(days=10),
        actor=_chief(),
    )
    agenda = agenda_draft(district)
    lines = agenda.splitlines()
    concerns = lines.index(next(line for line in lines if line.startswith("1.")))
    assert lines[concerns + 1].endswith(": 12")  # harassment first, with its count
    assert lines[concerns + 2].endswith(": 4")
    assert "Harcèlement à l'arrêt de bus" in agenda
    assert "Présence aux heures de pointe" in agenda


def test_held_meeting_proposals_answers_actions_and_ratings_in_the_figures() -> None:
    meeting = _meeting()
    held_before = district_performance(meeting.area).meetings  # the demo's meeting held
    attendee = meeting_register(meeting=meeting, name="Amina")
    absent = meeting_register(meeting=meeting, name="Omar")
    with pytest.raises(ValidationError):  # not yet started
        meeting_hold(meeting=meeting, attended=[attendee.pk], minutes="…", actor=_chief())
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        meeting_register(meeting=meeting, name="Late")
    meeting_hold(meeting=meeting, attended=[attendee.pk], minutes="نوقشت الإنارة", actor=_chief())
    proposal = proposal_add(meeting=meeting, text="إنارة الممر", actor=_chief())
    with pytest.raises(ValidationError):
        proposal_answer(proposal=proposal, answer=ProposalAnswer.REJECTED, actor=_chief())
    proposal_answer(proposal=proposal, answer=ProposalAnswer.ACCEPTED, actor=_chief())
    item = action_item_add(
        meeting=meeting,
        text="Demander l'éclairage à la commune",
        owner="chef d'arrondissement",
        due_on=today() + timedelta(days=30),
        actor=_chief(),
    )
    assert item.status == "open"
    assert "Demander l'éclairage" in agenda_draft(meeting.area)
    absent.refresh_from_db()
    with pytest.raises(ValidationError):
        rating_record(registration=absent, meeting_score=5, performance_score=5)
    attendee.refresh_from_db()
    with pytest.raises(ValidationError):
        rating_record(registration=attendee, meeting_score=6, performance_score=3)
    rating_record(registration=attendee, meeting_score=4, performance_score=3)
    with pytest.raises(ValidationError):
        rating_record(registration=attendee, meeting_score=4, performance_score=3)
    figures = district_performance(meeting.area)
    assert figures.meetings == held_before + 1
    assert figures.performance_score.n == 1
    assert figures.performance_score.mean == 3
