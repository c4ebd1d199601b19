"""A resident reports drug dealing near a school from an Arabic phone; the district chief
triages it; the resident sees the answer. Real headless Chromium against a private server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.accounts import sign_in
from tests.browser.server import QurbServer
from tests.browser.test_journey import horizontal_overflow, page_errors

pytestmark = pytest.mark.browser

TEXT = "كاين واحد كيبيع الحشيش للدراري قدام المدرسة فوقت الخروج، كل نهار مع الطناش"


def photo_with_gps(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (120, 160, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (34.0, 3.0, 36.0), 3: "W", 4: (4.0, 58.0, 40.0)}
    image.save(path, format="JPEG", exif=exif)
    assert Image.open(path).getexif()
    return path


def wait(driver: webdriver.Chrome, seconds: float = 30) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(driver, seconds)


def wide_elements(driver: webdriver.Chrome) -> list[str]:
    """Elements wider than the phone's screen (to say what overflows)."""
    found: list[str] = driver.execute_script(
        "const w = window.visualViewport.width;"
        "return Array.from(document.querySelectorAll('main *')).filter(e => {"
        " const r = e.getBoundingClientRect(); return r.width > 0 && !e.closest('.map')"
        " && r.width > w; })"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' '"
        " + Math.round(e.getBoundingClientRect().width));"
    )
    return found


def submit_form(driver: webdriver.Chrome, form_id: str) -> None:
    driver.execute_script(f"document.getElementById('{form_id}').requestSubmit()")


def test_report_to_triage_and_back(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path, tmp_path: Path
) -> None:
    # The resident's phone knows where it is (a point in Fès-Médina's first neighbourhood).
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": qurb_server.url, "permissions": ["geolocation"]},
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 34.0617, "longitude": -4.9793, "accuracy": 10},
    )
    browser.get(f"{qurb_server.url}/report/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    wait(browser).until(ec.visibility_of_element_located((By.ID, "use-location"))).click()
    wait(browser).until(lambda d: d.find_element(By.ID, "id_lat").get_attribute("value"))

    browser.find_element(By.CSS_SELECTOR, "input[name=category][value=drugs]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=flags][value=near_school]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=flags][value=minor_involved]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=when][value=recurring]").click()
    Select(browser.find_element(By.ID, "id_recurrence_days")).select_by_value("school_days")
    browser.find_element(By.ID, "id_description").send_keys(TEXT)
    # Writing "دابا" (now) makes the page tell the resident to call 19 at once.
    browser.find_element(By.ID, "id_description").send_keys(" و حتى دابا راه تما")
    assert wait(browser, 5).until(ec.visibility_of_element_located((By.ID, "call-now")))
    assert "19" in browser.find_element(By.ID, "call-now").text
    browser.find_element(By.ID, "photos").send_keys(str(photo_with_gps(tmp_path / "IMG_2031.jpg")))
    wait(browser).until(
        lambda d: d.find_element(By.ID, "pow-status").get_attribute("data-state") == "done"
    )
    browser.save_screenshot(str(screenshots / "report-form-ar-phone.png"))
    assert horizontal_overflow(browser) == 0
    submit_form(browser, "report-form")

    code_el = wait(browser).until(ec.visibility_of_element_located((By.ID, "tracking-code")))
    code = code_el.text.strip()
    assert code.startswith("Q-")
    assert len(code) == 21
    browser.save_screenshot(str(screenshots / "report-sent-ar-phone.png"))

    # The stored photo lost its EXIF/GPS block and its name.
    stored = list((qurb_server.data_dir / "media" / "reports").glob("*.jpg"))
    assert len(stored) == 1
    assert "IMG_2031" not in stored[0].name
    clean = Image.open(io.BytesIO(stored[0].read_bytes()))
    assert not clean.getexif()
    assert "exif" not in clean.info

    # The district chief signs in with password and TOTP.
    sign_in(browser, qurb_server.url, "chief.medina", "/staff/reports/%3Fstatus%3Dreceived")

    # First in the queue of new reports: a minor and a school make it the most urgent.
    first = wait(browser).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "#queue tbody tr"))
    )
    browser.save_screenshot(str(screenshots / "triage-queue-ar-phone.png"))
    assert horizontal_overflow(browser) == 0
    first.find_element(By.CSS_SELECTOR, "a").click()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "status-form")))
    assert horizontal_overflow(browser) == 0, wide_elements(browser)
    assert TEXT[:20] in browser.find_element(By.CSS_SELECTOR, ".report-text").text
    Select(browser.find_element(By.ID, "to_status")).select_by_value("investigating")
    template = Select(browser.find_element(By.ID, "template"))
    drugs = [
        o
        for o in template.options
        if o.get_attribute("data-status") == "investigating" and "المخدرات" in o.text
    ]  # the templates' titles in the page's language
    template.select_by_value(drugs[0].get_attribute("value") or "")
    note = browser.find_element(By.ID, "public_note").get_attribute("value") or ""
    assert "دوريات" in note  # the Arabic text of the template, in the reporter's language
    submit_form(browser, "status-form")
    status = wait(browser).until(ec.visibility_of_element_located((By.ID, "report-status")))
    assert status.text.strip() != ""
    browser.save_screenshot(str(screenshots / "triage-detail-ar-phone.png"))

    # The resident, without an account, sees the public note on the tracking page.
    browser.delete_all_cookies()
    browser.get(f"{qurb_server.url}/track/{code}/")
    history = wait(browser).until(ec.visibility_of_element_located((By.ID, "history"))).text
    assert "دوريات" in history
    browser.save_screenshot(str(screenshots / "track-ar-phone.png"))
    assert horizontal_overflow(browser) == 0
    assert page_errors(browser) == []
