"""The messaging pages, public and staff, are valid HTML in Arabic, French and English (the
W3C's Nu HTML Checker, as tests/web/test_html_validity.py runs it), including the forms as
they come back with what to correct."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from qurb.messaging.services import message_submit, subscription_create
from tests.conftest import signed_in
from tests.messaging.conftest import MEDINA, MEDINA_S1, area, published, user, written
from tests.web.test_html_validity import LANGUAGES, _checker, _html, validate

pytestmark = pytest.mark.django_db


def test_the_messaging_pages_are_valid_html(tmp_path: Path) -> None:
    _checker()
    message = published(title="Coupure d'eau rue Talaa", body="Mardi de 8 h à 12 h.")
    waiting = written(MEDINA_S1, author="officer.medina", title="Appel à témoins")
    message_submit(actor=user("officer.medina"), message=waiting)
    sector = area(MEDINA_S1).pk
    subscription = subscription_create(
        channel="email", areas=[area(MEDINA_S1)], email="html@example.org"
    )
    token = subscription.token
    public = {
        "neighbourhood with messages": reverse("neighbourhoods:detail", args=[sector]),
        "subscribe": reverse("messaging:subscribe", args=[sector]),
        "message": reverse("messaging:message", args=[message.pk]),
        "confirm": reverse("messaging:confirm", args=[token]),
        "preferences": reverse("messaging:preferences", args=[token]),
        "leave": reverse("messaging:unsubscribe", args=[token]),
    }
    staff = {
        "staff list": reverse("messaging:staff_list"),
        "staff new": reverse("messaging:staff_new"),
        "staff published": reverse("messaging:staff_message", args=[message.pk]),
        "staff to review": reverse("messaging:staff_message", args=[waiting.pk]),
        "staff home": reverse("staff_home"),
    }
    pages: dict[str, str] = {}
    for language in LANGUAGES:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        for name, path in public.items():
            pages[f"{language} {name}"] = _html(client.get(path), name)
        refused = client.post(public["subscribe"], {"channel": "email", "email": "x"})
        pages[f"{language} subscribe refused"] = _html(refused, "refused", (400,))
        chief = signed_in("chief.medina")
        chief.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        for name, path in staff.items():
            pages[f"{language} {name}"] = _html(chief.get(path), name)
        bad = chief.post(staff["staff new"], {"area": str(area(MEDINA).pk), "kind": "x"})
        pages[f"{language} staff new refused"] = _html(bad, "refused", (400,))
    for language in LANGUAGES:  # last: leaving ends the subscription
        left = Client(HTTP_ACCEPT_LANGUAGE=language).post(public["leave"])
        pages[f"{language} left"] = _html(left, "left")

    findings = validate(pages, tmp_path)
    errors = [f for f in findings if f.kind == "error"]
    assert not errors, "\n".join(str(e) for e in errors)
