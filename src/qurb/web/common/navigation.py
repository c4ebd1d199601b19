"""The staff navigation: exactly the tools a signed-in staff member's capabilities open.

The capability table (``qurb.accounts.access``) is the only source: a tool is listed when the
user holds one of its capabilities somewhere (or over the whole force, for the tools of the
Django admin, which has no notion of areas). No role is named here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Actor, Capability, grant, has
from qurb.insights.selectors.scope import districts_for

C = Capability


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    args: tuple[Any, ...] = ()
    fragment: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name, args=self.args) + self.fragment


@dataclass(frozen=True)
class Tool:
    url_name: str
    label: str | Promise
    capabilities: tuple[Capability, ...]
    # The Django admin's tools need the capability over the whole force.
    everywhere: bool = False
    # A tool whose page covers only part of a grant says whether it has anything to show.
    shows: Callable[[Actor], bool] | None = None

    def open_to(self, user: Actor) -> bool:
        if self.everywhere:
            held = any(grant(user, c).everywhere for c in self.capabilities)
        else:
            held = any(has(user, c) for c in self.capabilities)
        return held and (self.shows is None or self.shows(user))


def has_insights(user: Actor) -> bool:
    """The dashboard shows whole districts: an officer's grant over one sector opens none."""
    return bool(districts_for(user))


# In the order they are shown. The area page comes after these (it needs an area).
TOOLS: tuple[Tool, ...] = (
    Tool("reports:queue", _("Triage queue"), (C.REPORT_READ,)),
    Tool("alerts:staff_list", _("Alert cases"), (C.ALERT_MANAGE, C.ALERT_VALIDATE)),
    Tool("communication:staff_events", _("Events and gates"), (C.EVENT_GATE,)),
    Tool("communication:staff_news", _("News"), (C.ARTICLE_MANAGE,)),
    Tool("communication:staff_newsletter", _("Newsletters"), (C.NEWSLETTER_SEND,)),
    Tool(
        "messaging:staff_list",
        _("Neighbourhood messages"),
        (C.MESSAGE_WRITE, C.MESSAGE_REVIEW),
    ),
    Tool("communication:staff_sessions", _("School sessions"), (C.SCHOOL_SESSION_RECORD,)),
    Tool("neighbourhoods:association_queue", _("Associations"), (C.ASSOCIATION_VERIFY,)),
)
AFTER_AREAS: tuple[Tool, ...] = (
    Tool("insights:dashboard", _("Insights"), (C.INSIGHTS_READ,), shows=has_insights),
    Tool("admin:audit_auditevent_changelist", _("Audit trail"), (C.AUDIT_READ,), everywhere=True),
    Tool("admin:index", _("Administration"), (C.ACCOUNT_MANAGE,), everywhere=True),
)
# Held by officers as a duty (they are listed to residents); it opens no tool.
NOT_TOOLS = frozenset({C.NEIGHBOURHOOD_SERVE})


def holds_staff_capability(user: Actor) -> bool:
    """Whether ``user`` holds any capability that opens a staff tool (so has a staff home)."""
    return any(has(user, c) for c in Capability if c not in NOT_TOOLS)


def staff_items(user: Actor) -> list[NavItem]:
    """The staff navigation of ``user``: their home, then each tool they may open."""
    if not holds_staff_capability(user):
        return []
    items = [NavItem("staff_home", _("My work"))]
    items += [NavItem(t.url_name, t.label) for t in TOOLS if t.open_to(user)]
    areas = grant(user, C.AREA_OVERVIEW)
    if areas:
        if not areas.everywhere and len(areas.roots) == 1:
            (root,) = areas.roots
            items.append(NavItem("neighbourhoods:staff_area", _("My area"), (root,)))
        else:  # several areas, or all of them: the staff home lists them
            items.append(NavItem("staff_home", _("My areas"), fragment="#areas"))
    items += [NavItem(t.url_name, t.label) for t in AFTER_AREAS if t.open_to(user)]
    return items


def staff_navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``STAFF_NAV``, the staff navigation, computed once per request and
    only once the second factor is passed (before it, every staff page asks for it)."""
    cached: list[NavItem] | None = getattr(request, "_qurb_staff_nav", None)
    if cached is None:
        user = getattr(request, "user", None)
        verified = getattr(user, "is_verified", None)
        signed_in = bool(user is not None and user.is_authenticated)
        cached = staff_items(user) if signed_in and verified is not None and verified() else []
        request._qurb_staff_nav = cached  # type: ignore[attr-defined]
    return {"STAFF_NAV": cached}
