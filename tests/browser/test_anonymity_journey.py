"""A signed-in resident sends an anonymous report from their phone; afterwards nothing in the
served database or the server's log (which also holds the mail: the console mailer) ties the
report to them. Real headless Chromium against a private server.

No photo here: the report journey counts the photos the shared server stores (photos are
searched in tests/reports/test_anonymity.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from qurb.demo.services import DEMO_PASSWORD
from tests.browser.server import QurbServer
from tests.browser.test_journey import page_errors
from tests.browser.test_report_journey import submit_form, wait
from tests.reports.anonymity import Person, Sent, links, naming, text_links

pytestmark = pytest.mark.browser

TEXT = "Des inconnus cassent les vitres des voitures garées près du marché chaque nuit"


@pytest.fixture
def served_db(qurb_server: QurbServer) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(qurb_server.data_dir / "qurb.sqlite3", timeout=20)
    try:
        yield db
    finally:
        db.close()


def test_signed_in_resident_reports_anonymously_and_leaves_no_trace(
    browser: webdriver.Chrome,
    qurb_server: QurbServer,
    served_db: sqlite3.Connection,
    screenshots: Path,
) -> None:
    def query(sql: str, params: Any) -> list[tuple[Any, ...]]:
        return served_db.execute(sql.replace("%s", "?"), list(params)).fetchall()

    url = qurb_server.url
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": url, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 34.0617, "longitude": -4.9793, "accuracy": 10},
    )
    # The resident signs in (no second factor for residents) and opens the form.
    browser.get(f"{url}/accounts/login/?next=/report/")
    browser.find_element(By.NAME, "username").send_keys("resident")
    browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
    browser.find_element(By.NAME, "password").submit()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "report-form")))
    session = browser.get_cookie("sessionid")
    device = browser.get_cookie("qurb_device")
    assert session is not None
    assert device is not None
    [(user_id, username, email, display_name)] = query(
        "SELECT id, username, email, display_name FROM accounts_user WHERE username = %s",
        ["resident"],
    )
    person = Person(
        user_id,
        tuple(
            s
            for s in (username, email, display_name, session["value"], device["value"], "127.0.0.1")
            if s
        ),
    )

    wait(browser).until(ec.visibility_of_element_located((By.ID, "use-location"))).click()
    wait(browser).until(lambda d: d.find_element(By.ID, "id_lat").get_attribute("value"))
    browser.find_element(By.CSS_SELECTOR, "input[name=category][value=vandalism]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=when][value=unknown]").click()
    browser.find_element(By.ID, "id_description").send_keys(TEXT)
    anonymous = browser.find_element(By.CSS_SELECTOR, "input[name=anonymity][value=anonymous]")
    assert anonymous.is_selected()  # the default
    note = browser.find_element(By.ID, "trace-note")
    assert "ساعة" in note.text  # how long abuse limits remember the connection, in Arabic
    wait(browser).until(
        lambda d: d.find_element(By.ID, "pow-status").get_attribute("data-state") == "done"
    )

    before = naming(query, person)
    log_start = qurb_server.log.stat().st_size
    submit_form(browser, "report-form")
    code = wait(browser).until(ec.visibility_of_element_located((By.ID, "tracking-code")))
    tracking_code = code.text.strip()
    browser.save_screenshot(str(screenshots / "report-sent-anonymous-signed-in-ar-phone.png"))

    [(report_id, token, key, submitted_by)] = query(
        "SELECT id, token, idempotency_key, submitted_by_id FROM reports_report "
        "WHERE tracking_code = %s",
        [tracking_code],
    )
    assert submitted_by is None
    [(actor, label)] = query(
        "SELECT actor_id, actor_label FROM audit_auditevent "
        "WHERE object_type = 'reports.report' AND object_id = %s",
        [str(report_id)],
    )
    assert actor is None
    assert label in {"", "system"}
    sent = Sent(report_id, tuple(s for s in (tracking_code, token, key) if s))
    found = links(query, person, sent, before)
    with qurb_server.log.open("rb") as log:
        log.seek(log_start)
        server_log = log.read().decode(errors="replace")
    found.items += text_links([server_log], person, "server log and mail").items
    assert not found, "\n".join(found.items)
    assert page_errors(browser) == []
