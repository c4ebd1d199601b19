"""Reads for public communication: what the public sees (published events and articles) and
the figures (attendance per day, hour and kind of visitor; school reach)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from qurb.accounts.access import Actor, Capability, grant
from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area, AreaType, Place, PlaceKind
from qurb.areas.selectors import area_and_ancestors, areas_in_active_generation, leaf_type_level
from qurb.communication import policy, ticketcodes
from qurb.communication.models import (
    Article,
    ArticleStatus,
    CheckIn,
    Event,
    Newsletter,
    NewsletterArea,
    NewsletterItem,
    NewsletterSubscriber,
    ProgrammeItem,
    SchoolSession,
    Ticket,
    Topic,
    Venue,
    VisitorKind,
    YearlyReportPublication,
)
from qurb.core.params import id_param
from qurb.core.text import pick_translation


def public_events() -> QuerySet[Event]:
    return Event.objects.filter(is_published=True).select_related("area")


def upcoming_events(area: Area | None = None) -> QuerySet[Event]:
    qs = public_events().filter(ends_on__gte=timezone.localdate()).order_by("starts_on")
    if area is not None:
        qs = qs.filter(area_id__in=descendants_of({area.pk}))
    return qs


def ticket_for_code(event: Event, raw: str) -> Ticket | None:
    """The event's ticket that ``raw`` names: a code typed at the gate (any case, spaces or
    dashes, o/i/l for 0/1), or a scanned ticket address. An older code is taken as printed,
    or in another case when that names only one ticket of the event."""
    text = ticketcodes.last_segment(raw)
    code = ticketcodes.canonical(text)
    if code:
        found = Ticket.objects.filter(event=event, code=code).first()
        if found is not None:
            return found
    old = ticketcodes.legacy(text)
    if not old:
        return None
    found = Ticket.objects.filter(event=event, code=old).first()
    if found is None:
        alike = list(Ticket.objects.filter(event=event, code__iexact=old)[:2])
        found = alike[0] if len(alike) == 1 else None
    return found


# --- the work waiting for staff (the staff home), over the areas of their grants ---------------


def gates_today(user: Actor, *, today: date | None = None) -> QuerySet[Event]:
    """Published events open today whose gate ``user`` staffs (``EVENT_GATE``)."""
    day = today or timezone.localdate()
    return (
        policy.events_for(user, Capability.EVENT_GATE)
        .filter(is_published=True, starts_on__lte=day, ends_on__gte=day)
        .select_related("area")
        .order_by("starts_on", "pk")
    )


def events_coming(user: Actor, *, days: int = 30, today: date | None = None) -> QuerySet[Event]:
    """Events starting within ``days`` days that ``user`` staffs or prepares, published or
    not, soonest first."""
    day = today or timezone.localdate()
    return (
        policy.events_for(user, Capability.EVENT_GATE)
        .filter(starts_on__gt=day, starts_on__lte=day + timedelta(days=days))
        .select_related("area")
        .order_by("starts_on", "pk")
    )


def sessions_coming(user: Actor, *, today: date | None = None) -> QuerySet[SchoolSession]:
    """School sessions planned from today on in ``user``'s areas (``SCHOOL_SESSION_RECORD``)."""
    day = today or timezone.localdate()
    return (
        policy.sessions_for(user)
        .filter(held_on__gte=day)
        .select_related("school", "area")
        .order_by("held_on", "pk")
    )


def articles_in_progress(user: Actor, now: Any = None) -> QuerySet[Article]:
    """Drafts, and articles scheduled for later, that ``user`` writes (``ARTICLE_MANAGE``)."""
    moment = now or timezone.now()
    return (
        policy.articles_for(user)
        .filter(
            Q(status=ArticleStatus.DRAFT) | Q(status=ArticleStatus.SCHEDULED, publish_at__gt=moment)
        )
        .select_related("area")
        .order_by("-updated_at")
    )


def public_articles(now: Any = None) -> QuerySet[Article]:
    """Published articles, and scheduled ones whose time has come (no job needed)."""
    moment = now or timezone.now()
    return Article.objects.filter(
        Q(status=ArticleStatus.PUBLISHED)
        | Q(status=ArticleStatus.SCHEDULED, publish_at__lte=moment)
    ).order_by("-publish_at", "-pk")


