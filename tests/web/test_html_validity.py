"""The main public pages are valid HTML: the Nu HTML Checker (npm ``vnu-jar``, the W3C's
validator) reads each of them in Arabic, French and English, and any error fails the test.

The pages are rendered from the demo data, written to files, and checked in one run of the
checker (one JVM start). Warnings do not fail the test; they are printed. The checker needs
Java: without it (or without ``npm ci``), the test is skipped on a developer's machine and
fails in CI (``CI=true``), where `.ci/run` installs both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from qurb.accounts.models import User
from qurb.alerts.models import AlertCase
from qurb.alerts.services import case_close
from qurb.areas.models import Area
from qurb.communication.models import Article, Event, NewsletterSubscriber
from qurb.communication.services import ticket_register
from qurb.engagement.models import Meeting, QuestionKind, Survey
from qurb.engagement.policy import meetings_published
from qurb.engagement.services import survey_answer, survey_open
from qurb.reports.models import Report
from qurb.web.common import errorpages
from qurb.web.templatetags.qurb_html import datetime_attr, tel_href

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGUAGES = ["ar", "fr", "en"]
# The README's example point (Fès-Médina): the home page sends it to the neighbourhood page.
README_POINT = "/?lat=34.0618&lon=-4.9751"
MEDINA = "032310107"  # the district around it


def _checker() -> list[str]:
    """The command that runs the Nu HTML Checker, or a skip (a failure in CI) without it."""
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("java (Debian: default-jre-headless)")
    if not VNU_JAR.is_file():
        missing.append(f"{VNU_JAR.relative_to(ROOT)} (npm ci)")
    if missing:
        reason = "The Nu HTML Checker cannot run: missing " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    assert java is not None
    return [java, "-Xss1024k", "-jar", str(VNU_JAR)]


@dataclass
class Finding:
    kind: str  # "error" or "warning"
    page: str
    line: int | None
    message: str
    extract: str

    def __str__(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f"{where}: {self.message}\n    {self.extract.strip()}"


def validate(pages: dict[str, str], directory: Path) -> list[Finding]:
    """Every message of the Nu HTML Checker on ``pages`` (name → HTML), in one run."""
    command = _checker()
    files: dict[str, str] = {}  # file name → page name
    for index, (name, html) in enumerate(pages.items()):
        path = directory / f"{index:03d}-{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-')}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    done = subprocess.run(
        [*command, "--format", "json", "--exit-zero-always", *(str(directory / f) for f in files)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(done.stderr or done.stdout)
    findings = []
    for message in report["messages"]:
        kind = message.get("type")
        if kind == "info" and message.get("subType") != "warning":
            continue
        url = message.get("url", "")
        page = files.get(url.rsplit("/", 1)[-1], url)
        findings.append(
            Finding(
                kind="warning" if kind == "info" else "error",
                page=page,
                line=message.get("lastLine"),
                message=message.get("message", ""),
                extract=message.get("extract", ""),
            )
        )
    return findings


def _client(language: str) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _html(response: Any, name: str, statuses: tuple[int, ...] = (200,)) -> str:
    assert response.status_code in statuses, (name, response.status_code)
    assert response["Content-Type"].startswith("text/html"), name
    return str(response.content.decode())


def public_paths() -> dict[str, str]:
    """The main public pages: name → path, on the demo data."""
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    report = Report.objects.order_by("pk").first()
    article = Article.objects.filter(status="published").order_by("pk").first()
    event = Event.objects.filter(is_published=True).order_by("starts_on", "pk").last()
    assert report is not None
    assert article is not None
    assert event is not None
    survey = _survey_with_answers()
    ticket = ticket_register(event=event, name="Salma", visitor_kind="pupil")
    reader = NewsletterSubscriber.objects.get_or_create(
        email="reader@example.org", defaults={"confirmed_at": timezone.now()}
    )[0]
    meetings: list[Meeting] = list(meetings_published().order_by("pk"))
    held = next(m for m in meetings if m.held_at is not None)
    coming = next(m for m in meetings if m.held_at is None)
    neighbourhood = Client().get(README_POINT)
    assert neighbourhood.status_code == 302, neighbourhood.status_code
    paths = {
        "home": "/",
        "neighbourhood": neighbourhood["Location"],
        "report form": "/report/",
        "track lookup": "/track/",
        "track page": f"/track/{report.tracking_code}/",
        "alerts index": "/alerts/",
        "alert page": f"/alerts/{alert.public_id}/",
        "subscribe": "/alerts/subscribe/",
        "news": "/news/",
        "article": f"/news/{article.slug}/",
        "events": "/events/",
        "programme": f"/events/{event.slug}/",
        "ticket form": f"/events/{event.slug}/tickets/",
        "ticket": f"/events/{event.slug}/tickets/{ticket.code}/",
        "newsletter": "/newsletter/",
        "newsletter areas": f"/newsletter/{reader.token}/",
        "figures": "/figures/",
        "open data": "/open-data/",
        "yearly report": f"/areas/{survey.area_id}/report/{timezone.localdate().year}/",
        "meeting held": f"/meetings/{held.pk}/",
        "meeting coming": f"/meetings/{coming.pk}/",
        "survey": f"/surveys/{survey.pk}/",
        "survey results": f"/surveys/{survey.pk}/results/",
        "association apply": "/associations/apply/",
        "sign-in": "/accounts/login/",
    }
    return paths


def public_pages(language: str, paths: dict[str, str]) -> dict[str, str]:
    """The pages in ``language``: name → HTML, as a resident's browser gets them."""
    client = _client(language)
    pages = {name: _html(client.get(path), name) for name, path in paths.items()}
    pages["not found (404)"] = _html(client.get("/no-such-page/"), "404", (404,))
    # The forms as they come back with what to correct.
    pages["newsletter refused"] = _html(
        client.post("/newsletter/", {"email": "nope", "areas": ["abc"]}),
        "newsletter refused",
        (400,),
    )
    pages["sign-in refused"] = _html(
        client.post("/accounts/login/", {"username": "nobody", "password": "wrong"}),
        "sign-in refused",
        (200, 400),
    )
    pages.update(_error_pages(language))
    return pages


