"""An analyst signs in and reads a district's hotspots, hours and patrol windows: real
headless Chromium against a private server holding the demo's synthetic reports."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.accounts import sign_in
from tests.browser.server import QurbServer
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser


def _sign_in(browser: webdriver.Chrome, url: str, username: str) -> None:
    sign_in(browser, url, username, "/staff/insights/")
    wait(browser).until(ec.visibility_of_element_located((By.ID, "insights-filters")))


def full_page(driver: webdriver.Chrome, path: Path) -> None:
    """The whole page, not only what the screen shows."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def _district_options(browser: webdriver.Chrome) -> list[str]:
    return [
        value
        for o in browser.find_elements(By.CSS_SELECTOR, "#id_area option")
        if (value := o.get_attribute("value") or "").startswith("d")
    ]


def _rows(browser: webdriver.Chrome, table: str) -> int:
    return len(browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr"))


def test_dashboard_shows_a_hotspot_the_heatmap_and_patrol_windows(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    _sign_in(browser, qurb_server.url, "analyst")
    chosen = None
    for value in _district_options(browser):
        browser.get(f"{qurb_server.url}/staff/insights/?area={value}&days=90")
        wait(browser).until(ec.visibility_of_element_located((By.ID, "heatmap")))
        if _rows(browser, "hotspots") and _rows(browser, "patrol-windows"):
            chosen = value
            break
    assert chosen, "no demo district shows a hotspot and a patrol window"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#heatmap rect")) == 168
    hexagons = browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path, svg.hexes path")
    assert len(hexagons) > 10
    assert horizontal_overflow(browser) == 0
    assert page_errors(browser) == []
    full_page(browser, screenshots / "insights-ar-phone.png")


def test_dashboard_on_a_desktop_in_english(
    desktop: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    # A district chief (another account: a TOTP code is accepted once).
    _sign_in(desktop, qurb_server.url, "chief.agdal")
    desktop.find_element(By.CSS_SELECTOR, "#language option[value='en']").click()
    desktop.find_element(By.CSS_SELECTOR, "form.lang button").click()
    wait(desktop).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Where and when"))
    for value in _district_options(desktop):
        desktop.get(f"{qurb_server.url}/staff/insights/?area={value}&days=90")
        wait(desktop).until(ec.visibility_of_element_located((By.ID, "heatmap")))
        if _rows(desktop, "hotspots") and _rows(desktop, "patrol-windows"):
            break
    else:
        pytest.fail("no demo district shows a hotspot and a patrol window")
    # The hexagons are drawn on the map, hotspots outlined.
    wait(desktop).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path, svg.hexes path")) > 10
        )
    )
    assert page_errors(desktop) == []
    desktop.save_screenshot(str(screenshots / "insights-en-desktop.png"))
