"""Fixtures for browser journeys: a private Qurb server and a headless Chromium on a phone."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

from tests.browser.axe import describe, violations
from tests.browser.server import QurbServer, ServerError, running_qurb

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# A phone (about an iPhone 12–15) in CSS pixels; a device pixel ratio of 2 keeps the
# screenshots small. Headless Chromium will not make a window narrower than 500px, so a
# phone needs device emulation rather than --window-size.
PHONE = {"width": 390, "height": 844, "pixelRatio": 2.0, "mobile": True, "touch": True}
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36"
)
# The phone of a resident who reads Arabic, in Morocco (headless Chromium says en-US).
PHONE_LANGUAGES = "ar-MA,ar"

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


class CheckedChrome(webdriver.Chrome):
    """Chromium that runs axe-core on every Qurb page a journey leaves (and the last one).

    Each page shown when the journey moves on with ``get`` is checked, so every page of every
    journey is held to WCAG 2.2 AA (no critical or serious violation), not only a list.
    """

    axe_problems: list[str]

    def axe_check(self) -> None:
        url = self.current_url
        if not url.startswith("http://127.0.0.1") or "/admin/" in url:
            return
        try:
            if self.execute_script("return document.contentType") != "text/html":
                return
            found = violations(self)
        except WebDriverException:
            return  # a page that is going away cannot be read; the next one will be
        if found:
            self.axe_problems.append(describe(url, found))

    def get(self, url: str) -> None:
        self.axe_check()
        super().get(url)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Chromium's path; skips the journeys without it, unless QURB_REQUIRE_BROWSER=1."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        reason = f"browser journeys need {' and '.join(missing)}"
        if os.environ.get("QURB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (QURB_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(f"{reason}: not installed (QURB_REQUIRE_BROWSER=1 fails instead)")
    return CHROMIUM


@pytest.fixture(scope="session")
def qurb_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QurbServer]:
    """Qurb on the demo data, served from a temporary data directory and SQLite database."""
    try:
        with running_qurb(tmp_path_factory.mktemp("qurb-data")) as server:
            yield server
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _driver(
    request: pytest.FixtureRequest, chromium: Path, screenshots: Path, tmp_path: Path, phone: bool
) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / ('chromium-phone' if phone else 'chromium-desktop')}",
        f"--lang={PHONE_LANGUAGES.split(',')[0]}",
        # Hermetic: nothing leaves the machine; map tiles fail at once instead of hanging.
        "--no-proxy-server",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    if phone:
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": PHONE, "userAgent": PHONE_USER_AGENT}
        )
    else:
        options.add_argument("--window-size=1280,2000")
    options.add_experimental_option("prefs", {"intl.accept_languages": PHONE_LANGUAGES})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = CheckedChrome(options=options, service=service)
    driver.axe_problems = []
    driver.set_page_load_timeout(30)
    try:
        yield driver
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.passed:
            driver.axe_check()
            if driver.axe_problems:
                pytest.fail(
                    "axe-core, WCAG 2.2 AA, on pages this journey visited:\n"
                    + "\n".join(dict.fromkeys(driver.axe_problems)),
                    pytrace=False,
                )
        if report is not None and report.failed:
            name = re.sub(r"[^\w.-]+", "-", request.node.name)
            with contextlib.suppress(WebDriverException):
                driver.save_screenshot(str(screenshots / f"failed-{name}.png"))
    finally:
        driver.quit()


@pytest.fixture
def browser(
    request: pytest.FixtureRequest, chromium: Path, screenshots: Path, tmp_path: Path
) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium per test (own profile: no cookie or language carries over).

    A failing test leaves a screenshot, var/screenshots/failed-<test>.png.
    """
    yield from _driver(request, chromium, screenshots, tmp_path, phone=True)


@pytest.fixture
def desktop(
    request: pytest.FixtureRequest, chromium: Path, screenshots: Path, tmp_path: Path
) -> Iterator[webdriver.Chrome]:
    """A headless Chromium on a desktop screen (1280 CSS pixels wide), for staff pages."""
    yield from _driver(request, chromium, screenshots, tmp_path, phone=False)
