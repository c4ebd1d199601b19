"""The drafted agenda: its sections are numbered 1, 2, 3… whatever is left out, and it lists
the proposals still awaiting an answer in the meeting's area (an association's, sent between
meetings, for a sector of it), never those of an invitation-only meeting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from qurb.accounts.models import Association, User
from qurb.areas.models import Area
from qurb.engagement.models import Meeting, ProposalAnswer
from qurb.engagement.selectors import agenda_draft, pending_proposals
from qurb.engagement.services import (
    meeting_create,
    meeting_hold,
    proposal_add,
    proposal_answer,
    proposal_submit,
)
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"
NUMBERED = re.compile(r"^(\d+)\. ")


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _numbers(agenda: str) -> list[int]:
    return [int(m.group(1)) for line in agenda.splitlines() if (m := NUMBERED.match(line))]


def _sector() -> Area:
    sector = Area.objects.filter(parent__code=MEDINA).order_by("code").first()
    assert sector is not None
    return sector


def _association_proposal(text: str = "Éclairer la ruelle derrière l'école") -> object:
    member = User.objects.get(username="association")
    association = Association.objects.get(registration_number="DEMO-FES-0001")
    return proposal_submit(association=association, area=_sector(), text=text, actor=member)


def test_sections_are_numbered_one_after_the_other_whatever_is_left_out() -> None:
    for area in (Area.objects.get(code=MEDINA), _sector(), Area.objects.get(code="032310105")):
        for hotspots in ((), ("Sector 1: 9 reports in one hexagon, a hotspot",)):
            agenda = agenda_draft(area, hotspots=hotspots)
            numbers = _numbers(agenda)
            assert numbers == list(range(1, len(numbers) + 1)), agenda
            assert len(numbers) >= 3  # concerns, priorities and proposals are always there
            assert "Proposals from residents and associations" in agenda
    with_spots = agenda_draft(_sector(), hotspots=["Somewhere: 9 reports"])
    lines = with_spots.splitlines()
    spots = lines.index(next(line for line in lines if "Hotspots of the last 90 days" in line))
    assert lines[spots].startswith("2. ")  # right after the top concerns
    assert lines[spots + 1] == "   - Somewhere: 9 reports"


def test_a_pending_association_proposal_for_a_sector_is_on_the_agenda_until_answered() -> None:
    medina = Area.objects.get(code=MEDINA)
    proposal = _association_proposal()
    assert proposal in pending_proposals(medina)
    for area in (medina, _sector()):
        agenda = agenda_draft(area)
        lines = agenda.splitlines()
        heading = next(
            i for i, line in enumerate(lines) if "Proposals from residents and associations" in line
        )
        listed = lines[heading + 1 :]
        assert any(
            "Medina neighbourhoods association (demo)" in line
            and _sector().name in line
            and "Éclairer la ruelle derrière l'école" in line
            for line in listed
        ), agenda
    elsewhere = Area.objects.filter(code="032310105").get()  # another district
    assert "Éclairer la ruelle" not in agenda_draft(elsewhere)
    other_sector = Area.objects.filter(parent__code=MEDINA).exclude(pk=_sector().pk).first()
    assert other_sector is not None
    assert "Éclairer la ruelle" not in agenda_draft(other_sector)
    proposal_answer(
        proposal=proposal,  # type: ignore[arg-type]
        answer=ProposalAnswer.UNDER_STUDY,
        actor=User.objects.get(username="chief.medina"),
    )
    assert "Éclairer la ruelle" not in agenda_draft(medina)


def test_proposals_of_an_invitation_only_meeting_stay_off_the_agenda() -> None:
    chief = User.objects.get(username="chief.medina")
    start = timezone.now() - timedelta(hours=3)
    medina = Area.objects.get(code=MEDINA)
    meetings = {}
    for public in (True, False):
        meeting = meeting_create(
            area=medina,
            title="Réunion",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="Dar Chabab",
            is_public=public,
            language="fr",
            actor=chief,
        )
        meeting_hold(meeting=meeting, attended=[], minutes="…", actor=chief)
        proposal_add(meeting=meeting, text=f"Proposition {public} Z81", actor=chief)
        meetings[public] = meeting
    agenda = agenda_draft(medina)
    assert "Proposition True Z81" in agenda
    assert "Proposition False Z81" not in agenda
    assert Meeting.objects.filter(pk=meetings[False].pk, is_public=False).exists()


def test_the_planning_page_drafts_the_agenda_with_the_proposal_in_each_language() -> None:
    _association_proposal("Une patrouille à la sortie du collège")
    medina = Area.objects.get(code=MEDINA)
    chief = signed_in("chief.medina")
    url = reverse("neighbourhoods:meeting_new", args=[medina.pk])
    for language in ("ar", "fr", "en"):
        page = chief.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        initial = page.context["form"].initial
        agenda = next(v for k, v in initial.items() if k.startswith("agenda"))
        numbers = _numbers(agenda)
        assert numbers == list(range(1, len(numbers) + 1)), (language, agenda)
        assert "Une patrouille à la sortie du collège" in agenda
        assert "Une patrouille à la sortie du collège" in page.content.decode()
