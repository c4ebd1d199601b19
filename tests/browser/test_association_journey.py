"""The verification of an association, as the communication cell does it from a phone in
Arabic: the demo's pending application, its statutes read (once, audited), then verified.
Real headless Chromium against a private server."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.accounts import sign_in
from tests.browser.server import QurbServer
from tests.browser.test_insights_journey import full_page
from tests.browser.test_journey import horizontal_overflow, page_errors
from tests.browser.test_meeting_journey import _db
from tests.browser.test_report_journey import wait

pytestmark = pytest.mark.browser


FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(async (r) => {
  const head = new Uint8Array(await r.arrayBuffer()).slice(0, 5);
  done([r.status, r.headers.get("content-type"), String.fromCharCode(...head)]);
}).catch((e) => done([0, String(e), ""]));
"""


def test_cell_reads_the_statutes_and_verifies_the_pending_association(
    browser: webdriver.Chrome, qurb_server: QurbServer, screenshots: Path
) -> None:
    url = qurb_server.url
    with _db(qurb_server) as db:
        association_id, name = db.execute(
            "SELECT id, name_fr FROM accounts_association WHERE status = 'pending'"
            " AND registration_number LIKE '%' ORDER BY id LIMIT 1"
        ).fetchone()
    sign_in(browser, url, "cell.fes", "/staff/associations/")
    card = wait(browser).until(
        ec.visibility_of_element_located(
            (By.CSS_SELECTOR, f'[data-association="{association_id}"]')
        )
    )
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    links = card.find_elements(By.CSS_SELECTOR, "ul.documents a")
    assert links, f"the demo application of {name} carries its statutes"
    full_page(browser, screenshots / "association-queue-ar-phone.png")
    assert not horizontal_overflow(browser)

    status, content_type, head = browser.execute_async_script(FETCH, links[0].get_attribute("href"))
    assert (status, content_type, head) == (200, "application/pdf", "%PDF-")

    card.find_element(By.CSS_SELECTOR, 'button[value="verify"]').click()
    wait(browser).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, f'[data-association="{association_id}"]')
    )
    assert page_errors(browser) == []
    full_page(browser, screenshots / "association-verified-ar-phone.png")
    with _db(qurb_server) as db:
        (status_now,) = db.execute(
            "SELECT status FROM accounts_association WHERE id = ?", [association_id]
        ).fetchone()
        events = db.execute(
            "SELECT action, actor_label FROM audit_auditevent WHERE object_type ="
            " 'accounts.association' AND object_id = ? ORDER BY id",
            [str(association_id)],
        ).fetchall()
    assert status_now == "verified"
    assert ("accounts.read_association_document", "cell.fes") in events
    assert ("accounts.verify_association", "cell.fes") in events
    assert sum(1 for e in events if e[0] == "accounts.read_association_document") == 1
