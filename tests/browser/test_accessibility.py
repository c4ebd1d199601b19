"""WCAG 2.2 AA with axe-core: no critical or serious violation on any page a resident or a
staff member uses, in Arabic, French and English, on a phone and on a desktop.

Pages are reached as their users reach them; pages whose address holds an id (an article, a
meeting, a report) are found by following the first link of their list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

from tests.browser.accounts import sign_in
from tests.browser.axe import describe, violations
from tests.browser.server import QurbServer

pytestmark = pytest.mark.browser

LANGUAGES = ("ar", "fr", "en")
# The README's example point: the home page sends it to the Fès-Médina neighbourhood page.
FES_MEDINA = "/?lat=34.0618&lon=-4.9751"


@dataclass(frozen=True)
class Page:
    path: str
    # When set, ``path`` is a list and the page checked is its first link matching this CSS.
    follow: str = ""


PUBLIC = [
    Page("/"),
    Page(FES_MEDINA),
    Page(FES_MEDINA, follow='main a[href^="/meetings/"]'),
    Page(FES_MEDINA, follow='main a[href^="/messages/"]'),
    Page("/report/"),
    Page("/track/"),
    Page("/alerts/"),
    Page("/alerts/subscribe/"),
    Page("/news/"),
    Page("/news/", follow='main a[href^="/news/"]:not([href$=".atom"])'),
    Page("/events/"),
    Page("/events/", follow='main a[href^="/events/"]:not([href$=".ics"])'),
    Page("/newsletter/"),
    Page("/figures/"),
    Page("/open-data/"),
    Page("/associations/apply/"),
    Page("/accounts/login/"),
]
STAFF = {
    "chief.medina": [
        Page("/staff/"),
        Page("/staff/reports/"),
        Page("/staff/reports/", follow='main a[href^="/staff/reports/"][href$="/"]'),
        Page("/staff/insights/"),
        Page("/staff/", follow='a[href^="/staff/areas/"]'),
        Page("/staff/messages/"),
        Page("/staff/messages/new/"),
        Page("/staff/messages/", follow='main td a[href^="/staff/messages/"]'),
    ],
    "cell.fes": [
        Page("/staff/"),
        Page("/staff/events/"),
        Page("/staff/events/", follow='main a[href^="/staff/events/"][href$="/"]'),
        Page("/staff/news/"),
        Page("/staff/newsletter/"),
        Page("/staff/sessions/"),
        Page("/staff/associations/"),
        Page("/staff/messages/"),
    ],
    "unit.fes": [Page("/staff/"), Page("/staff/alerts/"), Page("/staff/alerts/new/")],
    "officer.medina": [Page("/staff/"), Page("/staff/reports/")],
}


def _set_language(driver: webdriver.Chrome, url: str, language: str) -> None:
    driver.add_cookie({"name": "qurb_language", "value": language, "path": "/"})


def _visit(driver: webdriver.Chrome, url: str, page: Page) -> str:
    driver.get(url + page.path)
    if page.follow:
        links = driver.find_elements(By.CSS_SELECTOR, page.follow)
        target = next(
            (
                a.get_attribute("href")
                for a in links
                if a.get_attribute("href") != driver.current_url
            ),
            None,
        )
        if target is None:
            raise AssertionError(f"no link {page.follow!r} on {page.path}")
        driver.get(target)
    return driver.current_url.removeprefix(url)


def _check(driver: webdriver.Chrome, url: str, pages: list[Page], label: str) -> Iterator[str]:
    for language in LANGUAGES:
        _set_language(driver, url, language)
        for page in pages:
            try:
                where = _visit(driver, url, page)
                found = violations(driver)
            except (WebDriverException, AssertionError) as exc:
                yield f"{label} {language} {page.path} {page.follow}: {exc}"
                continue
            lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
            if lang != language:
                yield f"{label} {language} {where}: the page says lang={lang!r}"
            if found:
                yield describe(f"{label} {language} {where}", found)


def _run(driver: webdriver.Chrome, url: str, viewport: str) -> None:
    problems: list[str] = []
    driver.get(url + "/")
    problems += _check(driver, url, PUBLIC, f"{viewport} signed out")
    for username, pages in STAFF.items():
        sign_in(driver, url, username, "/")
        problems += _check(driver, url, pages, f"{viewport} {username}")
    assert not problems, "axe-core, WCAG 2.2 AA:\n" + "\n".join(problems)


def test_every_page_on_a_phone_has_no_serious_violation(
    browser: webdriver.Chrome, qurb_server: QurbServer
) -> None:
    _run(browser, qurb_server.url, "phone")


def test_every_page_on_a_desktop_has_no_serious_violation(
    desktop: webdriver.Chrome, qurb_server: QurbServer
) -> None:
    _run(desktop, qurb_server.url, "desktop")