def articles_due(moment: Any, limit: int = 500) -> list[int]:
    """Scheduled articles whose time has come and that are still marked scheduled (the
    sweep makes them published), oldest first."""
    return list(
        Article.objects.filter(status=ArticleStatus.SCHEDULED, publish_at__lte=moment)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass
class Attendance:
    total: int
    by_day: list[tuple[date, int]]
    by_hour: dict[date, list[int]]  # 24 counts per day
    by_kind: list[tuple[str, int]]
    tickets: int
    today: int
    last_hour: int
    kinds_by_day: dict[date, dict[str, int]] = field(default_factory=dict)


def attendance(event: Event, now: Any = None) -> Attendance:
    moment = now or timezone.now()
    rows = list(CheckIn.objects.filter(event=event).values_list("day", "at", "visitor_kind"))
    days: dict[date, int] = {}
    hours: dict[date, list[int]] = {}
    kinds: dict[str, int] = {}
    kinds_by_day: dict[date, dict[str, int]] = {}
    last_hour = 0
    for day, at, kind in rows:
        days[day] = days.get(day, 0) + 1
        hours.setdefault(day, [0] * 24)[timezone.localtime(at).hour] += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        per = kinds_by_day.setdefault(day, {})
        per[kind] = per.get(kind, 0) + 1
        if (moment - at).total_seconds() <= 3600:
            last_hour += 1
    labels = dict(VisitorKind.choices)
    return Attendance(
        total=len(rows),
        by_day=sorted(days.items()),
        by_hour=hours,
        by_kind=[(str(labels[k]), n) for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])],
        tickets=event.tickets.count(),
        today=days.get(timezone.localtime(moment).date(), 0),
        last_hour=last_hour,
        kinds_by_day=kinds_by_day,
    )


@dataclass(frozen=True)
class Reach:
    area: str
    topic: str
    sessions: int
    pupils: int


def school_reach(
    area: Area, *, since: date | None = None, until: date | None = None
) -> list[Reach]:
    """Sessions held and pupils reached, per district (the school's area) and topic."""
    qs = SchoolSession.objects.filter(area_id__in=descendants_of({area.pk}), pupils__isnull=False)
    if since:
        qs = qs.filter(held_on__gte=since)
    if until:
        qs = qs.filter(held_on__lte=until)
    labels = dict(Topic.choices)
    rows = (
        qs.values("area__name_ar", "area__name_fr", "area__name_en", "topic")
        .annotate(sessions=Count("pk"), pupils=Sum("pupils"))
        .order_by("area__name_ar", "topic")
    )
    return [
        Reach(
            pick_translation(
                {"ar": r["area__name_ar"], "fr": r["area__name_fr"], "en": r["area__name_en"]}
            ),
            str(labels[r["topic"]]),
            int(r["sessions"]),
            int(r["pupils"] or 0),
        )
        for r in rows
    ]


# --- what the pages read (the web edge calls these; access goes through policy) -----------


def public_event(slug: str) -> Event | None:
    return public_events().filter(slug=slug).first()


def event_programme(event: Event) -> list[ProgrammeItem]:
    return list(event.programme.select_related("venue"))


def event_venues(event: Event) -> QuerySet[Venue]:
    return event.venues.prefetch_related("stands")


def event_venue(event: Event, venue_id: object) -> Venue | None:
    """One of the event's venues, from a form value (None when it is not one of them)."""
    pk = _pk(venue_id)
    return Venue.objects.filter(event=event, pk=pk).first() if pk else None


def public_article(slug: str) -> Article | None:
    return public_articles().filter(slug=slug).first()


def article_withdrawn(slug: str) -> bool:
    return Article.objects.filter(slug=slug, status=ArticleStatus.WITHDRAWN).exists()


def published_articles(limit: int = 20) -> list[Article]:
    return list(Article.objects.filter(status=ArticleStatus.PUBLISHED)[:limit])


def articles_chosen(ids: Iterable[object]) -> list[Article]:
    """The articles a newsletter carries, from form values (others are ignored)."""
    pks = [pk for pk in (_pk(i) for i in ids) if pk]
    return list(Article.objects.filter(pk__in=pks))


def staff_article(user: Actor, article_id: object) -> Article | None:
    """An article ``user`` may write (policy.articles_for), or None."""
    pk = _pk(article_id)
    return policy.articles_for(user).filter(pk=pk).first() if pk else None


def article_home_area(user: Actor) -> Area | None:
    """Where a new article of ``user`` belongs: the outermost area they write for."""
    roots = grant(user, Capability.ARTICLE_MANAGE).roots
    return Area.objects.filter(pk__in=roots).order_by("pk").first()


