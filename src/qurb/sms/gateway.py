"""Kannel's sendsms HTTP interface: one SMS, with a delivery report asked for.

Without ``KANNEL_SENDSMS_URL`` (the demo), the SMS is written to the console, as the demo's
e-mails are."""

from __future__ import annotations

import sys
from functools import lru_cache
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from django.urls import reverse

from qurb.sms import gsm

DLR_MASK = 31  # delivered, failed, buffered, accepted and rejected by the SMSC


@lru_cache(maxsize=1)
def _http() -> urllib3.PoolManager:
    timeout = urllib3.Timeout(total=settings.KANNEL_TIMEOUT)
    return urllib3.PoolManager(num_pools=2, maxsize=4, timeout=timeout, retries=False)


def dlr_url(sms_id: int, key: str) -> str:
    base = (settings.SMS_CALLBACK_BASE_URL or settings.SITE_URL).rstrip("/")
    # Kannel replaces %d by the report's type; the rest is ours.
    return f"{base}{reverse('sms:dlr')}?{urlencode({'id': sms_id, 'key': key})}&status=%d"


def send(*, sms_id: int, number: str, text: str, key: str) -> tuple[str, str]:
    """Hand one SMS to the gateway: ('sent' | 'retry' | 'failed', why)."""
    text = gsm.fold(text)
    if not settings.KANNEL_SENDSMS_URL:
        sys.stdout.write(f"SMS to {number} (#{sms_id}):\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return "sent", ""
    params = {
        "username": settings.KANNEL_USERNAME,
        "password": settings.KANNEL_PASSWORD,
        "to": number,
        "text": text,
        "charset": "UTF-8",
        "coding": "0" if gsm.is_gsm(text) else "2",
        "dlr-mask": str(DLR_MASK),
        "dlr-url": dlr_url(sms_id, key),
    }
    if settings.SMS_SENDER:
        params["from"] = settings.SMS_SENDER
    url = settings.KANNEL_SENDSMS_URL + ("&" if "?" in settings.KANNEL_SENDSMS_URL else "?")
    try:
        answer = _http().request("GET", url + urlencode(params))
    except urllib3.exceptions.HTTPError as exc:
        return "retry", type(exc).__name__
    status = answer.status
    if 200 <= status < 300:
        return "sent", ""
    why = f"HTTP {status}: {answer.data[:120].decode('utf-8', 'replace')}"
    if status in (429, 503) or status >= 500:
        return "retry", why
    return "failed", why
