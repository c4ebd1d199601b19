"""A resident's journey in a real headless Chromium on a phone: find my neighbourhood.

Run alone with ``pytest -m browser tests/browser``; the fixtures (conftest.py) start a private
Qurb server on demo data and skip unless Chromium and chromedriver are installed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.command import Command
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.server import QurbServer

pytestmark = pytest.mark.browser

WAIT_SECONDS = 15
FES_MEDINA = "فاس المدينة"
ARABIC = re.compile("[\u0600-\u06ff]")


def wait(driver: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(driver, WAIT_SECONDS)


def html_attributes(driver: webdriver.Chrome) -> tuple[str | None, str | None]:
    html = driver.find_element(By.TAG_NAME, "html")
    return html.get_attribute("lang"), html.get_attribute("dir")


def emergency_call_link(driver: webdriver.Chrome) -> WebElement:
    """The emergency number at the top of every page, checked to be shown and dialable."""
    banner = driver.find_element(By.CSS_SELECTOR, "p.emergency")
    call = banner.find_element(By.CSS_SELECTOR, 'a[href="tel:19"]')
    assert banner.is_displayed()
    assert call.is_displayed()
    assert call.text.strip() == "19"
    return call


def on_first_screen(driver: webdriver.Chrome, element: WebElement) -> bool:
    """Whether the element lies inside what the phone shows before any scrolling."""
    inside: bool = driver.execute_script(
        """
        const r = arguments[0].getBoundingClientRect(), v = window.visualViewport;
        return r.width > 0 && r.height > 0
            && r.left >= v.offsetLeft - 0.5 && r.right <= v.offsetLeft + v.width + 0.5
            && r.top >= v.offsetTop - 0.5 && r.bottom <= v.offsetTop + v.height + 0.5;
        """,
        element,
    )
    return inside


def horizontal_overflow(driver: webdriver.Chrome) -> int:
    """How many CSS pixels the page is wider than the phone's screen (0 when it fits)."""
    overflow: int = driver.execute_script(
        "return Math.max(0, Math.ceil(document.documentElement.scrollWidth"
        " - window.visualViewport.width));"
    )
    return overflow


def page_errors(driver: webdriver.Chrome) -> list[str]:
    """Severe console entries, except map tiles (no network here, by design)."""
    entries: list[dict[str, Any]] = driver.execute(Command.GET_LOG, {"type": "browser"})["value"]
    return [
        entry["message"]
        for entry in entries
        if entry["level"] == "SEVERE" and "tile.openstreetmap.org" not in entry["message"]
    ]


def press(button: WebElement) -> None:
    """Activate a button from the keyboard (focus, then Enter), as a keyboard user would.

    Not a mouse click: on a page wider than the emulated phone screen (the home page, see
    test_home_fits_a_phone_screen) chromedriver aims its clicks off target once it has scrolled,
    so a click there silently lands on something else.
    """
    button.send_keys(Keys.ENTER)


def fes_medina_option(driver: webdriver.Chrome) -> WebElement:
    options = [
        o
        for o in driver.find_elements(By.CSS_SELECTOR, "select#area optgroup option")
        if FES_MEDINA in o.text
    ]
    assert options, f"no neighbourhood of {FES_MEDINA} in the list"
    return options[0]


