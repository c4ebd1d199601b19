"""Absolute links for what leaves the site (e-mails, CAP messages, push payloads)."""

from django.conf import settings


def absolute(path: str) -> str:
    """``path`` on the public site (QURB_SITE_URL)."""
    return str(settings.SITE_URL).rstrip("/") + path
