"""Neighbourhood messages end to end, in real headless Chromium: a resident subscribes to their
neighbourhood from its page, this phone (Web Push, to a real endpoint on loopback) and their
e-mail (daily digest, confirmed by the link); the district chief writes a message and sends it
for review, the prefecture's communication cell approves it; the worker pushes it (decrypted
here, as the phone would) and the daily digest brings it by e-mail; leaving with one click
stops both, and the next message reaches neither."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from tests.alerts.pushserver import Device, PushServer
from tests.browser.accounts import sign_in
from tests.browser.server import QURB, QurbServer, server_env
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_meeting_journey import _area_id, _db
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser


def _run(server: QurbServer, *args: str) -> str:
    """A command of the server's installation (the links it writes point at the server)."""
    done = subprocess.run(
        [str(QURB), *args],
        env=server_env(server.data_dir) | {"QURB_SITE_URL": server.url},
        cwd=server.data_dir,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout


def _mails(output: str, to: str) -> list[str]:
    """The e-mails the console mailer printed for ``to`` (headers and body)."""
    return [m for m in output.split("-" * 79) if f"To: {to}" in m]


def _compose(driver: webdriver.Chrome, url: str, medina: int, title: str, body: str) -> int:
    driver.get(f"{url}/staff/messages/new/")
    form = wait(driver).until(ec.visibility_of_element_located((By.ID, "message-form")))
    Select(form.find_element(By.NAME, "area")).select_by_value(str(medina))
    Select(form.find_element(By.NAME, "kind")).select_by_value("information")
    form.find_element(By.NAME, "title_fr").send_keys(title)
    form.find_element(By.NAME, "body_fr").send_keys(body)
    form.submit()
    wait(driver).until(ec.staleness_of(form))
    wait(driver).until(ec.visibility_of_element_located((By.ID, "message-status")))
    return int(driver.current_url.rstrip("/").rsplit("/", 1)[1])


def test_messaging_loop(
    desktop: webdriver.Chrome, browser: webdriver.Chrome, qurb_server: QurbServer
) -> None:
    url = qurb_server.url
    sector = _area_id(qurb_server, "032310107-S1")
    medina = _area_id(qurb_server, "032310107")
    # The demo's own messages (its meetings and priorities) went out when it was loaded, as a
    # running demo's worker sends them: before anyone here subscribes.
    _run(qurb_server, "worker", "--batch")
    push = PushServer()
    try:
        device = Device("/resident/phone")
        # The resident, on their neighbourhood's page: this phone first (the page's own script
        # posts the subscription; the browser's push service is replaced by our endpoint).
        browser.get(f"{url}/neighbourhoods/{sector}/")
        box = wait(browser).until(ec.presence_of_element_located((By.ID, "subscribe-box")))
        box.find_element(By.TAG_NAME, "summary").click()
        status = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.qurbSubscribeMessages(arguments[0]).then(done, (e) => done(String(e)));",
            device.subscription(push.base),
        )
        assert status == 201
        assert browser.find_element(By.ID, "message-push-status").text
        # Then their e-mail, for a daily digest.
        form = browser.find_element(By.ID, "message-subscribe-form")
        form.find_element(By.CSS_SELECTOR, "input[name=rhythm][value=daily]").click()
        form.find_element(By.NAME, "email").send_keys("salma@example.org")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(browser).until(ec.staleness_of(form))
        assert f"/neighbourhoods/{sector}/" in browser.current_url
        assert horizontal_overflow(browser) == 0
        assert page_errors(browser) == []
        [confirmation] = _mails(_run(qurb_server, "worker", "--batch"), "salma@example.org")
        link = re.search(r"http\S+/confirm/", confirmation)
        assert link is not None
        browser.get(link.group(0))
        wait(browser).until(ec.element_to_be_clickable((By.ID, "confirm-button"))).click()
        wait(browser).until(ec.visibility_of_element_located((By.ID, "subscription-state")))

        # The district chief writes to the whole district and asks for a second reading.
        sign_in(desktop, url, "chief.medina", "/staff/messages/")
        title = "Fermeture de la rue Talaa Kbira"
        message_id = _compose(
            desktop, url, medina, title, "Jeudi de 8 h a 12 h, passez par la rue Sidi Moussa."
        )
        wait(desktop).until(ec.element_to_be_clickable((By.ID, "submit-button"))).click()
        wait(desktop).until(ec.visibility_of_element_located((By.ID, "message-status")))
        assert not desktop.find_elements(By.ID, "approve-button")  # never one's own
        assert page_errors(desktop) == []

        # The prefecture's communication cell finds it on its home page and approves it.
        sign_in(desktop, url, "cell.fes", "/staff/")
        block = wait(desktop).until(ec.visibility_of_element_located((By.ID, "work-messages")))
        block.find_element(By.CSS_SELECTOR, f'a[href="/staff/messages/{message_id}/"]').click()
        wait(desktop).until(ec.element_to_be_clickable((By.ID, "approve-button"))).click()
        wait(desktop).until(ec.visibility_of_element_located((By.ID, "message-status")))
        with _db(qurb_server) as db:
            (state,) = db.execute(
                "SELECT status FROM messaging_districtmessage WHERE id = ?", [message_id]
            ).fetchone()
        assert state == "published"

        # The worker: the phone gets it at once; the e-mail waits for the daily digest.
        output = _run(qurb_server, "worker", "--batch")
        [received] = push.to("/resident/phone")
        payload = json.loads(device.decrypt(received.body))
        assert title in payload["title"]
        assert f"/messages/{message_id}/?r=" in payload["url"]
        assert _mails(output, "salma@example.org") == []
        # Tapping the notification opens the message (and tells the sender it was opened).
        browser.get(payload["url"])
        article = wait(browser).until(ec.visibility_of_element_located((By.ID, "message")))
        assert title in article.text
        assert horizontal_overflow(browser) == 0

        _run(qurb_server, "messages", "digest", "daily")
        [digest] = _mails(_run(qurb_server, "worker", "--batch"), "salma@example.org")
        assert title in digest
        leave = re.search(r"List-Unsubscribe: <(\S+)>", digest)
        assert leave is not None
        # The sender's counts: two copies sent (the push, the digest), one opened.
        desktop.get(f"{url}/staff/messages/{message_id}/")
        counts = wait(desktop).until(ec.visibility_of_element_located((By.ID, "message-counts")))
        cells = [c.text for c in counts.find_elements(By.CSS_SELECTOR, "tbody td")]
        assert cells == ["2", "0", "1", "0"]

        # Leaving with one click: the mail client's (RFC 8058) and the phone's.
        request = urllib.request.Request(  # noqa: S310 - our own server
            leave.group(1), data=b"List-Unsubscribe=One-Click", method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200
        with _db(qurb_server) as db:
            (token,) = db.execute(
                "SELECT token FROM messaging_areasubscription WHERE endpoint LIKE ?",
                ["%/resident/phone"],
            ).fetchone()
        browser.get(f"{url}/messages/subscriptions/{token}/unsubscribe/")
        wait(browser).until(ec.element_to_be_clickable((By.ID, "leave-button"))).click()
        wait(browser).until(ec.visibility_of_element_located((By.ID, "subscription-state")))
        with _db(qurb_server) as db:
            active = db.execute(
                "SELECT COUNT(*) FROM messaging_areasubscription WHERE active"
                " AND (email = ? OR endpoint LIKE ?)",
                ["salma@example.org", "%/resident/phone"],
            ).fetchone()[0]
        assert active == 0

        # The next message reaches neither.
        sign_in(desktop, url, "chief.medina", "/staff/messages/")
        second = _compose(desktop, url, medina, "Collecte de vetements", "Samedi au Batha.")
        wait(desktop).until(ec.element_to_be_clickable((By.ID, "publish-button"))).click()
        wait(desktop).until(ec.visibility_of_element_located((By.ID, "message-status")))
        assert second != message_id
        _run(qurb_server, "worker", "--batch")
        _run(qurb_server, "messages", "digest", "daily")
        output = _run(qurb_server, "worker", "--batch")
        assert len(push.to("/resident/phone")) == 1
        assert _mails(output, "salma@example.org") == []
    finally:
        push.close()
