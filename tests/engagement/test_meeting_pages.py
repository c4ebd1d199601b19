"""The meeting pages: a chief plans a meeting from a drafted agenda, people register, the
meeting is held, proposals are answered, an attendee rates it, and the feeds parse."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from qurb.accounts.models import Association, User
from qurb.areas.models import Area
from qurb.engagement.models import Meeting, Priority, ProposalAnswer
from qurb.engagement.selectors import district_performance
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"


def _form(starts: str, ends: str, **extra: str) -> dict[str, str]:
    return {
        "title_ar": "لقاء تواصلي",
        "starts_at": starts,
        "ends_at": ends,
        "mode": "in_person",
        "location_ar": "دار الشباب",
        "capacity": "1",
        "is_public": "on",
        "agenda_ar": "1. …",
        **extra,
    }


def test_plan_register_hold_answer_rate() -> None:
    medina = Area.objects.get(code=MEDINA)
    chief = signed_in("chief.medina")
    new = reverse("neighbourhoods:meeting_new", args=[medina.pk])
    page = chief.get(new, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    agenda = page.context["form"].initial["agenda_en"]  # drafted in the page's language
    assert "1. Top concerns" in agenda
    assert agenda.index("1. Top concerns") < agenda.index("2.")
    start = timezone.localtime() + timedelta(days=5)
    fmt = "%Y-%m-%dT%H:%M"
    bad = chief.post(
        new, _form(start.strftime(fmt), start.strftime(fmt)), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "The meeting must end after it starts." in bad.content.decode()
    done = chief.post(new, _form(start.strftime(fmt), (start + timedelta(hours=2)).strftime(fmt)))
    meeting = Meeting.objects.latest("pk")
    assert done["Location"] == reverse("neighbourhoods:meeting_manage", args=[meeting.pk])

    # The association member registers with their account; a resident then gets the waiting list.
    member = signed_in("association")
    member.post(reverse("neighbourhoods:meeting", args=[meeting.pk]), {"name": "Member"})
    registration = meeting.registrations.get()
    assert registration.status == "confirmed"
    assert registration.association_id == User.objects.get(username="association").association_id
    resident = Client()
    resident.post(reverse("neighbourhoods:meeting", args=[meeting.pk]), {"name": "Salma"})
    assert meeting.registrations.filter(name="Salma", status="waitlisted").exists()

    # Held: attendance, minutes, a proposal answered, an action item.
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    chief.post(
        reverse("neighbourhoods:meeting_hold", args=[meeting.pk]),
        {"attended": [str(registration.pk)], "minutes": "نوقشت إنارة الممر"},
    )
    chief.post(
        reverse("neighbourhoods:meeting_proposal", args=[meeting.pk]), {"text": "إنارة الممر"}
    )
    proposal = meeting.proposals.get()
    answer = reverse("neighbourhoods:meeting_answer", args=[meeting.pk, proposal.pk])
    chief.post(answer, {"answer": ProposalAnswer.REJECTED})  # refused: no reason
    proposal.refresh_from_db()
    assert proposal.answer == ProposalAnswer.PENDING
    chief.post(answer, {"answer": ProposalAnswer.ACCEPTED})
    chief.post(
        reverse("neighbourhoods:meeting_action", args=[meeting.pk]),
        {"text": "Demande à la commune", "owner": "Chef", "due_on": "2027-01-15"},
    )
    public = (
        Client()
        .get(reverse("neighbourhoods:meeting", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "نوقشت إنارة الممر" in public
    assert "Accepted" in public
    assert "Demande à la commune" in public
    assert "Member" not in public  # no personal data in the closing report

    # The attendee rates; the rating shows in the district's figures.
    page = member.get(reverse("neighbourhoods:meeting", args=[meeting.pk]))
    assert page.context["can_rate"]
    member.post(
        reverse("neighbourhoods:meeting_rate", args=[meeting.pk]),
        {"meeting_score": "5", "performance_score": "4"},
    )
    figures = district_performance(medina)
    assert figures.performance_score.n == 1
    assert figures.performance_score.mean == 4


def test_staff_pages_follow_scope() -> None:
    medina = Area.objects.get(code=MEDINA)
    start = timezone.now() + timedelta(days=2)
    meeting = Meeting.objects.create(
        area=medina,
        title_ar="لقاء",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        location_fr="x",
    )
    for username in ["chief.agdal", "resident", "inspector"]:
        client = signed_in(username)
        assert (
            client.get(reverse("neighbourhoods:meeting_manage", args=[meeting.pk])).status_code
            == 404
        )
        assert (
            client.get(reverse("neighbourhoods:meeting_new", args=[medina.pk])).status_code == 404
        )
        hold = client.post(
            reverse("neighbourhoods:meeting_hold", args=[meeting.pk]), {"minutes": "x"}
        )
        assert hold.status_code == 404
    assert (
        signed_in("chief.medina")
        .get(reverse("neighbourhoods:meeting_manage", args=[meeting.pk]))
        .status_code
        == 200
    )


def test_association_feed_parses_with_icalendar() -> None:
    association = Association.objects.get(registration_number="DEMO-FES-0001")
    start = timezone.now() + timedelta(days=9)
    meeting = Meeting.objects.create(
        area=association.area,
        title_fr="Réunion",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        location_fr="x",
        is_public=False,
    )
    meeting.invited.add(association)
    url = reverse("neighbourhoods:association_meetings_ics", args=[association.pk])
    # A member signed in reads the invitation-only meetings; a stranger does not.
    feed = signed_in("association").get(url)
    assert feed["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert any(str(e["uid"]).startswith(f"meeting-{meeting.pk}@") for e in events)
    stranger = Calendar.from_ical(Client().get(url).content).walk("VEVENT")
    assert not any(str(e["uid"]).startswith(f"meeting-{meeting.pk}@") for e in stranger)


def test_priority_set_and_action_from_the_staff_page_show_on_the_neighbourhood_page() -> None:
    medina = Area.objects.get(code=MEDINA)
    hood = Area.objects.filter(parent=medina).order_by("code").first()
    assert hood is not None
    chief = signed_in("chief.medina")
    page = chief.get(reverse("neighbourhoods:staff_area", args=[medina.pk]))
    assert 'id="priority-form"' in page.content.decode()
    chief.post(
        reverse("neighbourhoods:priority_new", args=[medina.pk]),
        {"area": str(hood.pk), "title_fr": "Vente de drogue devant l'école", "category": "drugs"},
    )
    priority = Priority.objects.latest("pk")
    assert priority.title == "Vente de drogue devant l'école"
    assert priority.area_id == hood.pk
    chief.post(
        reverse("neighbourhoods:priority_action", args=[priority.pk]),
        {
            "description_fr": "Patrouilles à la sortie",
            "done_on": timezone.localdate().isoformat(),
            "progress": "in_progress",
            "back": str(medina.pk),
        },
    )
    public = Client().get(reverse("neighbourhoods:detail", args=[hood.pk])).content.decode()
    assert "Vente de drogue devant l" in public
    assert "Patrouilles à la sortie" in public
    # Outside the chief's scope: 404, nothing written.
    other = signed_in("chief.agdal")
    answer = other.post(
        reverse("neighbourhoods:priority_action", args=[priority.pk]),
        {"description_fr": "x", "done_on": timezone.localdate().isoformat()},
    )
    assert answer.status_code == 404
    assert priority.actions.count() == 1


def test_drafted_agenda_names_the_hotspots() -> None:
    from django.utils import translation

    from qurb.insights.hexes import to_str
    from qurb.neighbourhoods.selectors import meeting_agenda_draft
    from qurb.reports.models import Report
    from tests.insights.test_hotspots import _cluster, _noise

    medina = Area.objects.get(code=MEDINA)
    Report.objects.filter(district=medina).delete()
    _noise(medina, 300, 2)
    cell, _point = _cluster(medina, 40, 3)
    with translation.override("en"):
        agenda = meeting_agenda_draft(medina)
    assert "2. Hotspots of the last 90 days" in agenda  # numbered, right after the concerns
    assert to_str(cell) in agenda
    assert agenda.index("1. Top concerns") < agenda.index("Hotspots") < agenda.index("3.")
