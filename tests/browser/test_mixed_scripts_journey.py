"""Latin names and numbers inside Arabic lines, in real headless Chromium on a phone that reads
Arabic: the demo's alert for Yasmine, 9, and a meeting planned with a French title and place.
The DOM holds each inserted value in its own <bdi>, and the screen shows them in right-to-left
order ("Yasmine، 9 سنوات", not "9، Yasmine سنوات"); the dates are Moroccan Arabic ones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.accounts import sign_in
from tests.browser.server import QurbServer
from tests.browser.test_insights_journey import full_page
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_meeting_journey import _area_id, _set
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser

MONTHS = "يناير|فبراير|مارس|أبريل|ماي|يونيو|يوليوز|غشت|شتنبر|أكتوبر|نونبر|دجنبر"
# "3 دجنبر 2026، 18:05": day, Moroccan month, year, the Arabic comma, 24-hour time.
ARABIC_DATETIME = re.compile(rf"^\d{{1,2}} ({MONTHS}) \d{{4}}، \d\d:\d\d$")

# Where each <bdi> of an element is drawn, and the text that follows the last one.
_LAYOUT = """
const element = arguments[0];
const box = (r) => ({left: r.left, right: r.right, top: Math.round(r.top)});
const bdis = [...element.querySelectorAll("bdi")].map(
  (b) => ({text: b.textContent, ...box(b.getBoundingClientRect())}));
const range = document.createRange();
range.selectNodeContents(element.lastChild);
return {
  direction: getComputedStyle(element).direction,
  bdis,
  rest: {text: element.lastChild.textContent.trim(), ...box(range.getBoundingClientRect())},
};
"""


def layout(driver: webdriver.Chrome, element: WebElement) -> dict[str, Any]:
    found: dict[str, Any] = driver.execute_script(_LAYOUT, element)
    return found


def test_latin_names_and_numbers_keep_their_place_in_arabic_lines(
    browser: webdriver.Chrome, desktop: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    url = qurb_server.url

    # The alert, reached from the list of alerts.
    browser.get(f"{url}/alerts/")
    wait(browser).until(ec.element_to_be_clickable((By.PARTIAL_LINK_TEXT, "Yasmine"))).click()
    heading = wait(browser).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#alert h1")))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ar"
    drawn = layout(browser, heading)
    assert drawn["direction"] == "rtl"
    name, age = drawn["bdis"]
    assert (name["text"], age["text"], drawn["rest"]["text"]) == ("Yasmine", "9", "سنوات")
    # Read from the right: the name, then the age, then "years".
    assert name["top"] == age["top"] == drawn["rest"]["top"]
    assert name["left"] >= age["right"]
    assert age["left"] >= drawn["rest"]["right"]
    seen = browser.find_element(By.CSS_SELECTOR, "#alert dl time")
    assert ARABIC_DATETIME.match(seen.text), seen.text
    assert browser.find_element(By.CSS_SELECTOR, "#alert dl bdi").text == "باب بوجلود، فاس"
    assert horizontal_overflow(browser) == 0
    assert page_errors(browser) == []
    full_page(browser, screenshots / "mixed-scripts-alert-ar.png")

    # A meeting planned in French: its place and area keep their order in the Arabic line.
    medina = _area_id(qurb_server, "032310107")
    sign_in(desktop, url, "chief.medina", f"/staff/areas/{medina}/meetings/new/")
    wait(desktop).until(ec.visibility_of_element_located((By.ID, "meeting-form")))
    start = datetime.now(UTC) + timedelta(days=3)
    desktop.find_element(By.NAME, "title_fr").send_keys("Rencontre de quartier à Batha")
    desktop.find_element(By.NAME, "location_fr").send_keys("Dar Chabab Batha")
    _set(desktop, "starts_at", start.strftime("%Y-%m-%dT18:05"))
    _set(desktop, "ends_at", start.strftime("%Y-%m-%dT20:00"))
    desktop.find_element(By.ID, "meeting-form").submit()
    wait(desktop).until(ec.visibility_of_element_located((By.ID, "hold-form")))
    meeting = int(desktop.current_url.rstrip("/").rsplit("/", 1)[1])

    browser.get(f"{url}/meetings/{meeting}/")
    lead = wait(browser).until(ec.visibility_of_element_located((By.CSS_SELECTOR, "p.lead")))
    when = lead.find_element(By.TAG_NAME, "time")
    assert ARABIC_DATETIME.match(when.text), when.text
    assert when.text.endswith("18:05"), when.text
    place, area = layout(browser, lead)["bdis"]
    assert place["text"] == "Dar Chabab Batha"
    assert area["text"]  # the neighbourhood's name
    # From the right: the date, the format, the place, the neighbourhood.
    moment = when.rect
    assert moment["x"] >= place["right"] or moment["y"] < place["top"]
    assert place["left"] >= area["right"] or place["top"] < area["top"]
    assert horizontal_overflow(browser) == 0
    assert page_errors(browser) == []
    full_page(browser, screenshots / "mixed-scripts-meeting-ar.png")
