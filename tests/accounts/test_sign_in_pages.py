"""Signing in through the pages: Arabic throughout, and a backup code where the TOTP code goes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from qurb.accounts.models import User
from qurb.demo.services import DEMO_PASSWORD, _backup_code
from tests.web.pages import latin_words, read

pytestmark = pytest.mark.django_db

STAFF_PAGE = "/staff/reports/"


class _TokenInput(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input" and dict(attrs).get("name") == "token":
            self.attrs = dict(attrs)


def token_input(html: str) -> dict[str, str | None]:
    parser = _TokenInput()
    parser.feed(html)
    assert parser.attrs is not None, "no token input"
    return parser.attrs


def password_step(client: Client, username: str) -> None:
    response = client.post(
        reverse("accounts:login"),
        {"username": username, "password": DEMO_PASSWORD, "next": STAFF_PAGE},
    )
    assert response.status_code == 302
    # Past the password only: the staff page sends the person to the second factor.
    assert reverse("accounts:mfa") in client.get(STAFF_PAGE)["Location"]


def mfa_url() -> str:
    return reverse("accounts:mfa") + f"?next={STAFF_PAGE}"


def test_the_second_factor_page_takes_a_backup_code_and_only_once() -> None:
    username = "chief.medina"
    code = _backup_code(username)
    assert re.search(r"[a-z]", code), "the demo's backup code has letters"
    client = Client(headers={"accept-language": "en"})
    password_step(client, username)

    page = client.get(mfa_url())
    html = page.content.decode()
    assert "backup code" in html  # the page says so
    field = token_input(html)
    assert field.get("inputmode") in (None, "text")  # no numeric keypad
    assert field.get("type") == "text"
    pattern = field.get("pattern")
    assert pattern is None or re.fullmatch(pattern, code)
    assert int(field.get("maxlength") or 0) >= len(code)

    answer = client.post(mfa_url(), {"token": code, "next": STAFF_PAGE})
    assert answer.status_code == 302
    assert answer["Location"] == STAFF_PAGE
    assert client.get(STAFF_PAGE).status_code == 200

    client.post(reverse("accounts:logout"))
    again = Client(headers={"accept-language": "en"})
    password_step(again, username)
    refused = again.post(mfa_url(), {"token": code, "next": STAFF_PAGE})
    assert refused.status_code == 200
    assert "That code is not valid" in refused.content.decode()
    assert reverse("accounts:mfa") in again.get(STAFF_PAGE)["Location"]


def test_a_backup_code_typed_with_capitals_and_spaces() -> None:
    """A phone may capitalise the first letter; the codes are stored in lower case."""
    username = "officer.agdal"
    code = _backup_code(username)
    client = Client()
    password_step(client, username)
    typed = f" {code[:4].upper()} {code[4:].upper()} "
    answer = client.post(mfa_url(), {"token": typed, "next": STAFF_PAGE})
    assert answer.status_code == 302
    assert client.get(STAFF_PAGE).status_code == 200


def test_the_sign_in_pages_in_arabic_have_no_english() -> None:
    client = Client()  # no cookie, no Accept-Language: Arabic, the default
    login = client.get(reverse("accounts:login"))
    attrs, text = read(login.content.decode())
    assert (attrs["lang"], attrs["dir"]) == ("ar", "rtl")
    assert latin_words(text) == [], text

    wrong = client.post(
        reverse("accounts:login"), {"username": "chief.medina", "password": "not-the-password"}
    )
    assert wrong.status_code == 200
    _, text = read(wrong.content.decode())
    assert "اسم المستخدم" in text
    assert latin_words(text) == [], text

    password_step(client, "chief.medina")
    mfa = client.get(mfa_url())
    _, text = read(mfa.content.decode())
    # The header names who is signing in, as the account holds the name (Latin and Arabic).
    name = str(User.objects.get(username="chief.medina"))
    assert name in text
    text = text.replace(name, "")
    assert "رمز احتياطي" in text or "رموزك الاحتياطية" in text
    assert latin_words(text) == [], text
    refused = client.post(mfa_url(), {"token": "000000", "next": STAFF_PAGE})
    _, text = read(refused.content.decode())
    text = text.replace(name, "")
    assert "هذا الرمز غير صالح" in text
    assert latin_words(text) == [], text
