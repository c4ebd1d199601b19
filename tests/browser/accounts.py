"""Signing a demo staff account in through the real pages (password, then its TOTP code).

A TOTP code is accepted once: django-otp refuses a code whose step is not later than the last
one used. Every journey signs staff in through here, so a second sign-in of one account within
a 30-second step takes the next step's code (django-otp allows one step of drift).
"""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from qurb.demo.services import DEMO_PASSWORD, _demo_totp_key

_LAST_STEP: dict[str, int] = {}


def _fresh_code(username: str) -> str:
    """A code the account has not used yet: the current step's, or the next step's (django-otp
    accepts one step of drift) when this run already used the current one."""
    key = bytes.fromhex(_demo_totp_key(username)[0])
    while True:
        totp = TOTP(key)
        used = _LAST_STEP.get(username, -1)
        if used < totp.t():
            break
        if used == totp.t():
            totp.drift = 1
            break
        time.sleep(1)  # both this step's and the next one's codes are spent: wait a step
    _LAST_STEP[username] = totp.t()
    return f"{totp.token():06d}"


def sign_in(driver: webdriver.Chrome, url: str, username: str, path: str = "/") -> None:
    """Sign ``username`` in (password, then the second factor) and go on to ``path``."""
    driver.delete_all_cookies()
    driver.get(f"{url}/accounts/login/?next={path}")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.NAME, "password").submit()
    token = WebDriverWait(driver, 20).until(ec.visibility_of_element_located((By.NAME, "token")))
    token.send_keys(_fresh_code(username))
    token.submit()
    WebDriverWait(driver, 20).until(lambda d: "/accounts/mfa/" not in d.current_url)
