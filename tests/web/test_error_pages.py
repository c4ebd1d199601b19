"""The error pages: in the reader's language, with the emergency number and a way home, and
shown even when the database and the cache are down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.utils import load_backend
from django.test import Client
from django.urls import get_resolver

from qurb.web.common import errorpages
from tests.conftest import signed_in
from tests.web.pages import latin_words, read

LANGUAGES = ["ar", "fr", "en"]
TITLES = {
    400: {"ar": "تعذّرت قراءة هذا الطلب", "fr": "Cette demande n’a pas pu être lue"},
    403: {"ar": "لا يمكنك فتح هذه الصفحة", "fr": "Vous ne pouvez pas ouvrir cette page"},
    404: {"ar": "الصفحة غير موجودة", "fr": "Page introuvable"},
    500: {"ar": "حدث خلل من جهتنا", "fr": "Un problème est survenu de notre côté"},
    "csrf": {"ar": "تعذّر إرسال هذه الاستمارة", "fr": "Ce formulaire n’a pas pu être envoyé"},
}
ENGLISH = {
    400: "This request could not be read",
    403: "You cannot open this page",
    404: "Page not found",
    500: "Something went wrong on our side",
    "csrf": "This form could not be sent",
}
# Django's own pages, which these replace.
DJANGO_DEFAULTS = ["Not Found", "Bad Request", "Server Error", "Forbidden", "CSRF verification"]


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    """Error pages as the public gets them: DEBUG off."""
    settings.DEBUG = False


def client_in(language: str, **kwargs: Any) -> Client:
    """A visitor whose language LocaleMiddleware finds in the cookie (French), in
    Accept-Language (English), or nowhere (Arabic, the default)."""
    if language == "fr":
        client = Client(raise_request_exception=False, **kwargs)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
        return client
    headers = {"accept-language": "en-GB,en;q=0.9"} if language == "en" else {}
    return Client(raise_request_exception=False, headers=headers, **kwargs)


def assert_branded(
    response: Any,
    status: int,
    kind: int | str,
    language: str,
    home: str = 'class="button" href="/"',
) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Language"] == language
    html = response.content.decode()
    attrs, text = read(html)
    assert attrs["lang"] == language
    assert attrs["dir"] == ("rtl" if language == "ar" else "ltr")
    title = TITLES[kind].get(language, ENGLISH[kind])
    assert f"<h1>{title}</h1>" in html
    assert f'href="tel:{django_settings.EMERGENCY_NUMBER}"' in html
    assert f"<strong>{django_settings.EMERGENCY_NUMBER}</strong>" in html
    assert home in html  # the way home
    for default in DJANGO_DEFAULTS:
        assert default not in html
    if language == "ar":
        assert latin_words(text) == [], text
    if language != "en":
        assert ENGLISH[kind] not in html


def test_the_handlers_are_the_branded_pages() -> None:
    resolver = get_resolver()
    assert resolver.resolve_error_handler(400) is errorpages.bad_request
    assert resolver.resolve_error_handler(403) is errorpages.permission_denied
    assert resolver.resolve_error_handler(404) is errorpages.page_not_found
    assert resolver.resolve_error_handler(500) is errorpages.server_error
    assert django_settings.CSRF_FAILURE_VIEW == "qurb.web.common.errorpages.csrf_failure"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_page(language: str) -> None:
    assert_branded(client_in(language).get("/no-such-page/"), 404, 404, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refusal_is_the_branded_404(language: str) -> None:
    """RefusalMiddleware turns a service's refusal into a 404: the same page."""
    client = signed_in("analyst")
    if language == "fr":
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    headers = {"accept-language": "en"} if language == "en" else {}
    response = client.get("/staff/sessions/", headers=headers)
    assert_branded(response, 404, 404, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_request_for_an_unknown_host(language: str) -> None:
    """DisallowedHost is a 400; the page itself must not ask for the host again."""
    response = client_in(language).get("/", headers={"host": "attacker.invalid"})
    assert_branded(response, 400, 400, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_refused_with_permission_denied(language: str) -> None:
    """A plain PermissionDenied (the admin's, for a view it does not allow) is a 403."""
    client = signed_in("inspector")
    if language == "fr":
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    headers = {"accept-language": "en"} if language == "en" else {}
    client.raise_request_exception = False
    response = client.get("/admin/accounts/user/add/", headers=headers)
    assert_branded(response, 403, 403, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_without_its_csrf_cookie(language: str) -> None:
    client = client_in(language, enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert_branded(response, 403, "csrf", language)
    # Without the cookie, the page says what to change.
    assert {"ar": "اسمح بملفات تعريف الارتباط", "fr": "autorisez les cookies"}.get(
        language, "allow cookies"
    ) in response.content.decode()


@pytest.mark.django_db
def test_a_form_with_a_stale_token() -> None:
    """The common case: the page stayed open, the token no longer matches."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/login/")  # sets the CSRF cookie
    response = client.post(
        "/accounts/login/", {"username": "x", "password": "y", "csrfmiddlewaretoken": "x" * 64}
    )
    assert_branded(response, 403, "csrf", "ar")
    assert "اسمح بملفات تعريف الارتباط" not in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_without_its_static_files(settings: Any, tmp_path: Path, language: str) -> None:
    """Hashed static files before `collectstatic` ran: the template cannot name its stylesheet,
    and the page falls back to plain HTML with the same words, number and way home."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = client_in(language).get("/no-such-page/")
    html = response.content.decode()
    assert "site.css" not in html
    assert_branded(response, 404, 404, language, home='href="/"')


def _closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def unreachable_database(django_db_blocker: Any, tmp_path: Path) -> Iterator[None]:
    """The default database is one that cannot be reached: SQLite in a directory that does not
    exist, PostgreSQL on a port nothing listens on. Every query fails with OperationalError."""
    original = connections[DEFAULT_DB_ALIAS]
    params = dict(original.settings_dict)
    if original.vendor == "sqlite":
        params["NAME"] = str(tmp_path / "no-such-directory" / "qurb.sqlite3")
    else:
        params.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    broken = load_backend(params["ENGINE"]).DatabaseWrapper(params, DEFAULT_DB_ALIAS)
    with django_db_blocker.unblock():
        connections[DEFAULT_DB_ALIAS] = broken
        try:
            with pytest.raises(OperationalError):
                broken.ensure_connection()
            yield
        finally:
            broken.close()
            connections[DEFAULT_DB_ALIAS] = original


@pytest.fixture
def database_unreachable(django_db_blocker: Any, tmp_path: Path) -> Iterator[None]:
    with unreachable_database(django_db_blocker, tmp_path):
        yield


@pytest.fixture
def cache_broken(settings: Any) -> None:
    """The cache is a Redis server that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")


@pytest.mark.usefixtures("database_unreachable")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_500_page_without_a_database(language: str) -> None:
    for path in ["/", "/figures/", "/events/"]:
        assert_branded(client_in(language).get(path), 500, 500, language)


@pytest.mark.django_db
def test_the_500_page_for_a_signed_in_person_without_a_database(
    django_db_blocker: Any, tmp_path: Path
) -> None:
    """With a session cookie the guards read the session first: that fails too, and the page
    still shows without touching the session or the user."""
    client = signed_in("chief.medina")
    client.raise_request_exception = False
    with unreachable_database(django_db_blocker, tmp_path):
        response = client.get("/staff/reports/")
    assert_branded(response, 500, 500, "ar")


@pytest.mark.django_db
@pytest.mark.usefixtures("cache_broken")
def test_the_500_page_without_a_cache() -> None:
    response = client_in("fr").get("/areas.geojson")
    assert_branded(response, 500, 500, "fr")


@pytest.mark.usefixtures("database_unreachable", "cache_broken")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_500_page_without_a_database_or_a_cache(language: str) -> None:
    response = client_in(language).get("/")
    assert_branded(response, 500, 500, language)
    note = {
        "ar": "ربما لم يصلنا",
        "fr": "il ne nous est peut-être pas parvenu",
        "en": "it may not have reached us",
    }[language]
    assert note in response.content.decode()
