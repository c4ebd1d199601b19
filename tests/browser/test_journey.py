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
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import QurbServer

pytestmark = pytest.mark.browser

WAIT_SECONDS = 15
FES_MEDINA = "فاس المدينة"
ARABIC = re.compile("[\u0600-\u06ff]")


def wait(driver: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(driver, WAIT_SECONDS)


def html_attributes(driver: webdriver.Chrome) -> tuple[str | None, str | None]:
    html = driver.find_element(By.TAG_NAME, "html")
    return html.get_attribute("lang"), html.get_attribute("dir")


def assert_emergency_number_visible(driver: webdriver.Chrome) -> None:
    banner = driver.find_element(By.CSS_SELECTOR, "p.emergency")
    call = banner.find_element(By.CSS_SELECTOR, 'a[href="tel:19"]')
    assert banner.is_displayed()
    assert call.is_displayed()
    assert call.text.strip() == "19"
    rect: dict[str, Any] = call.rect
    assert rect["y"] < driver.execute_script("return window.innerHeight;"), (
        "the emergency number is not on the first screen"
    )


def assert_fits_phone_width(driver: webdriver.Chrome) -> None:
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone screen"


def page_errors(driver: webdriver.Chrome) -> list[str]:
    """Severe console entries, except the map tiles (no network in tests, by design)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "tile.openstreetmap.org" not in entry["message"]
    ]


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

    # Arabic, right to left, and the emergency number up front.
    assert html_attributes(browser) == ("ar", "rtl")
    assert_emergency_number_visible(browser)

    # The map: Leaflet started and drew the boundaries from /areas.geojson (no tiles needed).
    wait(browser).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#map.leaflet-container"))
    )
    boundaries = wait(browser).until(
        ec.visibility_of_any_elements_located((By.CSS_SELECTOR, "#map path.leaflet-interactive"))
    )
    neighbourhoods = browser.find_elements(By.CSS_SELECTOR, "select#area optgroup option")
    assert len(boundaries) >= 1
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")) == len(
        neighbourhoods
    ), "the map should draw one boundary per neighbourhood in the list"
    assert_fits_phone_width(browser)
    browser.save_screenshot(str(screenshots / "home-ar-phone.png"))

    # Pick Fès-Médina's first neighbourhood from the list.
    option = fes_medina_option(browser)
    area_id, label = option.get_attribute("value"), option.text.strip()
    assert area_id
    Select(browser.find_element(By.ID, "area")).select_by_value(area_id)
    picker = browser.find_element(By.ID, "area").find_element(By.XPATH, "./ancestor::form")
    picker.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

    wait(browser).until(ec.url_matches(rf"/neighbourhoods/{area_id}/$"))
    name = wait(browser).until(ec.visibility_of_element_located((By.ID, "area-name"))).text
    assert html_attributes(browser) == ("ar", "rtl")
    assert name.strip(), "the neighbourhood page has no name"
    assert FES_MEDINA in name
    # The list shows the name, followed by a "(demo)" marker for generated areas.
    assert label == name or label.startswith(f"{name} ("), (label, name)
    assert browser.title.startswith(name)
    assert FES_MEDINA in browser.find_element(By.ID, "district").text

    officers = browser.find_elements(By.CSS_SELECTOR, "li.card.officer")
    assert officers, "no officer card on the neighbourhood page"
    assert all(o.is_displayed() and o.text.strip() for o in officers)
    assert browser.find_element(By.ID, "officers").is_displayed()

    assert_emergency_number_visible(browser)
    assert "19" in browser.find_element(By.CSS_SELECTOR, "p.emergency").text
    assert "19" in browser.find_element(By.CSS_SELECTOR, ".emergency-inline").text

    # Its own boundary on the small map.
    wait(browser).until(
        ec.visibility_of_any_elements_located((By.CSS_SELECTOR, "#map path.leaflet-interactive"))
    )
    assert_fits_phone_width(browser)
    browser.save_screenshot(str(screenshots / "neighbourhood-ar-phone.png"))
    assert page_errors(browser) == []


def test_switching_to_french(browser: webdriver.Chrome, qurb_server: QurbServer) -> None:
    browser.get(f"{qurb_server.url}/")
    assert html_attributes(browser) == ("ar", "rtl")

    Select(browser.find_element(By.ID, "language")).select_by_value("fr")
    switch = browser.find_element(By.ID, "language").find_element(By.XPATH, "./ancestor::form")
    old_page = browser.find_element(By.TAG_NAME, "html")
    switch.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    wait(browser).until(ec.staleness_of(old_page))

    wait(browser).until(lambda d: html_attributes(d) == ("fr", "ltr"))
    assert browser.current_url == f"{qurb_server.url}/"
    selected = Select(browser.find_element(By.ID, "language")).first_selected_option
    assert selected.get_attribute("value") == "fr"
    assert_emergency_number_visible(browser)

    # The choice sticks for the next page.
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
    assert notice.text.strip()
    # The rest of the page is still there: the list picker and the emergency number.
    assert browser.find_element(By.ID, "area").is_displayed()
    assert_emergency_number_visible(browser)


@pytest.mark.xfail(
    reason="no Arabic message catalogue yet (src/qurb/locale is missing): "
    "the interface text is English on Arabic pages",
    strict=False,
)
def test_bad_location_error_is_in_arabic(
    browser: webdriver.Chrome, qurb_server: QurbServer
) -> None:
    browser.get(f"{qurb_server.url}/?lat=abc&lon=-4.97")
    notice = browser.find_element(By.CSS_SELECTOR, ".notice")
    assert ARABIC.search(notice.text), notice.text
