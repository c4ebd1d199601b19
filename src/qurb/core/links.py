"""Absolute links for what leaves the site (e-mails, CAP messages, push payloads)."""

import os

from django.conf import settings


def absolute(path: str) -> str:
    """``path`` on the public site (QURB_SITE_URL)."""
    return str(settings.SITE_URL).rstrip("/") + path


def served_site_url(host: str, port: int) -> str:
    """The address of a development server listening on ``host:port``, as a browser on this
    machine reaches it (a server on every interface is reached at 127.0.0.1)."""
    if host in {"", "0", "0.0.0.0", "::"}:  # noqa: S104 - naming the address, not binding it
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def link_to_served_site(host: str, port: int) -> str:
    """Make absolute links point at the server about to run on ``host:port``, unless
    QURB_SITE_URL says where the site is; return the address links will use.

    Sets the environment too, so that the processes started from this one (the worker, which
    sends the e-mails) write the same links."""
    url = os.environ.get("QURB_SITE_URL") or served_site_url(host, port)
    os.environ["QURB_SITE_URL"] = url
    settings.SITE_URL = url
    return url


def uid_domain() -> str:
    """The domain that makes iCalendar UIDs unique (RFC 5545 §3.8.4.7): the one of the feeds'
    tag authority (QURB_FEED_TAG_AUTHORITY), never the host a request came in by, so that a
    calendar app keeps one copy of an event whatever address it was fetched from."""
    return str(settings.FEED_TAG_AUTHORITY).split(",")[0].rsplit("@", 1)[-1]
