"""Invitation-only meetings are seen only by the district's staff and the members of the
invited (verified) associations, in every output; the online link only by the people holding
a place and the district's staff, never in a feed. The demo holds such a meeting, and an
association's application with its statutes as a PDF."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from qurb.accounts.documents import document_clean
from qurb.accounts.models import Association, AssociationStatus, User
from qurb.accounts.services import (
    association_member_add,
    association_register,
    association_verify,
    user_create,
)
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.demo.engagement import MEETING_ONLINE_URL, MEETING_TITLE, PENDING_NUMBER
from qurb.demo.services import DEMO_PASSWORD
from qurb.engagement.models import Meeting, Rating, Registration, RegistrationStatus
from qurb.engagement.policy import meeting_visible, meetings_visible_to, online_link_for
from qurb.engagement.selectors import agenda_draft, district_performance
from qurb.engagement.services import action_item_add, meeting_create
from qurb.insights.opendata import meetings_csv
from qurb.insights.yearly import yearly_report
from qurb.web.engagement.meetings import association_feed_key
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"
TITLE = "Réunion restreinte Q7731"
PLACE = "Salle du conseil Q7731"
SECRET = "pwd=s3cret-Q7731"
LINK = f"https://visio.example.org/r/q7731?{SECRET}"


def _medina() -> Area:
    return Area.objects.get(code=MEDINA)


def _sector() -> Area:
    sector = Area.objects.filter(parent=_medina()).order_by("code").first()
    assert sector is not None
    return sector


def _invited() -> Association:
    return Association.objects.get(registration_number="DEMO-FES-0001")


def _private_meeting(*, is_public: bool = False, title: str = TITLE) -> Meeting:
    start = timezone.now() + timedelta(days=5)
    return meeting_create(
        area=_medina(),
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location=PLACE,
        mode="hybrid",
        online_url=LINK,
        is_public=is_public,
        invited=[_invited()],
        agenda="Ordre du jour Q7731",
        language="fr",
        actor=User.objects.get(username="chief.medina"),
    )


def _association_member(number: str, username: str, *, verify: bool = True) -> User:
    """A member of another association of Fès-Médina (verified unless told otherwise)."""
    association = association_register(
        names={"fr": f"Association {number}"}, registration_number=number, area=_medina()
    )
    if verify:
        association_verify(association=association, actor=User.objects.get(username="cell.fes"))
    user = user_create(username=username, password=DEMO_PASSWORD)
    return association_member_add(user=user, association=association)


@pytest.fixture
def meeting() -> Meeting:
    return _private_meeting()


@pytest.fixture
def outsiders() -> dict[str, Client]:
    _association_member("FES-Q7731-OTHER", "other.member")
    return {"signed out": Client(), "uninvited member": signed_in("other.member")}


def _insiders() -> dict[str, Client]:
    return {"invited member": signed_in("association"), "district chief": signed_in("chief.medina")}


def _feed_uids(response: Any) -> set[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return {str(e["uid"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


def _outputs(client: Client, meeting: Meeting) -> dict[str, bool]:
    """Whether each output shows the meeting to this client."""
    sector = _sector()
    uid = f"meeting-{meeting.pk}@"
    events = client.get(f"/api/v1/neighbourhoods/{sector.pk}/events").json()
    district_events = client.get(f"/api/v1/neighbourhoods/{_medina().pk}/events").json()
    return {
        "neighbourhood page": TITLE in client.get(sector.get_absolute_url()).content.decode(),
        "meeting page": client.get(reverse("neighbourhoods:meeting", args=[meeting.pk])).status_code
        == 200,
        "neighbourhood feed": any(
            u.startswith(uid)
            for u in _feed_uids(
                client.get(reverse("neighbourhoods:meetings_ics", args=[sector.pk]))
            )
        ),
        "association feed": any(
            u.startswith(uid)
            for u in _feed_uids(
                client.get(reverse("neighbourhoods:association_meetings_ics", args=[_invited().pk]))
            )
        ),
        "API events": any(e["id"] == meeting.pk for e in events),
        "API district events": any(e["id"] == meeting.pk for e in district_events),
    }


def test_outsiders_see_it_nowhere(meeting: Meeting, outsiders: dict[str, Client]) -> None:
    for who, client in outsiders.items():
        shown = _outputs(client, meeting)
        assert not any(shown.values()), (who, shown)
        home = client.get(reverse("home")).content.decode()
        assert TITLE not in home, who
        assert PLACE not in home, who
        page = client.get(reverse("neighbourhoods:meeting", args=[meeting.pk]))
        assert page.status_code == 404, who
        assert "Q7731" not in page.content.decode(), who
        # Registering through the page is refused the same way.
        post = client.post(reverse("neighbourhoods:meeting", args=[meeting.pk]), {"name": "X"})
        assert post.status_code == 404, who
        assert not meeting.registrations.exists()
    space = outsiders["uninvited member"].get(reverse("neighbourhoods:space"))
    assert space.status_code == 200
    assert TITLE not in space.content.decode()


def test_invited_members_and_the_district_chief_see_it(meeting: Meeting) -> None:
    for who, client in _insiders().items():
        shown = _outputs(client, meeting)
        assert all(shown.values()), (who, shown)
    space = signed_in("association").get(reverse("neighbourhoods:space")).content.decode()
    assert TITLE in space
    staff_area = signed_in("chief.medina").get(
        reverse("neighbourhoods:staff_area", args=[_medina().pk])
    )
    assert TITLE in staff_area.content.decode()


def test_other_staff_and_members_of_unverified_associations_do_not_see_it(
    meeting: Meeting,
) -> None:
    pending = _association_member("FES-Q7731-PENDING", "pending.member", verify=False)
    assert pending.association is not None
    meeting.invited.add(pending.association)  # invited, but not (yet) verified
    for username in ["pending.member", "chief.agdal", "chief.meknes", "analyst", "resident"]:
        client = signed_in(username)
        assert not any(_outputs(client, meeting).values()), username
    # A staff page lists only what its reader may see: the analyst oversees the area but
    # does not manage its meetings.
    page = signed_in("analyst").get(reverse("neighbourhoods:staff_area", args=[_medina().pk]))
    assert page.status_code == 200
    assert TITLE not in page.content.decode()


def test_association_feed_key_reads_as_its_member(meeting: Meeting) -> None:
    member = User.objects.get(username="association")
    url = reverse("neighbourhoods:association_meetings_ics", args=[_invited().pk])
    uid = f"meeting-{meeting.pk}@"
    key = association_feed_key(member)
    assert any(u.startswith(uid) for u in _feed_uids(Client().get(url, {"key": key})))
    assert not any(u.startswith(uid) for u in _feed_uids(Client().get(url, {"key": key + "x"})))
    # The key names the member and the association: it does not open another one's feed...
    other = _association_member("FES-Q7731-KEY", "key.member")
    assert other.association is not None
    other_url = reverse("neighbourhoods:association_meetings_ics", args=[other.association.pk])
    meeting.invited.add(other.association)
    assert not any(u.startswith(uid) for u in _feed_uids(Client().get(other_url, {"key": key})))
    # ...and stops working once the member leaves.
    member.association = None
    member.save(update_fields=["association"])
    assert not any(u.startswith(uid) for u in _feed_uids(Client().get(url, {"key": key})))


def test_online_link_only_for_people_holding_a_place_and_district_staff(
    meeting: Meeting, outsiders: dict[str, Client]
) -> None:
    page_url = reverse("neighbourhoods:meeting", args=[meeting.pk])
    member = signed_in("association")
    before = member.get(page_url).content.decode()
    assert SECRET not in before
    assert 'id="online-link-note"' in before
    assert SECRET in signed_in("chief.medina").get(page_url).content.decode()
    member.post(page_url, {"name": "Amina", "email": ""})
    registration = Registration.objects.get(meeting=meeting, user__username="association")
    assert registration.status == RegistrationStatus.CONFIRMED
    assert SECRET in member.get(page_url).content.decode()
    # On the waiting list: no link until a place is freed.
    registration.status = RegistrationStatus.WAITLISTED
    registration.save(update_fields=["status"])
    assert SECRET not in member.get(page_url).content.decode()
    # A public online meeting: the same rule.
    public = _private_meeting(is_public=True, title="Réunion publique Q7731")
    public_url = reverse("neighbourhoods:meeting", args=[public.pk])
    for who, client in outsiders.items():
        html = client.get(public_url).content.decode()
        assert "Réunion publique Q7731" in html, who
        assert SECRET not in html, who
    resident = signed_in("resident")
    assert SECRET not in resident.get(public_url).content.decode()
    resident.post(public_url, {"name": "Omar"})
    assert SECRET in resident.get(public_url).content.decode()
    # Never in a feed or the API, whoever reads it, even for a registered participant.
    sector = _sector()
    for client in [*outsiders.values(), *_insiders().values(), resident]:
        for url in [
            reverse("neighbourhoods:meetings_ics", args=[sector.pk]),
            reverse("neighbourhoods:association_meetings_ics", args=[_invited().pk]),
            f"/api/v1/neighbourhoods/{sector.pk}/events",
            f"/api/v1/neighbourhoods/{_medina().pk}/events",
        ]:
            body = client.get(url).content.replace(b"\r\n ", b"")
            assert SECRET.encode() not in body, url
            assert b"visio.example.org" not in body, url


def test_the_rule_as_a_queryset_and_as_an_instance_check_agree(meeting: Meeting) -> None:
    _association_member("FES-Q7731-RULE", "rule.member")
    public = _private_meeting(is_public=True, title="Réunion publique Q7731")
    users: list[Any] = [None, AnonymousUser()]
    users += list(
        User.objects.filter(
            username__in=[
                "association",
                "rule.member",
                "chief.medina",
                "officer.medina",
                "chief.agdal",
                "cell.fes",
                "cell.meknes",
                "analyst",
                "admin",
                "resident",
            ]
        )
    )
    meetings = list(Meeting.objects.all())
    for user in users:
        visible = set(meetings_visible_to(user).values_list("pk", flat=True))
        for m in meetings:
            assert meeting_visible(user, m) == (m.pk in visible), (user, m.pk)
        assert public.pk in visible
        name = getattr(user, "username", None)
        # MEETING_MANAGE over the meeting's area (the district): its chief and the
        # prefecture's cell, not an officer of one of its sectors.
        assert (meeting.pk in visible) == (name in {"association", "chief.medina", "cell.fes"}), (
            name
        )
        assert len(visible) == meetings_visible_to(user).count()  # no duplicate rows
    assert online_link_for(None, meeting) == ""
    assert online_link_for(User.objects.get(username="cell.fes"), meeting) == LINK


def _held_private_meeting_with_ratings() -> Meeting:
    """An invitation-only meeting held this month, rated by five attendees, with an open
    action item."""
    held = timezone.now() - timedelta(hours=1)
    meeting = Meeting.objects.create(
        area=_medina(),
        title_fr=TITLE,
        starts_at=held - timedelta(hours=2),
        ends_at=held,
        location_fr=PLACE,
        is_public=False,
        held_at=held,
        minutes="Compte rendu Q7731",
    )
    meeting.invited.add(_invited())
    for n in range(5):
        registration = Registration.objects.create(
            meeting=meeting, name=f"Q7731 {n}", attended=True
        )
        Rating.objects.create(registration=registration, meeting_score=1, performance_score=1)
    action_item_add(
        meeting=meeting,
        text="Action restreinte Q7731",
        owner="Q7731",
        due_on=timezone.localdate() + timedelta(days=30),
        actor=User.objects.get(username="chief.medina"),
    )
    return meeting


def test_published_documents_count_public_meetings_only() -> None:
    """Open data, the yearly report, the ratings on the neighbourhood page and the drafted
    agenda are the same for everyone: an invitation-only meeting leaves them unchanged."""
    medina = _medina()
    year = timezone.localdate().year
    csv_before = meetings_csv()
    held_before = yearly_report(medina, year).meetings_held
    performance_before = district_performance(medina)
    _held_private_meeting_with_ratings()
    assert meetings_csv() == csv_before
    assert yearly_report(medina, year).meetings_held == held_before
    assert district_performance(medina) == performance_before
    assert "Q7731" not in agenda_draft(medina)
    clients = {"signed out": Client(), **_insiders()}
    csvs = {
        who: c.get(reverse("insights:open_data_file", args=["meetings"]))
        for who, c in clients.items()
    }
    for who, answer in csvs.items():
        assert answer.status_code == 200, who
        assert answer.content.decode() == csv_before, who
    paragraphs = set()
    for who, client in clients.items():
        html = client.get(reverse("insights:yearly", args=[medina.pk, year])).content.decode()
        found = re.search(r'<p id="yearly-meetings">.*?</p>', html, re.DOTALL)
        assert found is not None, who
        assert "Q7731" not in html, who
        paragraphs.add(found.group(0))
    assert len(paragraphs) == 1
    for who, client in clients.items():
        html = client.get(_sector().get_absolute_url()).content.decode()
        assert "Q7731" not in html, who


def test_sitemap_lists_no_meeting(meeting: Meeting) -> None:
    for client in [Client(), *_insiders().values()]:
        sitemap = client.get("/sitemap.xml")
        assert sitemap.status_code == 200
        assert f"/meetings/{meeting.pk}/" not in sitemap.content.decode()


def test_invitation_e_mail_carries_no_online_link(
    task_queue: None, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    association = _invited()
    association.is_demo = False  # the demo writes to no one; here it stands for a real one
    association.save(update_fields=["is_demo"])
    start = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_create(
            area=_medina(),
            title=TITLE,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="",
            mode="online",
            online_url=LINK,
            is_public=False,
            invited=[association],
            language="fr",
            actor=User.objects.get(username="chief.medina"),
        )
    mailoutbox.clear()
    call_command("worker", batch=True)
    sent = [m for m in mailoutbox if TITLE in m.subject]
    assert len(sent) == 1
    assert SECRET not in sent[0].body
    assert "visio.example.org" not in sent[0].body


# --- the demo --------------------------------------------------------------------------------


def test_demo_holds_an_invitation_only_meeting_and_a_pending_application(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    medina = _medina()
    meeting = Meeting.objects.get(area=medina, title_fr=MEETING_TITLE)
    assert not meeting.is_public
    assert meeting.online_url == MEETING_ONLINE_URL
    assert list(meeting.invited.all()) == [_invited()]
    assert meeting.starts_at > timezone.now()
    assert not any(_outputs(Client(), meeting).values())
    page = reverse("neighbourhoods:meeting", args=[meeting.pk])
    assert signed_in("association").get(page).status_code == 200
    assert MEETING_ONLINE_URL not in signed_in("association").get(page).content.decode()
    assert MEETING_ONLINE_URL in signed_in("chief.medina").get(page).content.decode()

    application = Association.objects.get(registration_number=PENDING_NUMBER)
    assert application.status == AssociationStatus.PENDING
    assert application.is_demo
    fes = Area.objects.get(code="03.231")
    assert application.area_id in descendants_of({fes.pk})
    documents = list(application.documents.all())
    assert [d.content_type for d in documents] == ["application/pdf"]
    stored = Path(tmp_path_factory.getbasetemp() / "demo-media" / documents[0].file)
    data = stored.read_bytes()
    assert len(data) == documents[0].size
    assert data.startswith(b"%PDF-")
    assert document_clean(io.BytesIO(data)).content_type == "application/pdf"
    # The Fès communication cell finds it in its queue; Meknès' cell does not.
    marker = f'data-association="{application.pk}"'
    queue = reverse("neighbourhoods:association_queue")
    assert marker in signed_in("cell.fes").get(queue).content.decode()
    assert marker not in signed_in("cell.meknes").get(queue).content.decode()


def test_demo_loader_runs_again_without_duplicating() -> None:
    from qurb.demo.engagement import demo_engagement_load

    meetings = Meeting.objects.count()
    associations = Association.objects.count()
    demo_engagement_load()
    assert Meeting.objects.count() == meetings
    assert Association.objects.count() == associations