def gate_events(user: Actor) -> QuerySet[Event]:
    """Events whose gate ``user`` staffs (policy.events_for), latest first."""
    return (
        policy.events_for(user, Capability.EVENT_GATE)
        .select_related("area")
        .order_by("-starts_on", "pk")
    )


def event_areas(user: Actor) -> QuerySet[Area]:
    """The areas where ``user`` may hold events, outermost first."""
    g = grant(user, Capability.EVENT_MANAGE)
    return areas_in_active_generation().order_by("type__level", "name_ar").filter(g.q("pk"))


def event_area(user: Actor, area_id: object) -> Area | None:
    pk = _pk(area_id)
    return event_areas(user).filter(pk=pk).first() if pk else None


def session_schools(user: Actor) -> QuerySet[Place]:
    """The schools where ``user`` records awareness sessions."""
    g = grant(user, Capability.SCHOOL_SESSION_RECORD)
    return (
        Place.objects.filter(kind=PlaceKind.SCHOOL, area__isnull=False)
        .filter(g.q("area_id"))
        .select_related("area")
    )


def session_school(user: Actor, school_id: object) -> Place | None:
    pk = _pk(school_id)
    return session_schools(user).filter(pk=pk).first() if pk else None


def staff_session(user: Actor, session_id: object, school: Place | None) -> SchoolSession | None:
    """A session ``user`` may edit (policy.sessions_for), at ``school``."""
    pk = _pk(session_id)
    if not pk or school is None:
        return None
    return policy.sessions_for(user).filter(pk=pk, school=school).first()


def school_sessions(user: Actor, limit: int = 100) -> list[SchoolSession]:
    return list(
        SchoolSession.objects.filter(school__in=session_schools(user)).select_related(
            "school", "area"
        )[:limit]
    )


def school_reach_for(user: Actor) -> list[Reach]:
    """School reach over the outermost areas ``user`` works in (the whole force: the
    top-level areas)."""
    g = grant(user, Capability.SCHOOL_SESSION_RECORD)
    areas = areas_in_active_generation()
    tops = areas.filter(parent__isnull=True) if g.everywhere else areas.filter(pk__in=g.roots)
    return [r for top in tops for r in school_reach(top)]


# --- the newsletter by area ---------------------------------------------------------------------

# The first edition of an area draws on this many days before it.
FIRST_EDITION_DAYS = 31


def edition_areas() -> QuerySet[Area]:
    """The areas with a newsletter of their own: prefectures and districts, i.e. the areas of
    the active generation down to the level of ``QURB_REPORT_AREA_TYPE`` (or, in a hierarchy
    without that type, every level above the finest)."""
    areas = areas_in_active_generation()
    level = (
        AreaType.objects.filter(code=settings.REPORT_AREA_TYPE)
        .values_list("level", flat=True)
        .first()
    )
    if level is not None:
        return areas.filter(type__level__lte=level)
    leaf = leaf_type_level()
    return areas.filter(type__level__lt=leaf) if leaf is not None else areas.none()


def is_edition_area(area: Area) -> bool:
    return edition_areas().filter(pk=area.pk).exists()


def edition_area_choices() -> list[tuple[Area, list[Area]]]:
    """The edition areas for a pick-list: each outermost one with those inside it, by name in
    the reader's language."""
    areas = list(edition_areas())
    ids = {a.pk for a in areas}
    groups: dict[int, list[Area]] = {}
    tops: list[Area] = []
    for area in areas:
        outer = next((a for a in reversed(area_and_ancestors(area)) if a.pk in ids), area)
        if outer.pk == area.pk:
            tops.append(area)
        else:
            groups.setdefault(outer.pk, []).append(area)
    return [
        (top, sorted(groups.get(top.pk, []), key=lambda a: (a.type.level, a.name)))
        for top in sorted(tops, key=lambda a: a.name)
    ]


def edition_area_for(area_id: object) -> Area | None:
    """The edition a neighbourhood's page leads to: the area itself if it has an edition,
    else the nearest area around it that does (its district); None for an area residents
    cannot see."""
    pk = _pk(area_id)
    area = areas_in_active_generation().filter(pk=pk).first() if pk else None
    if area is None:
        return None
    ids = set(edition_areas().values_list("pk", flat=True))
    return next((a for a in area_and_ancestors(area) if a.pk in ids), None)


