"""On a phone, in Arabic: the home page leads with the live alert, and each staff role signs
in to land on its own home, with its tools in a navigation that fits the screen.

Screenshots (whole pages) go to var/screenshots/staff-home-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.browser.accounts import sign_in
from tests.browser.server import QurbServer
from tests.browser.test_insights_journey import full_page
from tests.browser.test_journey import horizontal_overflow, page_errors

pytestmark = pytest.mark.browser

# Each role's demo account and how many tools its navigation lists (tests/web checks which).
ROLES = {
    "chief.medina": 8,
    "officer.medina": 7,
    "cell.fes": 8,
    "unit.fes": 2,
    "analyst": 4,
    "inspector": 2,
    "admin": 11,
}


def _fits(driver: webdriver.Chrome, selector: str) -> list[str]:
    """Elements matching ``selector`` that stick out of the screen, sideways."""
    width = driver.execute_script("return window.visualViewport.width")
    return [
        e.text
        for e in driver.find_elements(By.CSS_SELECTOR, selector)
        if e.rect["x"] < 0 or e.rect["x"] + e.rect["width"] > width + 1
    ]


def test_the_home_page_leads_with_the_alert_then_events_and_news(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    browser.get(qurb_server.url + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    alert = browser.find_element(By.ID, "live-alerts")
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert alert.is_displayed()
    assert alert.rect["y"] < heading.rect["y"]
    assert browser.find_elements(By.CSS_SELECTOR, "#home-events a")
    assert browser.find_elements(By.CSS_SELECTOR, "#home-news a")
    assert not _fits(browser, ".primary-nav a, .footer-nav a")
    full_page(browser, screenshots / "staff-home-public-ar.png")
    assert horizontal_overflow(browser) == 0
    assert not page_errors(browser)


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_lands_on_its_home_with_its_tools(
    username: str, browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    # No "next": staff land on their home once past the second factor.
    sign_in(browser, qurb_server.url, username, "")
    assert browser.current_url == qurb_server.url + "/staff/"
    tools = browser.find_elements(By.CSS_SELECTOR, "#staff-nav a")
    assert len(tools) == ROLES[username]
    assert all(t.is_displayed() for t in tools)
    assert not _fits(browser, "#staff-nav a"), "every tool is on the screen, none cut off"
    assert browser.find_elements(By.CSS_SELECTOR, ".work-block")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ar"
    full_page(browser, screenshots / f"staff-home-{username}-ar.png")
    assert horizontal_overflow(browser) == 0
    assert not page_errors(browser)