def test_resident_finds_their_neighbourhood_on_a_phone(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    browser.get(f"{qurb_server.url}/")

    # Arabic, right to left, and the emergency number on the page.
    assert html_attributes(browser) == ("ar", "rtl")
    emergency_call_link(browser)

    # The map: Leaflet started and drew the boundaries from /areas.geojson (no tiles needed).
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#map.leaflet-container")))
    wait(browser).until(
        ec.visibility_of_any_elements_located((By.CSS_SELECTOR, "#map path.leaflet-interactive"))
    )
    boundaries = browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")
    neighbourhoods = browser.find_elements(By.CSS_SELECTOR, "select#area optgroup option")
    assert len(boundaries) == len(neighbourhoods) > 0, (
        "the map should draw one boundary per neighbourhood in the list"
    )
    browser.save_screenshot(str(screenshots / "home-ar-phone.png"))

    # Pick Fès-Médina's first neighbourhood from the list.
    option = fes_medina_option(browser)
    area_id, label = option.get_attribute("value"), option.text.strip()
    assert area_id
    Select(browser.find_element(By.ID, "area")).select_by_value(area_id)
    picker = browser.find_element(By.ID, "area").find_element(By.XPATH, "./ancestor::form")
    press(picker.find_element(By.CSS_SELECTOR, 'button[type="submit"]'))

    # Its page: name, district, officers, the emergency number.
    wait(browser).until(ec.url_matches(rf"/neighbourhoods/{area_id}/$"))
    name = wait(browser).until(ec.visibility_of_element_located((By.ID, "area-name"))).text
    assert html_attributes(browser) == ("ar", "rtl")
    assert FES_MEDINA in name
    # The list shows the name, followed by a "(demo)" marker for generated areas.
    assert label == name or label.startswith(f"{name} ("), (label, name)
    # The name is isolated (U+2068 … U+2069) so that a Latin name keeps its place in the title.
    assert browser.title.startswith(f"\u2068{name}\u2069")
    assert FES_MEDINA in browser.find_element(By.ID, "district").text

    assert browser.find_element(By.ID, "officers").is_displayed()
    officers = browser.find_elements(By.CSS_SELECTOR, "li.card.officer")
    assert officers, "no officer card on the neighbourhood page"
    assert all(o.is_displayed() and o.text.strip() for o in officers)

    call = emergency_call_link(browser)
    assert on_first_screen(browser, call), "the emergency number is off the first screen"
    assert "19" in browser.find_element(By.CSS_SELECTOR, "p.emergency").text
    assert "19" in browser.find_element(By.CSS_SELECTOR, ".emergency-inline").text

    # Its own boundary on the small map, and a page that fits the phone.
    wait(browser).until(
        ec.visibility_of_any_elements_located((By.CSS_SELECTOR, "#map path.leaflet-interactive"))
    )
    assert horizontal_overflow(browser) == 0
    browser.save_screenshot(str(screenshots / "neighbourhood-ar-phone.png"))
    assert page_errors(browser) == []


def test_home_fits_a_phone_screen(browser: webdriver.Chrome, qurb_server: QurbServer) -> None:
    browser.get(f"{qurb_server.url}/")
    assert horizontal_overflow(browser) == 0, "the home page is wider than the phone screen"
    for css in ("a.brand", "nav.account a", "p.emergency a[href^='tel:']", "main h1"):
        element = browser.find_element(By.CSS_SELECTOR, css)
        assert on_first_screen(browser, element), f"{css} is off the first screen"


def test_switching_to_french(browser: webdriver.Chrome, qurb_server: QurbServer) -> None:
    browser.get(f"{qurb_server.url}/")
    assert html_attributes(browser) == ("ar", "rtl")

    Select(browser.find_element(By.ID, "language")).select_by_value("fr")
    switch = browser.find_element(By.ID, "language").find_element(By.XPATH, "./ancestor::form")
    old_page = browser.find_element(By.TAG_NAME, "html")
    press(switch.find_element(By.CSS_SELECTOR, 'button[type="submit"]'))
    # While the old document is torn down, chromedriver may answer "node does not belong to
    # the document" instead of "stale element": both mean the page has been replaced.
    WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        ec.staleness_of(old_page)
    )

    wait(browser).until(lambda d: html_attributes(d) == ("fr", "ltr"))
    assert browser.current_url == f"{qurb_server.url}/"
    selected = Select(browser.find_element(By.ID, "language")).first_selected_option
    assert selected.get_attribute("value") == "fr"
    emergency_call_link(browser)

    # The choice sticks (cookie) over the phone's Arabic preference on the next visit.
    browser.get(f"{qurb_server.url}/")
    assert html_attributes(browser) == ("fr", "ltr")


def test_bad_location_shows_an_error_and_the_page(
    browser: webdriver.Chrome, qurb_server: QurbServer
) -> None:
    browser.get(f"{qurb_server.url}/?lat=abc&lon=-4.97")

    assert html_attributes(browser) == ("ar", "rtl")
    notice = browser.find_element(By.CSS_SELECTOR, ".notice")
    assert notice.is_displayed()
    assert notice.get_attribute("role") == "alert"
    assert ARABIC.search(notice.text), f"the error is not in Arabic: {notice.text!r}"
    # The rest of the page is still there: the list picker and the emergency number.
    assert browser.find_element(By.ID, "area").is_displayed()
    emergency_call_link(browser)
