"""An open day end to end, in real headless Chromium: the communication cell publishes an open
day with a seminar, a visitor registers from a phone and gets a QR ticket, the gate scans it
(the QR code is decoded from the screen) and the live counter moves; the programme is kept for
offline use; the district's yearly report renders with its charts; the news Atom feed parses."""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.server import QurbServer
from tests.browser.test_insights_journey import full_page
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_meeting_journey import _area_id, _set, _sign_in
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser
ATOM = "{http://www.w3.org/2005/Atom}"


def test_open_day_loop(
    desktop: webdriver.Chrome,
    browser: webdriver.Chrome,
    qurb_server: QurbServer,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    url = qurb_server.url
    today = timezone.localdate()  # the server's calendar
    # The communication cell creates the open day, a venue and a seminar, and publishes it.
    _sign_in(desktop, url, "cell.fes", "/staff/events/", mfa=True)
    form = wait(desktop).until(ec.visibility_of_element_located((By.ID, "event-form")))
    Select(form.find_element(By.NAME, "area")).select_by_value(str(_area_id(qurb_server, "03.231")))
    Select(form.find_element(By.NAME, "kind")).select_by_value("open_day")
    # Written in Arabic and French: each visitor reads the programme in their language.
    form.find_element(By.NAME, "title_ar").send_keys("الأيام المفتوحة للشرطة")
    form.find_element(By.NAME, "title_fr").send_keys("Journées portes ouvertes de la police")
    _set(desktop, "starts_on", today.isoformat())
    _set(desktop, "ends_on", (today + timedelta(days=1)).isoformat())
    form.submit()
    venue = wait(desktop).until(ec.visibility_of_element_located((By.ID, "venue-form")))
    event_url = desktop.current_url
    event_id = int(event_url.rstrip("/").rsplit("/", 1)[1])
    venue.find_element(By.NAME, "name_ar").send_keys("المركب الرياضي")
    venue.find_element(By.NAME, "name_fr").send_keys("Complexe sportif")
    venue.submit()
    seminar = wait(desktop).until(ec.visibility_of_element_located((By.ID, "programme-form")))
    seminar.find_element(By.NAME, "title_ar").send_keys("ندوة: شرطة القرب")
    seminar.find_element(By.NAME, "title_fr").send_keys("Séminaire : la police de proximité")
    seminar.find_element(By.NAME, "speakers_fr").send_keys("Commissaire Bennani")
    _set(desktop, "starts_at", f"{today.isoformat()}T10:00")
    _set(desktop, "ends_at", f"{today.isoformat()}T11:00")
    seminar.submit()
    publish = wait(desktop).until(ec.visibility_of_element_located((By.ID, "publish-form")))
    publish.find_element(By.CSS_SELECTOR, "button[value=publish]").click()
    wait(desktop).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "button[value=unpublish]"))
    )
    assert page_errors(desktop) == []

    # A visitor registers from a phone; the ticket page shows a QR code.
    browser.get(f"{url}/events/")
    wait(browser).until(
        ec.element_to_be_clickable((By.PARTIAL_LINK_TEXT, "الأيام المفتوحة للشرطة"))
    ).click()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "programme")))
    programme = browser.find_element(By.ID, "programme").text
    assert "ندوة: شرطة القرب" in programme  # the Arabic phone reads the Arabic title
    assert "Séminaire" not in programme
    assert "المركب الرياضي" in browser.find_element(By.TAG_NAME, "main").text
    programme_url = browser.current_url
    assert horizontal_overflow(browser) == 0
    full_page(browser, screenshots / "open-day-programme-ar-phone.png")
    browser.find_element(By.ID, "get-ticket").click()
    ticket_form = wait(browser).until(ec.visibility_of_element_located((By.ID, "ticket-form")))
    ticket_form.find_element(By.NAME, "name").send_keys("Salma")
    Select(ticket_form.find_element(By.NAME, "visitor_kind")).select_by_value("pupil")
    ticket_form.submit()
    qr = wait(browser).until(ec.visibility_of_element_located((By.ID, "ticket-qr")))
    assert horizontal_overflow(browser) == 0
    shot = tmp_path / "qr.png"
    qr.screenshot(str(shot))
    image = Image.open(shot).convert("L")
    framed = Image.new("L", (image.width + 80, image.height + 80), 255)  # the quiet zone
    framed.paste(image, (40, 40))
    decoded = zxingcpp.read_barcodes(framed)
    assert decoded, "the QR code on the screen could not be read"
    scanned = decoded[0].text
    assert "/tickets/" in scanned

    # The programme is kept on the phone for offline use by the service worker.
    browser.get(programme_url)
    wait(browser).until(ec.visibility_of_element_located((By.ID, "offline-note")))
    cached = WebDriverWait(browser, 20).until(
        lambda d: d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "caches.match(location.pathname)"
            ".then(r => r ? r.text() : '').then(done, () => done(''));"
        )
    )
    assert "ندوة: شرطة القرب" in cached

    # The gate scans the ticket (the decoded QR content); the counter moves.
    desktop.get(f"{url}/staff/events/{event_id}/gate/")
    checkin = wait(desktop).until(ec.visibility_of_element_located((By.ID, "checkin-form")))
    assert desktop.find_element(By.ID, "count-today").text == "0"
    checkin.find_element(By.NAME, "code").send_keys(scanned)
    checkin.submit()
    outcome = wait(desktop).until(ec.visibility_of_element_located((By.ID, "gate-outcome")))
    assert "Salma" in outcome.text
    assert desktop.find_element(By.ID, "count-today").text == "1"
    full_page(desktop, screenshots / "open-day-gate-desktop.png")
    # Another gate counts a visitor without a ticket: this page's counter follows by itself.
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in desktop.get_cookies())
    token = desktop.find_element(By.NAME, "csrfmiddlewaretoken").get_attribute("value") or ""
    request = urllib.request.Request(  # noqa: S310 - our own server
        f"{url}/staff/events/{event_id}/gate/",
        data=f"csrfmiddlewaretoken={token}&visitor_kind=resident".encode(),
        headers={
            "Cookie": cookies,
            "Referer": desktop.current_url,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
    WebDriverWait(desktop, 15).until(lambda d: d.find_element(By.ID, "count-today").text == "2")
    assert page_errors(desktop) == []

    # The figures page shows the entries per day and hour.
    desktop.get(event_url)
    figures = wait(desktop).until(ec.visibility_of_element_located((By.ID, "visitor-figures")))
    assert figures.text.startswith("2")

    # The yearly report of the district, with its charts, printable.
    medina = _area_id(qurb_server, "032310107")
    browser.get(f"{url}/areas/{medina}/report/{today.year}/")
    report = wait(browser).until(ec.visibility_of_element_located((By.ID, "yearly")))
    assert report.find_elements(By.CSS_SELECTOR, "svg rect")
    assert horizontal_overflow(browser) == 0
    full_page(browser, screenshots / "yearly-report-ar-phone.png")
    desktop.get(f"{url}/areas/{medina}/report/{today.year}/")
    wait(desktop).until(ec.visibility_of_element_located((By.ID, "yearly")))
    full_page(desktop, screenshots / "yearly-report-desktop.png")

    # The news feed is valid Atom.
    with urllib.request.urlopen(f"{url}/news/feed.atom", timeout=10) as answer:  # noqa: S310
        root = ET.fromstring(answer.read())  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}id") is not None
        assert entry.find(f"{ATOM}updated") is not None
