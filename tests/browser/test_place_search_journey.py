"""Finding the place without GPS, on an Arabic phone, in real headless Chromium: the map from the
keyboard, the "can't use the map?" link, the search by name ("lmdina") chosen with the keyboard,
the call-19 warning next to what set it off, and the refused or failing location explained."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.server import QurbServer
from tests.browser.test_journey import horizontal_overflow, page_errors, press
from tests.browser.test_report_journey import submit_form, wait

pytestmark = pytest.mark.browser

ARABIC = re.compile(r"[\u0600-\u06ff]")
TEXT = "دراجات نارية كتدور بسرعة كبيرة فالزنقة قدام الجامع وكتخلع الناس والدراري"


def search_answer(server: QurbServer, q: str) -> dict[str, Any]:
    """What /places/search/ answers an Arabic reader (the page must show the same)."""
    request = urllib.request.Request(  # noqa: S310 - the test's own server, over http
        f"{server.url}/places/search/?{urllib.parse.urlencode({'q': q})}",
        headers={"Accept-Language": "ar"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        answer: dict[str, Any] = json.load(response)
    return answer


def focused(driver: webdriver.Chrome) -> WebElement:
    element: WebElement = driver.switch_to.active_element
    return element


def top(driver: webdriver.Chrome, element: WebElement) -> float:
    value: float = driver.execute_script(
        "return arguments[0].getBoundingClientRect().top;", element
    )
    return value


def stored_report(server: QurbServer, code: str) -> tuple[float, float, int]:
    db = sqlite3.connect(f"file:{server.data_dir / 'qurb.sqlite3'}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT lat, lon, district_id FROM reports_report WHERE tracking_code = ?", (code,)
        ).fetchone()
    finally:
        db.close()
    assert row is not None, code
    return float(row[0]), float(row[1]), int(row[2])


def test_report_a_place_found_by_its_darija_name_with_the_keyboard(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    browser.get(f"{qurb_server.url}/report/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"

    # The map works from the keyboard: focusable, described, Enter marks its centre.
    the_map = wait(browser).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#report-map.leaflet-container"))
    )
    assert the_map.get_attribute("tabindex") == "0"
    assert the_map.get_attribute("aria-describedby") == "map-help"
    assert browser.find_element(By.ID, "map-help").is_displayed()
    browser.execute_script("arguments[0].focus()", the_map)
    focused(browser).send_keys(Keys.ENTER)
    status = browser.find_element(By.ID, "location-status")
    assert status.text == status.get_attribute("data-centre")
    assert browser.find_element(By.ID, "id_lat").get_attribute("value")

    # "Can't use the map?" moves the focus past it, into the search box.
    skip = browser.find_element(By.CSS_SELECTOR, "a.skip-map")
    assert ARABIC.search(skip.text)
    press(skip)
    box = focused(browser)
    assert box.get_attribute("id") == "place-search-input"
    assert box.get_attribute("role") == "combobox"
    assert top(browser, box) > top(browser, the_map)  # after the map, not before it

    # Darija in Latin letters; the results are announced, then chosen with the keyboard.
    answer = search_answer(qurb_server, "lmdina")
    first = answer["results"][0]
    assert first["name"] == "فاس المدينة"
    box.send_keys("lmdina")
    listbox = wait(browser, 10).until(
        ec.visibility_of_element_located((By.ID, "place-search-results"))
    )
    options = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")
    assert [o.find_element(By.CSS_SELECTOR, ".name").text for o in options] == [
        r["name"] for r in answer["results"]
    ]
    assert box.get_attribute("aria-expanded") == "true"
    live = browser.find_element(By.ID, "place-search-status")
    assert live.get_attribute("aria-live") == "polite"
    assert live.text == answer["message"]
    box.send_keys(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    assert options[0].get_attribute("aria-selected") == "true"
    browser.save_screenshot(str(screenshots / "place-search-lmdina-ar-phone.png"))
    assert horizontal_overflow(browser) == 0
    box.send_keys(Keys.ENTER)
    assert not listbox.is_displayed()
    assert box.get_attribute("aria-expanded") == "false"
    assert browser.find_element(By.ID, "id_lat").get_attribute("value") == f"{first['lat']:.6f}"
    assert browser.find_element(By.ID, "id_lon").get_attribute("value") == f"{first['lon']:.6f}"
    assert first["name"] in status.text
    assert browser.find_element(By.ID, "id_address").get_attribute("value") == first["name"]
    assert browser.current_url.endswith("/report/")  # Enter chose; it did not send the form

    # "Happening now" shows the call-19 warning right after the choice, as an alert.
    browser.find_element(By.CSS_SELECTOR, "input[name=category][value=disorder]").click()
    assert browser.find_elements(By.ID, "call-now") == []
    now = browser.find_element(By.CSS_SELECTOR, "input[name=when][value=now]")
    now.click()
    warning = wait(browser, 5).until(ec.visibility_of_element_located((By.ID, "call-now")))
    assert warning.get_attribute("role") == "alert"
    assert "19" in warning.text
    assert browser.execute_script(
        "return document.getElementById('call-now').previousElementSibling.id"
    ) == ("when-choices")
    assert 0 < top(browser, warning) - top(browser, now) < 400
    assert "call-now" in (now.get_attribute("aria-describedby") or "")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", warning)
    browser.save_screenshot(str(screenshots / "call-now-beside-when-ar-phone.png"))
    # It goes with its cause, and comes back beside the text when the text says "now".
    browser.find_element(By.CSS_SELECTOR, "input[name=when][value=unknown]").click()
    assert browser.find_elements(By.ID, "call-now") == []
    text = browser.find_element(By.ID, "id_description")
    text.send_keys(TEXT + " دابا")
    warning = wait(browser, 5).until(ec.visibility_of_element_located((By.ID, "call-now")))
    assert browser.execute_script(
        "return document.getElementById('call-now').previousElementSibling.id"
    ) == ("id_description")
    assert len(browser.find_elements(By.CSS_SELECTOR, "[role=alert]#call-now")) == 1

    wait(browser).until(
        lambda d: d.find_element(By.ID, "pow-status").get_attribute("data-state") == "done"
    )
    submit_form(browser, "report-form")
    code = wait(browser).until(ec.visibility_of_element_located((By.ID, "tracking-code")))
    lat, lon, district = stored_report(qurb_server, code.text.strip())
    assert (round(lat, 6), round(lon, 6)) == (first["lat"], first["lon"])
    assert district == first["area"]  # Fès-Médina, the district "lmdina" names
    browser.save_screenshot(str(screenshots / "report-sent-from-search-ar-phone.png"))
    assert page_errors(browser) == []


def test_refused_location_is_explained_and_the_search_offered(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    browser.execute_cdp_cmd(
        "Browser.setPermission",
        {
            "origin": qurb_server.url,
            "permission": {"name": "geolocation"},
            "setting": "denied",
        },
    )
    browser.get(f"{qurb_server.url}/report/")
    press(wait(browser).until(ec.visibility_of_element_located((By.ID, "use-location"))))
    status = browser.find_element(By.ID, "location-status")
    wait(browser, 10).until(lambda d: status.get_attribute("data-problem") == "denied")
    denied = status.get_attribute("data-denied") or ""
    assert ARABIC.search(denied)
    assert "قُرب" in denied
    assert status.text.startswith(denied)
    assert status.get_attribute("role") == "status"
    assert not browser.find_element(By.ID, "id_lat").get_attribute("value")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", status)
    browser.save_screenshot(str(screenshots / "location-denied-ar-phone.png"))
    assert horizontal_overflow(browser) == 0
    # What to do instead is one step away: the link moves the focus into the search box.
    press(status.find_element(By.TAG_NAME, "a"))
    assert focused(browser).get_attribute("id") == "place-search-input"
    assert page_errors(browser) == []


def test_home_without_a_position_finds_the_neighbourhood_by_name(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    # The phone may share its location but cannot find it: "position unavailable".
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": qurb_server.url, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd("Emulation.setGeolocationOverride", {})
    browser.get(f"{qurb_server.url}/")
    press(wait(browser).until(ec.visibility_of_element_located((By.ID, "use-location"))))
    status = browser.find_element(By.ID, "locate-status")
    wait(browser, 10).until(lambda d: status.get_attribute("data-problem") == "unavailable")
    assert status.text.startswith(status.get_attribute("data-unavailable") or "?")
    assert ARABIC.search(status.text)
    browser.save_screenshot(str(screenshots / "location-unavailable-home-ar-phone.png"))

    the_map = browser.find_element(By.ID, "map")
    assert the_map.get_attribute("tabindex") == "0"
    press(browser.find_element(By.CSS_SELECTOR, "a.skip-map"))
    box = focused(browser)
    assert box.get_attribute("id") == "place-search-input"
    box.send_keys("أكدال")
    wait(browser, 10).until(ec.visibility_of_element_located((By.ID, "place-search-results")))
    first = search_answer(qurb_server, "أكدال")["results"][0]
    box.send_keys(Keys.ARROW_DOWN)
    box.send_keys(Keys.ENTER)
    wait(browser, 10).until(lambda d: d.current_url.endswith(first["url"]))
    assert first["name"] in browser.find_element(By.TAG_NAME, "h1").text
    assert page_errors(browser) == []
