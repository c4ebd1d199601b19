"""What every Atom feed of Qurb carries (RFC 4287): the police force as the feed's author
(§4.1.1: a feed whose entries have no author of their own must have one), and ids that never
change, whatever host, address or language serves the feed (§4.2.6): tag: URIs (RFC 4151)
under QURB_FEED_TAG_AUTHORITY."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


def tag_uri(specific: str) -> str:
    """A permanent id, e.g. ``tag:qurb.ma,2026:news/12``."""
    return f"tag:{settings.FEED_TAG_AUTHORITY}:{specific}"


class StandardAtom:
    """Mixed into a ``Feed`` before it: the author and the feed's own id (``tag`` names the
    feed, e.g. "news")."""

    tag = ""

    def author_name(self) -> str:
        return str(settings.FORCE_NAME) or _("National police — Qurb")

    def author_link(self) -> str:
        return str(settings.SITE_URL).rstrip("/") + "/"

    def feed_guid(self) -> str:
        return tag_uri(self.tag)