def edition_areas_chosen(ids: Iterable[object]) -> list[Area] | None:
    """The edition areas named by form values; None when one of them is not one."""
    read = [_pk(i) for i in ids]
    pks = [pk for pk in read if pk is not None]
    if len(pks) != len(read):
        return None
    found = {a.pk: a for a in edition_areas().filter(pk__in=pks)}
    if len(found) != len(set(pks)):
        return None
    return [found[pk] for pk in dict.fromkeys(pks)]


def edition_period(area: Area | None, until: Any = None) -> tuple[Any, Any]:
    """The period an edition of ``area`` (None: national) draws on: from the end of the last
    edition sent for that area (or ``FIRST_EDITION_DAYS`` before) until ``until`` (now)."""
    end = until or timezone.now()
    last = (
        Newsletter.objects.filter(area=area, queued_at__isnull=False)
        .order_by("-queued_at", "-pk")
        .first()
    )
    start = (last.until or last.queued_at) if last is not None else None
    if start is None or start >= end:
        start = end - timedelta(days=FIRST_EDITION_DAYS)
    return start, end


def edition_readers(area: Area | None) -> QuerySet[NewsletterSubscriber]:
    """Who receives the edition of ``area``: the confirmed subscribers who chose it; for the
    national edition (None), those who chose no area."""
    readers = NewsletterSubscriber.objects.filter(active=True, confirmed_at__isnull=False)
    if area is None:
        chose = NewsletterArea.objects.filter(subscriber=OuterRef("pk"))
        return readers.filter(~Exists(chose))
    return readers.filter(editions__area=area)


def subscriber_for_token(token: str) -> NewsletterSubscriber | None:
    return NewsletterSubscriber.objects.filter(token=token, active=True).first()


def subscriber_areas(subscriber: NewsletterSubscriber) -> list[Area]:
    return [
        e.area
        for e in NewsletterArea.objects.filter(subscriber=subscriber)
        .select_related("area__type")
        .order_by("area__type__level", "area__code")
    ]


def newsletter_areas_for(user: Actor) -> list[Area]:
    """The areas whose edition ``user`` composes (``NEWSLETTER_SEND``), outermost first."""
    g = grant(user, Capability.NEWSLETTER_SEND)
    if not g:
        return []
    return sorted(edition_areas().filter(g.q("pk")), key=lambda a: (a.type.level, a.name))


def staff_newsletters(user: Actor, limit: int = 50) -> list[Newsletter]:
    """The editions ``user`` composes, drafts first, then the latest sent."""
    return list(
        policy.newsletters_for(user)
        .select_related("area")
        .annotate(item_count=Count("items", distinct=True))
        .annotate(copies=Count("deliveries", distinct=True))
        .order_by(F("queued_at").desc(nulls_first=True), "-pk")[:limit]
    )


def edition_items(newsletter: Newsletter) -> list[NewsletterItem]:
    return list(newsletter.items.all())


@dataclass
class EditionCopies:
    total: int
    sent: int
    given_up: int  # refused by the mail server, or too many tries
    waiting: int


def edition_copies(newsletter: Newsletter) -> EditionCopies:
    counts = newsletter.deliveries.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        given_up=Count("pk", filter=Q(sent_at__isnull=True) & ~Q(error="")),
    )
    total, sent, given_up = (int(counts[k] or 0) for k in ("total", "sent", "given_up"))
    return EditionCopies(total, sent, given_up, total - sent - given_up)


def yearly_reports_for(
    user: Actor, year: int, limit: int = 50
) -> list[tuple[Area, YearlyReportPublication | None]]:
    """The yearly reports of ``year`` that ``user`` publishes (``ARTICLE_MANAGE`` over
    prefectures and districts), outermost first, each with its publication if there is one."""
    g = grant(user, Capability.ARTICLE_MANAGE)
    if not g:
        return []
    areas = sorted(edition_areas().filter(g.q("pk")), key=lambda a: (a.type.level, a.name))
    areas = areas[:limit]
    published = {
        p.area_id: p for p in YearlyReportPublication.objects.filter(year=year, area__in=areas)
    }
    return [(a, published.get(a.pk)) for a in areas]


def yearly_publication(area: Area, year: int) -> YearlyReportPublication | None:
    return YearlyReportPublication.objects.filter(area=area, year=year).first()


def _pk(raw: object) -> int | None:
    return id_param(raw)
