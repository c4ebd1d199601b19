"""Who may see and do what in public communication: events, school sessions, news.

Events, sessions and articles belong to an area. A grant over the area covers them; for the
gate (``EVENT_GATE``) a grant inside the event's area covers it too, so that a prefecture's
open day is staffed by its districts' officers. Articles and newsletters without an area are
national: only a grant over the whole force (or over every top-level area) covers them. A
newsletter of an area (``NEWSLETTER_SEND``) is composed and sent by whoever holds the capability
over that area, per role: a cell of one prefecture who is a chief elsewhere composes for its
prefecture and its districts only.
Each question is answered by one rule, as a queryset filter and as an instance check.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qurb.accounts.access import Actor, Capability, Grant, grant
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors
from qurb.communication.models import Article, Event, Newsletter, SchoolSession
from qurb.core.errors import NotFound, Refused


def _gate_areas(g: Grant) -> set[int]:
    """The areas whose events a gate grant covers: its own, and those above its roots."""
    above = {a.pk for root in Area.objects.filter(pk__in=g.roots) for a in area_and_ancestors(root)}
    return set(g.area_ids) | above


def _event_q(user: Actor, capability: Capability) -> tuple[Grant, Q, set[int] | None]:
    g = grant(user, capability)
    if g.everywhere:
        return g, Q(), None
    areas = _gate_areas(g) if capability == Capability.EVENT_GATE else set(g.area_ids)
    return g, Q(area_id__in=areas), areas


def events_for(user: Actor, capability: Capability) -> QuerySet[Event]:
    """The events on which ``user`` may do ``capability``."""
    return Event.objects.filter(_event_q(user, capability)[1])


def may_event(user: Actor, capability: Capability, event: Event) -> bool:
    g, _q, areas = _event_q(user, capability)
    return g.everywhere or (areas is not None and event.area_id in areas)


def require_event(user: Actor, capability: Capability, event: Event) -> None:
    if not may_event(user, capability, event):
        raise Refused("out_of_scope")


def access_event(user: Actor, event_id: int, capability: Capability) -> Event:
    event = events_for(user, capability).select_related("area").filter(pk=event_id).first()
    if event is None:
        raise NotFound
    return event


def sessions_for(user: Actor) -> QuerySet[SchoolSession]:
    return SchoolSession.objects.filter(grant(user, Capability.SCHOOL_SESSION_RECORD).q("area_id"))


def may_session(user: Actor, session: SchoolSession) -> bool:
    return grant(user, Capability.SCHOOL_SESSION_RECORD).covers(session.area_id)


def is_national(user: Actor, capability: Capability = Capability.ARTICLE_MANAGE) -> bool:
    """A grant over the whole force, or over every top-level area."""
    g = grant(user, capability)
    if g.everywhere:
        return True
    tops = set(Area.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    return bool(tops) and tops <= g.area_ids


def articles_for(user: Actor) -> QuerySet[Article]:
    g = grant(user, Capability.ARTICLE_MANAGE)
    condition = g.q("area_id")
    if not g.everywhere and is_national(user):
        condition |= Q(area__isnull=True)
    return Article.objects.filter(condition)


def may_article(user: Actor, area_id: int | None) -> bool:
    """May ``user`` write an article of ``area_id`` (None: national)?"""
    if area_id is None:
        return is_national(user)
    return grant(user, Capability.ARTICLE_MANAGE).covers(area_id)


def require_article(user: Actor, area_id: int | None) -> None:
    if not may_article(user, area_id):
        raise Refused("out_of_scope")


def may_newsletter(user: Actor, area_id: int | None) -> bool:
    """May ``user`` compose and send the edition of ``area_id`` (None: the national one)?"""
    if area_id is None:
        return is_national(user, Capability.NEWSLETTER_SEND)
    return grant(user, Capability.NEWSLETTER_SEND).covers(area_id)


def require_newsletter(user: Actor, area_id: int | None) -> None:
    if not may_newsletter(user, area_id):
        raise Refused("out_of_scope")


def newsletters_for(user: Actor) -> QuerySet[Newsletter]:
    """The editions ``user`` composes and sends: those of the areas of the grant, and the
    national ones for national communication."""
    g = grant(user, Capability.NEWSLETTER_SEND)
    if not g:
        return Newsletter.objects.none()
    condition = g.q("area_id")
    if not g.everywhere and is_national(user, Capability.NEWSLETTER_SEND):
        condition |= Q(area__isnull=True)
    return Newsletter.objects.filter(condition)


def access_newsletter(user: Actor, newsletter_id: int) -> Newsletter:
    """The edition, if ``user`` composes it; ``NotFound`` otherwise (its existence does not
    leak)."""
    found = (
        newsletters_for(user).select_related("area", "area__type").filter(pk=newsletter_id).first()
    )
    if found is None:
        raise NotFound
    return found
