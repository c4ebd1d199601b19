"""Closing the loop: a district chief plans a meeting from a drafted agenda, an association
member registers, the meeting is held with minutes and an answered proposal, a priority is
published and a resident reads it, the .ics feed parses, and the member's rating shows in the
district's figures. Real headless Chromium against a private server."""

from __future__ import annotations

import sqlite3
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from qurb.demo.services import DEMO_PASSWORD, _backup_code
from tests.browser.server import QurbServer
from tests.browser.test_insights_journey import full_page
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser


def _db(server: QurbServer) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "qurb.sqlite3", timeout=20)


def _area_id(server: QurbServer, code: str) -> int:
    with _db(server) as db:
        row = db.execute("SELECT id FROM areas_area WHERE code = ?", [code]).fetchone()
    return int(row[0])


def _sign_in(driver: webdriver.Chrome, url: str, username: str, path: str, mfa: bool) -> None:
    """Password, then (for staff) the account's one-time backup code: other journeys use the
    TOTP code of the same accounts, which is accepted once per 30-second window."""
    driver.get(f"{url}/accounts/login/?next={path}")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.NAME, "password").submit()
    if mfa:
        token = wait(driver).until(ec.visibility_of_element_located((By.NAME, "token")))
        token.send_keys(_backup_code(username))
        token.submit()


def _set(driver: webdriver.Chrome, name: str, value: str) -> None:
    """Fill a field by script (datetime-local inputs take no typed text reliably)."""
    element = driver.find_element(By.NAME, name)
    driver.execute_script("arguments[0].value = arguments[1];", element, value)


def test_meeting_loop(
    desktop: webdriver.Chrome,
    browser: webdriver.Chrome,
    qurb_server: QurbServer,
    screenshots: Path,
) -> None:
    url = qurb_server.url
    medina = _area_id(qurb_server, "032310107")
    with _db(qurb_server) as db:
        hood, hood_name = db.execute(
            "SELECT id, name_ar FROM areas_area WHERE parent_id = ? ORDER BY code LIMIT 1", [medina]
        ).fetchone()

    # The chief plans a meeting; the agenda is drafted from the district's reports.
    _sign_in(desktop, url, "chief.medina", f"/staff/areas/{medina}/meetings/new/", mfa=True)
    # The draft is in the page's language (Arabic), in the Arabic agenda field.
    agenda = wait(desktop).until(ec.visibility_of_element_located((By.NAME, "agenda_ar")))
    drafted = agenda.get_attribute("value") or ""
    assert drafted.splitlines()[2].startswith("1.")  # the top concerns come first
    assert len(drafted.splitlines()) > 4
    start = datetime.now(UTC) + timedelta(days=2)
    desktop.find_element(By.NAME, "title_ar").send_keys("لقاء تواصلي حول أمن الحي")
    desktop.find_element(By.NAME, "title_fr").send_keys("Rencontre sur la sécurité du quartier")
    _set(desktop, "starts_at", start.strftime("%Y-%m-%dT18:00"))
    _set(desktop, "ends_at", start.strftime("%Y-%m-%dT20:00"))
    desktop.find_element(By.NAME, "location_ar").send_keys("دار الشباب")
    desktop.find_element(By.NAME, "capacity").send_keys("30")
    desktop.save_screenshot(str(screenshots / "meeting-new-desktop.png"))
    desktop.find_element(By.ID, "meeting-form").submit()
    wait(desktop).until(ec.visibility_of_element_located((By.ID, "hold-form")))
    meeting = int(desktop.current_url.rstrip("/").rsplit("/", 1)[1])

    # The association member registers from a phone.
    _sign_in(browser, url, "association", f"/meetings/{meeting}/", mfa=False)
    form = wait(browser).until(ec.visibility_of_element_located((By.ID, "register-form")))
    assert horizontal_overflow(browser) == 0
    form.submit()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "registration-status")))

    # The evening comes: the meeting is held, with minutes and an answered proposal.
    now = datetime.now(UTC)
    with _db(qurb_server) as db:
        db.execute(
            "UPDATE engagement_meeting SET starts_at = ?, ends_at = ? WHERE id = ?",
            [
                (now - timedelta(hours=3)).isoformat(),
                (now - timedelta(hours=1)).isoformat(),
                meeting,
            ],
        )
    desktop.refresh()
    wait(desktop).until(ec.visibility_of_element_located((By.ID, "hold-form")))
    for box in desktop.find_elements(By.NAME, "attended"):
        box.click()
    desktop.find_element(By.NAME, "minutes").send_keys("نوقش ترويج المخدرات قرب المدرسة والإنارة.")
    desktop.find_element(By.ID, "hold-form").submit()
    proposal = wait(desktop).until(ec.visibility_of_element_located((By.ID, "proposal-form")))
    proposal.find_element(By.NAME, "text").send_keys("إنارة الممر المؤدي إلى المدرسة")
    proposal.submit()
    answer = wait(desktop).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "#proposals form"))
    )
    Select(answer.find_element(By.NAME, "answer")).select_by_value("accepted")
    answer.submit()
    wait(desktop).until(ec.visibility_of_element_located((By.ID, "proposals")))

    # A priority is published for the neighbourhood, with its first action.
    desktop.get(f"{url}/staff/areas/{medina}/")
    form = wait(desktop).until(ec.visibility_of_element_located((By.ID, "priority-form")))
    Select(form.find_element(By.NAME, "area")).select_by_value(str(hood))
    form.find_element(By.NAME, "title_ar").send_keys("بيع المخدرات قرب المدرسة")
    Select(form.find_element(By.NAME, "category")).select_by_value("drugs")
    form.submit()
    action = wait(desktop).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, ".priority form.action-form"))
    )
    action.find_element(By.NAME, "description_ar").send_keys("دوريات راجلة عند خروج التلاميذ")
    action.submit()
    wait(desktop).until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".priority li")))
    assert page_errors(desktop) == []

    # The member rates the meeting and the district's work.
    browser.get(f"{url}/meetings/{meeting}/")
    rate = wait(browser).until(ec.visibility_of_element_located((By.ID, "rate-form")))
    assert "نوقش ترويج المخدرات" in browser.find_element(By.ID, "closing-report").text
    rate.find_element(By.NAME, "meeting_score").send_keys("5")
    rate.find_element(By.NAME, "performance_score").send_keys("4")
    rate.submit()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "closing-report")))

    # A resident reads "you said, we did" and the rating on the neighbourhood page.
    browser.delete_all_cookies()
    browser.get(f"{url}/neighbourhoods/{hood}/")
    wait(browser).until(ec.visibility_of_element_located((By.ID, "area-name")))
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "بيع المخدرات قرب المدرسة" in text
    assert "دوريات راجلة عند خروج التلاميذ" in text
    assert horizontal_overflow(browser) == 0
    full_page(browser, screenshots / "neighbourhood-priority-ar-phone.png")
    browser.get(f"{url}/neighbourhoods/{medina}/")
    performance = wait(browser).until(ec.visibility_of_element_located((By.ID, "performance")))
    assert performance.text.startswith("4")

    # The meeting's feed parses with icalendar.
    link = browser.find_element(By.CSS_SELECTOR, 'link[rel="alternate"][type="text/calendar"]')
    href = link.get_attribute("href")
    assert href is not None
    with urllib.request.urlopen(href, timeout=10) as response:  # noqa: S310 - our own server
        events = Calendar.from_ical(response.read()).walk("VEVENT")
    assert any(str(e["uid"]).startswith(f"meeting-{meeting}@") for e in events)
    assert hood_name
