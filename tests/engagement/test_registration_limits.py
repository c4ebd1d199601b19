"""Meeting places bind: an account holds one registration, an e-mail address one live place per
meeting, and an anonymous client (its address behind the proxy, and its device) a few places
(settings.MEETING_PLACES_PER_CLIENT): one client cannot fill a meeting by registering names."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.engagement.models import Meeting, RegistrationStatus
from qurb.engagement.services import meeting_create, meeting_register, registration_cancel
from qurb.web.guards.intake import DEVICE_COOKIE

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.7"
MEDINA = "032310107"


def _meeting(capacity: int | None = None) -> Meeting:
    start = timezone.now() + timedelta(days=7)
    return meeting_create(
        area=Area.objects.get(code=MEDINA),
        title="لقاء تواصلي",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="دار الشباب",
        capacity=capacity,
        actor=User.objects.get(username="chief.medina"),
    )


def _register(client: Client, meeting: Meeting, name: str, email: str = "", **headers: Any) -> Any:
    return client.post(
        reverse("neighbourhoods:meeting", args=[meeting.pk]),
        {"name": name, "email": email},
        **headers,
    )


def test_an_email_address_holds_one_live_place_whatever_its_spelling() -> None:
    meeting = _meeting()
    first = meeting_register(meeting=meeting, name="Amina", email="Amina@Example.org")
    for spelling in ("amina@example.org", " AMINA@EXAMPLE.ORG ", "amina+moi@example.org"):
        with pytest.raises(ValidationError) as refused:
            meeting_register(meeting=meeting, name="Amina bis", email=spelling)
        assert "email" in refused.value.message_dict
    assert meeting.registrations.count() == 1
    # Another address, and the same address at another meeting, are welcome.
    meeting_register(meeting=meeting, name="Omar", email="omar@example.org")
    meeting_register(meeting=_meeting(), name="Amina", email="amina@example.org")
    # Once given back, the address may register again.
    registration_cancel(registration=first)
    again = meeting_register(meeting=meeting, name="Amina", email="amina@example.org")
    assert again.status == RegistrationStatus.CONFIRMED


def test_an_account_holds_one_registration() -> None:
    meeting = _meeting()
    resident = User.objects.get(username="resident")
    one = meeting_register(meeting=meeting, name="Omar", user=resident)
    two = meeting_register(meeting=meeting, name="Omar again", user=resident)
    assert one.pk == two.pk
    assert meeting.registrations.count() == 1


@pytest.mark.parametrize("trusted", [1, ("10.0.0.0/8",)])
def test_one_client_rotating_names_devices_and_the_first_hop_takes_at_most_the_cap(
    settings: Any, trusted: Any
) -> None:
    settings.QURB_TRUSTED_PROXIES = trusted
    settings.MEETING_PLACES_PER_CLIENT = 2
    meeting = _meeting(capacity=5)
    codes = []
    for n in range(8):
        client = Client(REMOTE_ADDR=PROXY)
        client.cookies[DEVICE_COOKIE] = f"device-{n}"  # a new device each time
        response = _register(
            client,
            meeting,
            f"Name {n}",
            f"person{n}@example.org",
            HTTP_X_FORWARDED_FOR=f"198.51.{n}.{n}, 203.0.113.9",
            HTTP_ACCEPT_LANGUAGE="fr",
        )
        codes.append(response.status_code)
    assert codes == [302, 302] + [429] * 6
    assert "Cette connexion a déjà inscrit" in response.content.decode()
    assert meeting.registrations.count() == 2
    confirmed = meeting.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    assert meeting.capacity is not None
    assert confirmed == 2 < meeting.capacity  # not filled by one client

    # Other residents behind the same proxy still register.
    for n in range(3):
        other = _register(
            Client(REMOTE_ADDR=PROXY),
            meeting,
            f"Voisin {n}",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{20 + n}",
        )
        assert other.status_code == 302
    assert meeting.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 5


def test_one_device_rotating_addresses_takes_at_most_the_cap(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = 1
    settings.MEETING_PLACES_PER_CLIENT = 2
    meeting = _meeting(capacity=10)
    client = Client(REMOTE_ADDR=PROXY)
    client.cookies[DEVICE_COOKIE] = "one-phone"
    codes = [
        _register(client, meeting, f"Name {n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(5)
    ]
    assert codes == [302, 302, 429, 429, 429]
    assert meeting.registrations.count() == 2


def test_without_a_proxy_a_rotated_x_forwarded_for_changes_nothing(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = 0
    settings.MEETING_PLACES_PER_CLIENT = 2
    meeting = _meeting(capacity=10)
    codes = [
        _register(
            Client(REMOTE_ADDR="198.51.100.77"),  # no cookie: the address's no-device bucket
            meeting,
            f"Name {n}",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 429, 429]


def test_a_refused_registration_gives_the_place_back(settings: Any) -> None:
    """A duplicate e-mail address is refused on the form and does not use up the client's
    places: the companion still registers."""
    settings.MEETING_PLACES_PER_CLIENT = 2
    meeting = _meeting(capacity=10)
    client = Client(REMOTE_ADDR="198.51.100.5")
    assert _register(client, meeting, "Amina", "amina@example.org").status_code == 302
    duplicate = _register(client, meeting, "Amina", "AMINA@example.org", HTTP_ACCEPT_LANGUAGE="en")
    assert duplicate.status_code == 200
    assert "This e-mail address already has a place at this meeting." in duplicate.content.decode()
    assert _register(client, meeting, "Companion").status_code == 302
    assert _register(client, meeting, "Third").status_code == 429
    assert meeting.registrations.count() == 2


def test_the_cap_is_a_setting_and_accounts_are_not_capped_by_address(settings: Any) -> None:
    settings.MEETING_PLACES_PER_CLIENT = 1
    meeting = _meeting(capacity=10)
    anonymous = Client(REMOTE_ADDR="198.51.100.6")
    assert _register(anonymous, meeting, "One").status_code == 302
    assert _register(anonymous, meeting, "Two").status_code == 429
    # A signed-in account at the same address holds its own one registration.
    member = Client(REMOTE_ADDR="198.51.100.6")
    member.force_login(
        User.objects.get(username="resident"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    assert _register(member, meeting, "Omar").status_code == 302
    assert _register(member, meeting, "Omar").status_code == 302  # the same registration
    assert meeting.registrations.count() == 2


def test_the_meeting_page_gives_a_device_cookie() -> None:
    meeting = _meeting()
    page = Client().get(reverse("neighbourhoods:meeting", args=[meeting.pk]))
    assert page.status_code == 200
    assert page.cookies[DEVICE_COOKIE].value