def _survey_with_answers() -> Survey:
    """The demo has no survey: the standard one, opened in Fès-Médina, with a few answers."""
    today = timezone.localdate()
    survey = Survey.objects.filter(area__code=MEDINA).first() or survey_open(
        area=Area.objects.get(code=MEDINA),
        opens_on=today,
        closes_on=today + timedelta(days=30),
        actor=User.objects.get(username="chief.medina"),
    )
    questions = list(survey.questions.all())
    trust = next(q for q in questions if q.measures_trust)
    yes_no = next(q for q in questions if q.kind == QuestionKind.YES_NO)
    for i, score in enumerate([5, 4, 2, 4, 3, 5]):
        survey_answer(
            survey=survey,
            answers={trust.pk: str(score), yes_no.pk: "yes" if i % 3 else "no"},
            identity=f"html-validity-{survey.pk}-{i}",
        )
    return survey


def _error_pages(language: str) -> dict[str, str]:
    """The 400, 403, 500 and refused-form pages, as the handlers render them."""
    request = RequestFactory().get("/somewhere/")
    request.LANGUAGE_CODE = language  # what LocaleMiddleware sets
    pages: dict[str, Callable[[], Any]] = {
        "bad request (400)": lambda: errorpages.bad_request(request),
        "forbidden (403)": lambda: errorpages.permission_denied(request),
        "server error (500)": lambda: errorpages.server_error(request),
        "form refused (CSRF)": lambda: errorpages.csrf_failure(request),
    }
    with translation.override(language):
        return {name: render().content.decode() for name, render in pages.items()}


def test_the_main_public_pages_are_valid_html(tmp_path: Path) -> None:
    _checker()  # skip before rendering anything when the checker cannot run
    paths = public_paths()
    pages: dict[str, str] = {}
    for language in LANGUAGES:
        rendered = public_pages(language, paths)
        pages |= {f"{language} {name}": html for name, html in rendered.items()}
    # An alert once it ended (410), in each language.
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    case_close(actor=User.objects.get(username="officer.medina"), case=alert, reason="found")
    for language in LANGUAGES:
        response = _client(language).get(f"/alerts/{alert.public_id}/")
        pages[f"{language} alert ended (410)"] = _html(response, "ended", (410,))

    findings = validate(pages, tmp_path)
    errors = [f for f in findings if f.kind == "error"]
    for finding in findings:
        if finding.kind == "warning":
            warnings.warn(f"Nu HTML Checker: {finding}", stacklevel=1)
    # + 404, the refused newsletter form and sign-in, 5 errors
    assert len(pages) == len(LANGUAGES) * (len(paths) + 8)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(map(str, errors))


def test_the_checker_finds_an_error(tmp_path: Path) -> None:
    """The check can fail: a page with a six-digit fraction of a second in ``<time>``."""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><p><time datetime="2025-04-05T10:11:12.123456+01:00">then</time></p></body></html>'
    )
    findings = validate({"bad": page}, tmp_path)
    assert [f.kind for f in findings] == ["error"]
    assert findings[0].page == "bad"
    assert "datetime" in findings[0].message


def test_machine_readable_values_in_the_exact_syntax() -> None:
    """``<time datetime>`` without microseconds, in the page's time zone; ``tel:`` without
    spaces."""
    moment = datetime(2025, 5, 5, 9, 11, 12, 123456, tzinfo=UTC)
    with timezone.override("Africa/Casablanca"):
        assert datetime_attr(timezone.localtime(moment)) == "2025-05-05T10:11:12+01:00"
        ramadan = datetime(2025, 3, 10, 9, 0, 0, 999999, tzinfo=UTC)  # Morocco on UTC+0
        assert datetime_attr(timezone.localtime(ramadan)) == "2025-03-10T09:00:00+00:00"
    assert datetime_attr(date(2025, 4, 5)) == "2025-04-05"
    assert datetime_attr(None) == ""
    assert tel_href("+212 535 00 00 10") == "tel:+212535000010"
    assert tel_href("19") == "tel:19"
    assert tel_href("") == ""
    # Through the template engine, which converts to the current time zone first.
    html = Template("{% load qurb_html %}{{ t|datetime_attr }}").render(Context({"t": moment}))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", html), html
