"""A missing-child alert end to end, in real headless Chromium: an officer opens the case with
a photo, the prefecture's unit validates it, a subscriber's Web Push endpoint (a real HTTP
server on loopback) receives the encrypted notification, the CAP message validates against the
official schema, the case is closed, and the alert page answers 410 and the photo 404."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from capvalidator.validate import Validator
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from tests.alerts.pushserver import Device, PushServer
from tests.browser.server import QURB, QurbServer, server_env
from tests.browser.test_insights_journey import full_page
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_meeting_journey import _area_id, _db, _set, _sign_in
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _worker(server: QurbServer) -> None:
    subprocess.run(
        [str(QURB), "worker", "--batch"],
        env=server_env(server.data_dir),
        cwd=server.data_dir,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_alert_loop(
    desktop: webdriver.Chrome,
    browser: webdriver.Chrome,
    qurb_server: QurbServer,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    url = qurb_server.url
    push = PushServer()
    try:
        device = Device("/subscriber/1")
        # A resident subscribes this phone for the Médina district: the page's own script
        # posts the subscription (the browser's push service is replaced by our endpoint).
        browser.get(f"{url}/alerts/subscribe/")
        form = wait(browser).until(ec.visibility_of_element_located((By.ID, "subscribe-form")))
        Select(form.find_element(By.NAME, "district")).select_by_value(
            str(_area_id(qurb_server, "032310107"))
        )
        status = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.qurbSendSubscription(arguments[0]).then(done, (e) => done(String(e)));",
            device.subscription(push.base),
        )
        assert status == 201
        assert browser.find_element(By.ID, "push-status").text
        assert horizontal_overflow(browser) == 0

        # The officer opens the case, with a photo.
        photo = tmp_path / "child.jpg"
        Image.new("RGB", (120, 160), (150, 110, 90)).save(photo, "JPEG")
        _sign_in(desktop, url, "officer.medina", "/staff/alerts/new/", mfa=True)
        case_form = wait(desktop).until(ec.visibility_of_element_located((By.ID, "case-form")))
        for name, value in {
            "child_first_name": "Rayan",
            "child_age": "6",
            "description": "طفل نحيف، شعر أسود قصير، طوله حوالي 1.15 م",
            "clothing": "قميص أخضر وسروال أزرق",
            "last_seen_place": "ساحة باب بوجلود",
            "lat": "34.0651",
            "lon": "-4.9796",
            "guardian_name": "Naima Berrada",
            "guardian_document_number": "CD778899",
            "guardian_phone": "+212 611 223 344",
        }.items():
            field = case_form.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        case_form.find_element(By.NAME, "photo").send_keys(str(photo))
        case_form.find_element(By.NAME, "guardian_checked").click()
        _set(desktop, "last_seen_at", "2026-11-23T07:30")
        case_form.submit()
        wait(desktop).until(ec.visibility_of_element_located((By.ID, "case-status")))
        case_url = desktop.current_url
        case_id = int(case_url.rstrip("/").rsplit("/", 1)[1])
        assert page_errors(desktop) == []

        # The prefecture's validation unit approves it from a phone, every criterion checked.
        # (Each demo account's one-time backup code serves once per server: the meeting
        # journey signs in chief.medina, so this one uses the officer and the unit only.)
        _sign_in(browser, url, "unit.fes", f"/staff/alerts/{case_id}/", mfa=True)
        validate = wait(browser).until(ec.visibility_of_element_located((By.ID, "validate-form")))
        for box in validate.find_elements(By.CSS_SELECTOR, "input[type=checkbox]"):
            box.click()
        validate.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
        # The case page comes back (the form above it goes stale first: no race with the old page).
        wait(browser).until(ec.staleness_of(validate))
        wait(browser).until(ec.visibility_of_element_located((By.ID, "case-status")))
        assert horizontal_overflow(browser) == 0
        with _db(qurb_server) as db:
            public_id, state = db.execute(
                "SELECT public_id, status FROM alerts_alertcase WHERE id = ?", [case_id]
            ).fetchone()
        assert state == "published"

        # The worker delivers: the subscriber's endpoint receives the encrypted notification.
        # (The demo's own alert in Fès may reach this new subscriber too: its fan-out runs in
        # this first worker run. Only this alert's copies, by their Topic, are counted.)
        _worker(qurb_server)
        received = [
            r
            for r in push.to("/subscriber/1")
            if {k.lower(): v for k, v in r.headers.items()}["topic"] == f"alert-{public_id}"
        ]
        assert len(received) == 1
        payload = json.loads(device.decrypt(received[0].body))
        assert "Rayan" in payload["title"]
        assert payload["url"].endswith(f"/alerts/{public_id}/")

        # The public page on a phone, in Arabic; the CAP message validates against the schema.
        browser.get(f"{url}/alerts/{public_id}/")
        article = wait(browser).until(ec.visibility_of_element_located((By.ID, "alert")))
        assert "لا تتدخل" in article.text
        assert horizontal_overflow(browser) == 0
        assert page_errors(browser) == []
        full_page(browser, screenshots / "alert-ar-phone.png")
        with urllib.request.urlopen(f"{url}/alerts/{public_id}/cap.xml", timeout=10) as answer:  # noqa: S310
            cap = answer.read()
        ok, why = Validator(cap).schema()
        assert ok, why
        assert _status(f"{url}/alerts/{public_id}/photo.jpg") == 200

        # The officer closes the case: found.
        desktop.get(case_url)
        close = wait(desktop).until(ec.visibility_of_element_located((By.ID, "close-form")))
        Select(close.find_element(By.NAME, "reason")).select_by_value("found")
        close.submit()
        wait(desktop).until(ec.staleness_of(close))
        wait(desktop).until(ec.visibility_of_element_located((By.ID, "case-status")))
        assert _status(f"{url}/alerts/{public_id}/") == 410
        assert _status(f"{url}/alerts/{public_id}/photo.jpg") == 404
        # Public pages may be cached for 30 s (the end shows within a minute); this phone's
        # copy is dropped, as it would be by then.
        browser.execute_cdp_cmd("Network.clearBrowserCache", {})
        browser.get(f"{url}/alerts/{public_id}/")
        robots = browser.find_element(By.CSS_SELECTOR, 'meta[name="robots"]')
        assert "noindex" in (robots.get_attribute("content") or "")
        _worker(qurb_server)
        ended = [
            r
            for r in push.to("/subscriber/1")
            if {k.lower(): v for k, v in r.headers.items()}["topic"] == f"alert-{public_id}"
        ]
        assert len(ended) == 2
        assert json.loads(device.decrypt(ended[1].body))["type"] == "Cancel"
        with urllib.request.urlopen(f"{url}/alerts/{public_id}/cap.xml", timeout=10) as answer:  # noqa: S310
            cancel = answer.read()
        assert Validator(cancel).schema()[0]
        assert b"<msgType>Cancel</msgType>" in cancel
    finally:
        push.close()
