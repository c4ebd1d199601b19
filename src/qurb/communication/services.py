"""Writes for the communication cells: events (venues, stands, programme, tickets, check-in),
school awareness sessions, news with its publication workflow (and the sweep that makes
scheduled articles public), the newsletter (subscribers and their areas; editions composed,
edited and sent) and the publication of the yearly reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability, require
from qurb.accounts.models import User
from qurb.areas.models import Area, Place, PlaceKind
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.communication import pagecache, policy, selectors, signals, ticketcodes
from qurb.communication.models import (
    Article,
    ArticleStatus,
    CheckIn,
    Event,
    EventKind,
    ItemKind,
    Newsletter,
    NewsletterArea,
    NewsletterDelivery,
    NewsletterItem,
    NewsletterSubscriber,
    ProgrammeItem,
    SchoolSession,
    Stand,
    Ticket,
    Topic,
    Venue,
    VisitorKind,
    YearlyReportPublication,
)
from qurb.core import optin
from qurb.core.bidi import isolate
from qurb.core.errors import Invalid, NotFound, Refused
from qurb.core.text import FIELD_LANGUAGES, Texts, field_values, languages_of, texts_of


def _programme_changed(event: Event) -> None:
    """Drop the cached public programme (served to crowds for up to a minute otherwise)."""
    pagecache.drop_programme(event.slug)


def _slug(title: str, model: Any) -> str:
    base = slugify(title, allow_unicode=False)[:60] or "item"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- events -----------------------------------------------------------------------------------


@audited(AuditAction.COMMUNICATION_CREATE_EVENT)
def event_create(
    *,
    actor: User,
    area: Area,
    kind: str,
    title: Texts,
    description: Texts = "",
    starts_on: date,
    ends_on: date,
    capacity: int | None = None,
    language: str | None = None,
) -> Event:
    """An event in ``area``; ``title`` and ``description`` in one language (``language``) or
    as ``{"ar": …, "fr": …, "en": …}``, the title in at least one."""
    require(actor, Capability.EVENT_MANAGE, area.pk)
    titles, descriptions = texts_of(title, language), texts_of(description, language)
    errors: dict[str, list[Any]] = {}
    if not any(titles.values()):
        errors["title"] = [_("Give the event a title.")]
    if kind not in EventKind.values:
        errors["kind"] = [_("Choose the kind of event.")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The last day cannot come before the first.")]
    if capacity is not None and capacity < 1:
        errors["capacity"] = [_("There must be at least one ticket.")]
    if errors:
        raise ValidationError(errors)
    event = Event.objects.create(
        slug=_slug(titles["fr"] or titles["en"] or titles["ar"], Event),
        kind=kind,
        area=area,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        **field_values("title", titles, 200),
        **field_values("description", descriptions),
    )
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_CREATE_EVENT,
        target=event,
        area_id=area.pk,
        details={"languages": languages_of(titles)},
    )
    return event


@audited(AuditAction.COMMUNICATION_ADD_VENUE)
def venue_add(
    *,
    actor: User,
    event: Event,
    name: Texts,
    address: Texts = "",
    lat: float | None = None,
    lon: float | None = None,
    language: str | None = None,
) -> Venue:
    policy.require_event(actor, Capability.EVENT_MANAGE, event)
    names, addresses = texts_of(name, language), texts_of(address, language)
    if not any(names.values()):
        raise ValidationError({"name": [_("Name the venue.")]})
    venue = Venue.objects.create(
        event=event,
        lat=lat,
        lon=lon,
        **field_values("name", names, 200),
        **field_values("address", addresses, 300),
    )
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_ADD_VENUE,
        target=venue,
        area_id=event.area_id,
        details={"event": event.pk, "languages": languages_of(names)},
    )
    transaction.on_commit(lambda: _programme_changed(event))
    return venue


@audited(AuditAction.COMMUNICATION_ADD_STAND)
def stand_add(
    *, actor: User, venue: Venue, name: Texts, description: Texts = "", language: str | None = None
) -> Stand:
    policy.require_event(actor, Capability.EVENT_MANAGE, venue.event)
    names, descriptions = texts_of(name, language), texts_of(description, language)
    if not any(names.values()):
        raise ValidationError({"name": [_("Name the stand.")]})
    stand = Stand.objects.create(
        venue=venue, **field_values("name", names, 200), **field_values("description", descriptions)
    )
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_ADD_STAND,
        target=stand,
        area_id=venue.event.area_id,
        details={"event": venue.event_id, "languages": languages_of(names)},
    )
    transaction.on_commit(lambda: _programme_changed(venue.event))
    return stand


@audited(AuditAction.COMMUNICATION_ADD_PROGRAMME_ITEM)
def programme_add(
    *,
    actor: User,
    event: Event,
    title: Texts,
    starts_at: datetime,
    ends_at: datetime,
    speakers: Texts = "",
    place: Texts = "",
    venue: Venue | None = None,
    language: str | None = None,
) -> ProgrammeItem:
    policy.require_event(actor, Capability.EVENT_MANAGE, event)
    titles, places = texts_of(title, language), texts_of(place, language)
    errors: dict[str, list[Any]] = {}
    if not any(titles.values()):
        errors["title"] = [_("Give the session a title.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("A session must end after it starts.")]
    day = timezone.localtime(starts_at).date()
    if not event.starts_on <= day <= event.ends_on:
        errors["starts_at"] = [_("The session must take place during the event.")]
    if venue is not None and venue.event_id != event.pk:
        errors["venue"] = [_("Choose one of the event's venues.")]
    if errors:
        raise ValidationError(errors)
    item = ProgrammeItem.objects.create(
        event=event,
        venue=venue,
        **field_values("speakers", texts_of(speakers, language), 300),
        starts_at=starts_at,
        ends_at=ends_at,
        **field_values("title", titles, 200),
        **field_values("place", places, 200),
    )
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_ADD_PROGRAMME_ITEM,
        target=item,
        area_id=event.area_id,
        details={"event": event.pk, "languages": languages_of(titles)},
    )
    transaction.on_commit(lambda: _programme_changed(event))
    return item


@audited(AuditAction.COMMUNICATION_PUBLISH_EVENT)
def event_publish(*, actor: User, event: Event, published: bool = True) -> Event:
    policy.require_event(actor, Capability.EVENT_MANAGE, event)
    before = event.is_published
    event.is_published = published
    event.save(update_fields=["is_published"])
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_PUBLISH_EVENT,
        target=event,
        area_id=event.area_id,
        details={"changes": {"is_published": change_of(before, published)}},
    )
    transaction.on_commit(lambda: _programme_changed(event))
    return event


def ticket_register(
    *, event: Event, name: str, email: str = "", visitor_kind: str, language: str = "ar"
) -> Ticket:
    """A free ticket with a QR code; refused once the event is full or over."""
    errors: dict[str, list[Any]] = {}
    if not event.is_published or event.ends_on < timezone.localdate():
        errors["event"] = [_("Registration for this event is closed.")]
    if not name.strip():
        errors["name"] = [_("Give your name.")]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Give a valid e-mail address.")]
    if visitor_kind not in VisitorKind.values:
        errors["visitor_kind"] = [_("Say how you come.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.capacity is not None and locked.tickets.count() >= locked.capacity:
            raise ValidationError({"event": [_("There is no ticket left for this event.")]})
        ticket = Ticket.objects.create(
            event=locked, name=name.strip()[:150], email=email.strip(), visitor_kind=visitor_kind
        )
        if ticket.email:
            transaction.on_commit(lambda: _enqueue_ticket(ticket.pk, language))
        return ticket


def _enqueue_ticket(ticket_id: int, language: str) -> None:
    from qurb.communication.tasks import send_ticket

    send_ticket.enqueue(ticket_id, language)


@audited(AuditAction.COMMUNICATION_CHECK_IN)
def check_in(
    *,
    actor: User,
    event: Event,
    code: str = "",
    visitor_kind: str = "",
    now: datetime | None = None,
) -> CheckIn:
    """An entry at the gate: a ticket's code (scanned or typed; once per day), or a visitor
    counted at the gate without a ticket."""
    policy.require_event(actor, Capability.EVENT_GATE, event)
    moment = now or timezone.now()
    today = timezone.localtime(moment).date()
    if not event.starts_on <= today <= event.ends_on:
        raise ValidationError({"code": [_("The event is not open today.")]})
    ticket = None
    # A scanned ticket address or the code typed, in any case and with any separators.
    if ticketcodes.given(code):
        ticket = selectors.ticket_for_code(event, code)
        if ticket is None:
            raise ValidationError({"code": [_("This ticket is not valid for this event.")]})
        visitor_kind = ticket.visitor_kind
    elif visitor_kind not in VisitorKind.values:
        raise ValidationError({"code": [_("Scan or type a ticket, or choose who is coming in.")]})
    try:
        with transaction.atomic():
            entry = CheckIn.objects.create(
                event=event,
                ticket=ticket,
                visitor_kind=visitor_kind,
                day=today,
                at=moment,
                by=actor,
            )
            audit_record(
                actor=actor,
                action=AuditAction.COMMUNICATION_CHECK_IN,
                target=entry,
                area_id=event.area_id,
                details={"day": today.isoformat(), "ticket": ticket.pk if ticket else None}
                if ticket
                else {"day": today.isoformat(), "kind": visitor_kind},
            )
            return entry
    except IntegrityError:
        first = CheckIn.objects.get(ticket=ticket, day=today)
        raise ValidationError(
            {
                "code": [
                    _("This ticket already came in today at %(time)s.")
                    % {"time": time_format(timezone.localtime(first.at), "TIME_FORMAT")}
                ]
            }
        ) from None


# --- school sessions ------------------------------------------------------------------------


@audited(AuditAction.COMMUNICATION_SAVE_SCHOOL_SESSION)
def school_session_save(
    *,
    actor: User,
    school: Place,
    topic: str,
    held_on: date,
    trainer: str,
    pupils: int | None = None,
    notes: str = "",
    session: SchoolSession | None = None,
) -> SchoolSession:
    """Plan a session (no pupils yet) or record it (with the pupils reached)."""
    area = school.area
    if area is None:
        raise ValidationError({"school": [_("This school is not placed in any area.")]})
    require(actor, Capability.SCHOOL_SESSION_RECORD, area.pk)
    if session is not None and not policy.may_session(actor, session):
        raise Refused("out_of_scope")
    errors: dict[str, list[Any]] = {}
    if school.kind != PlaceKind.SCHOOL:
        errors["school"] = [_("Choose a school.")]
    if topic not in Topic.values:
        errors["topic"] = [_("Choose a topic.")]
    if not trainer.strip():
        errors["trainer"] = [_("Name the trainer.")]
    if pupils is not None and (pupils < 0 or pupils > 5000):
        errors["pupils"] = [_("Give the number of pupils reached (0 to 5,000).")]
    if pupils is not None and held_on > timezone.localdate():
        errors["pupils"] = [_("Pupils can be counted once the session has taken place.")]
    if errors:
        raise ValidationError(errors)
    created = session is None
    item = session or SchoolSession(school=school, area=area)
    item.topic = topic
    item.held_on = held_on
    item.trainer = trainer.strip()[:150]
    item.pupils = pupils
    item.notes = notes.strip()
    item.save()
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_SAVE_SCHOOL_SESSION,
        target=item,
        area_id=area.pk,
        details={"created": created},
    )
    return item


# --- news -----------------------------------------------------------------------------------


@audited(AuditAction.COMMUNICATION_SAVE_ARTICLE)
def article_save(
    *,
    actor: User,
    texts: dict[str, dict[str, str]],
    area: Area | None = None,
    article: Article | None = None,
) -> Article:
    """Write or edit a draft; ``texts`` is {language: {title, summary, body}}. An article
    belongs to an area (its cell writes it) or to the whole force (national communication);
    editing keeps the area it has."""
    if article is not None:
        area = article.area
    policy.require_article(actor, area.pk if area else None)
    titled = {lang: t for lang, t in texts.items() if t.get("title", "").strip()}
    if not titled:
        raise ValidationError({"title": [_("Give the article a title in at least one language.")]})
    for t in titled.values():
        if not t.get("body", "").strip():
            raise ValidationError({"body": [_("Each language with a title needs its text.")]})
    item = article or Article(slug=_slug(next(iter(titled.values()))["title"], Article))
    item.area = area
    for lang in ("ar", "fr", "en"):
        t = texts.get(lang, {})
        setattr(item, f"title_{lang}", t.get("title", "").strip()[:200])
        setattr(item, f"summary_{lang}", t.get("summary", "").strip())
        setattr(item, f"body_{lang}", t.get("body", "").strip())
    item.save()
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_SAVE_ARTICLE,
        target=item,
        area_id=area.pk if area else None,
        details={"created": article is None},
    )
    return item


@audited(AuditAction.COMMUNICATION_MOVE_ARTICLE)
def article_move(
    *, actor: User, article: Article, status: str, publish_at: datetime | None = None
) -> Article:
    """The workflow: draft → scheduled (a date to come) or published → withdrawn (and back
    to draft)."""
    policy.require_article(actor, article.area_id)
    allowed = {
        ArticleStatus.DRAFT: {ArticleStatus.SCHEDULED, ArticleStatus.PUBLISHED},
        ArticleStatus.SCHEDULED: {ArticleStatus.DRAFT, ArticleStatus.PUBLISHED},
        ArticleStatus.PUBLISHED: {ArticleStatus.WITHDRAWN},
        ArticleStatus.WITHDRAWN: {ArticleStatus.DRAFT},
    }
    if status not in allowed.get(ArticleStatus(article.status), set()):
        raise ValidationError(
            {
                "status": [
                    _("This article cannot go from %(a)s to %(b)s.")
                    % {
                        "a": ArticleStatus(article.status).label,
                        "b": ArticleStatus(status).label
                        if status in ArticleStatus.values
                        else status,
                    }
                ]
            }
        )
    now = timezone.now()
    if status == ArticleStatus.SCHEDULED and (publish_at is None or publish_at <= now):
        raise ValidationError({"publish_at": [_("Choose a publication date to come.")]})
    before = article.status
    article.status = status
    if status == ArticleStatus.SCHEDULED:
        article.publish_at = publish_at
    elif status == ArticleStatus.PUBLISHED:
        article.publish_at = now
    article.save(update_fields=["status", "publish_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_MOVE_ARTICLE,
        target=article,
        area_id=article.area_id,
        details={"changes": {"status": change_of(before, status)}},
    )
    if status == ArticleStatus.PUBLISHED:
        published = article.pk
        transaction.on_commit(lambda: _announce_article(published))
    return article


# --- scheduled articles -------------------------------------------------------------------------


def articles_publish_due(*, now: datetime | None = None) -> list[int]:
    """Scheduled articles whose time has come become published, each announced once
    (``signals.article_published``). Run by every worker's sweep: each article is taken with
    a conditional update, so two sweepers never publish (nor announce) one twice. The public
    pages show a scheduled article from its time on already; this makes it an event."""
    moment = now or timezone.now()
    return [pk for pk in selectors.articles_due(moment) if _article_goes_live(pk, moment)]


def _article_goes_live(article_id: int, moment: datetime) -> bool:
    with transaction.atomic():
        taken = Article.objects.filter(
            pk=article_id, status=ArticleStatus.SCHEDULED, publish_at__lte=moment
        ).update(status=ArticleStatus.PUBLISHED)
        if not taken:  # another sweeper took it, or it moved meanwhile
            return False
        article = Article.objects.get(pk=article_id)
        audit_record(
            actor=None,
            action=AuditAction.COMMUNICATION_MOVE_ARTICLE,
            target=article,
            area_id=article.area_id,
            details={"changes": {"status": change_of("scheduled", "published")}},
        )
        transaction.on_commit(lambda: _announce_article(article_id))
    return True


def _announce_article(article_id: int) -> None:
    signals.article_published.send(sender=Article, article_id=article_id)


# --- the yearly report ---------------------------------------------------------------------------


@audited(AuditAction.COMMUNICATION_PUBLISH_YEARLY_REPORT)
def yearly_report_publish(
    *, actor: User, area: Area, year: int, today: date | None = None
) -> YearlyReportPublication:
    """Publish the yearly report of a prefecture or a district for a year that is over (the
    cell of the area, or an administrator), once; the residents of the area who chose
    "figures" are told (``signals.yearly_report_published``, after the commit)."""
    policy.require_article(actor, area.pk)
    this_year = (today or timezone.localdate()).year
    if not 2000 <= year < this_year:
        raise Invalid(
            {"year": [_("A yearly report is published once its year is over.")]}, "year_not_over"
        )
    if not selectors.is_edition_area(area):
        raise Invalid(
            {"area": [_("Yearly reports are published for prefectures and districts.")]},
            "not_edition_area",
        )
    try:
        with transaction.atomic():
            publication = YearlyReportPublication.objects.create(
                area=area, year=year, published_by=actor
            )
    except IntegrityError:
        raise Invalid(
            {"year": [_("This yearly report is already published.")]}, "already_published"
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_PUBLISH_YEARLY_REPORT,
        target=publication,
        area_id=area.pk,
        details={"year": year},
    )
    area_id = area.pk
    transaction.on_commit(
        lambda: signals.yearly_report_published.send(
            sender=YearlyReportPublication, area_id=area_id, year=year
        )
    )
    return publication


# --- newsletter: subscribers ---------------------------------------------------------------------

MAX_EDITIONS = 10  # areas a subscriber may choose


def _editions_checked(areas: Iterable[Area]) -> list[Area]:
    chosen = list(dict.fromkeys(areas))
    if len(chosen) > MAX_EDITIONS:
        raise Invalid(
            {"areas": [_("Choose at most %(n)s areas.") % {"n": MAX_EDITIONS}]}, "too_many_areas"
        )
    allowed = set(
        selectors.edition_areas().filter(pk__in=[a.pk for a in chosen]).values_list("pk", flat=True)
    )
    if any(a.pk not in allowed for a in chosen):
        raise Invalid({"areas": [_("Choose a prefecture or a district.")]}, "not_edition_area")
    return chosen


def _set_editions(subscriber: NewsletterSubscriber, areas: list[Area]) -> None:
    NewsletterArea.objects.filter(subscriber=subscriber).exclude(area__in=areas).delete()
    have = set(
        NewsletterArea.objects.filter(subscriber=subscriber).values_list("area_id", flat=True)
    )
    NewsletterArea.objects.bulk_create(
        NewsletterArea(subscriber=subscriber, area=a) for a in areas if a.pk not in have
    )


def newsletter_subscribe(
    *, email: str, language: str = "ar", areas: Iterable[Area] = ()
) -> NewsletterSubscriber:
    """Double opt-in: nothing is sent before the address confirms. ``areas``: the prefectures
    or districts whose editions to receive (none: the national edition). An address already
    confirmed keeps its choices (anyone may type it): it is sent, at most once a day, the link
    to its preferences instead."""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Give a valid e-mail address.")]}) from None
    chosen = _editions_checked(areas)
    language = language if language in FIELD_LANGUAGES else "ar"
    with transaction.atomic():
        subscriber, created = NewsletterSubscriber.objects.get_or_create(
            email=email.strip().lower(), defaults={"language": language}
        )
        if not created and not subscriber.active:
            subscriber.active = True
            subscriber.confirmed_at = None
            subscriber.save(update_fields=["active", "confirmed_at"])
        if subscriber.confirmed_at is None:  # nothing was sent yet: this request decides
            if subscriber.language != language:
                subscriber.language = language
                subscriber.save(update_fields=["language"])
            _set_editions(subscriber, chosen)
        # At most one e-mail per address a day, whoever asks for it.
        if optin.confirmation_due(subscriber.email):
            pk = subscriber.pk
            if subscriber.confirmed_at is None:
                transaction.on_commit(lambda: _enqueue_confirmation(pk))
            else:
                transaction.on_commit(lambda: _enqueue_preferences(pk))
    return subscriber


def _enqueue_confirmation(subscriber_id: int) -> None:
    from qurb.communication.tasks import send_newsletter_confirmation

    send_newsletter_confirmation.enqueue(subscriber_id, timezone.now().isoformat())


def _enqueue_preferences(subscriber_id: int) -> None:
    from qurb.communication.tasks import send_newsletter_preferences

    send_newsletter_preferences.enqueue(subscriber_id)


def newsletter_confirm(token: str) -> NewsletterSubscriber | None:
    return optin.confirm(NewsletterSubscriber.objects.all(), token)


def newsletter_unsubscribe(token: str) -> NewsletterSubscriber | None:
    return optin.leave(NewsletterSubscriber.objects.all(), token)


def newsletter_preferences_set(*, token: str, areas: Iterable[Area]) -> NewsletterSubscriber:
    """The areas whose editions a subscriber receives (none: the national edition), by the
    token of the link in every newsletter."""
    subscriber = selectors.subscriber_for_token(token)
    if subscriber is None:
        raise NotFound
    chosen = _editions_checked(areas)
    with transaction.atomic():
        _set_editions(subscriber, chosen)
    return subscriber


# --- newsletter: editions ------------------------------------------------------------------------

ITEM_TITLE_MAX = 200
ITEM_BODY_MAX = 2000
MAX_ITEMS = 60


@dataclass(frozen=True)
class ItemDraft:
    """An item for an edition: its texts by language, a link (a path of this site) and what it
    was drawn from (``source``, once per edition; empty for a note written by hand)."""

    kind: str
    titles: Mapping[str, str]
    bodies: Mapping[str, str] = field(default_factory=dict)
    link: str = ""
    source: str = ""


@dataclass(frozen=True)
class ItemChange:
    """An item as its composer left it on the page: its place, its texts, or removed."""

    item_id: int
    position: int
    titles: Mapping[str, str]
    bodies: Mapping[str, str]
    remove: bool = False


def article_item(article: Article) -> ItemDraft:
    """An article as an item: its title and summary (or the start of its text) in each
    language it is written in, and its link."""
    titles, bodies = {}, {}
    for code in FIELD_LANGUAGES:
        title = getattr(article, f"title_{code}")
        if title:
            titles[code] = title
            text = getattr(article, f"summary_{code}") or getattr(article, f"body_{code}")
            bodies[code] = text[:600]
    return ItemDraft(
        kind=ItemKind.ARTICLE,
        titles=titles,
        bodies=bodies,
        link=reverse("communication:article", args=[article.slug]),
        source=f"article:{article.pk}",
    )


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())


def _item_fields(titles: Mapping[str, str], bodies: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for code in FIELD_LANGUAGES:
        values[f"title_{code}"] = _one_line(titles.get(code))
        values[f"body_{code}"] = str(bodies.get(code) or "").strip()
    return values


def _default_subject(area: Area | None, until: datetime) -> dict[str, str]:
    subjects: dict[str, str] = {}
    for code in FIELD_LANGUAGES:
        with translation.override(code):
            month = date_format(timezone.localtime(until), "YEAR_MONTH_FORMAT")
            if area is None:
                subjects[code] = gettext("The police's newsletter, %(month)s") % {"month": month}
            else:
                subjects[code] = gettext("The newsletter of %(area)s, %(month)s") % {
                    "area": isolate(area.localized("name", code)),
                    "month": month,
                }
    return subjects


def _compose(
    *,
    area: Area | None,
    items: Sequence[ItemDraft],
    since: datetime | None,
    until: datetime,
    subject: Mapping[str, str] | None = None,
) -> Newsletter:
    """Write a draft edition and its items (each source once, those without a title left
    out; texts too long cut to fit)."""
    subjects = {c: _one_line((subject or {}).get(c))[:200] for c in FIELD_LANGUAGES}
    if not any(subjects.values()):
        subjects = {c: v[:200] for c, v in _default_subject(area, until).items()}
    newsletter = Newsletter.objects.create(
        area=area, since=since, until=until, **field_values("subject", subjects)
    )
    seen: set[str] = set()
    rows: list[NewsletterItem] = []
    for draft in items:
        values = _item_fields(draft.titles, draft.bodies)
        if not any(values[f"title_{c}"] for c in FIELD_LANGUAGES):
            continue
        if draft.source and draft.source in seen:
            continue
        seen.add(draft.source)
        for code in FIELD_LANGUAGES:
            values[f"title_{code}"] = values[f"title_{code}"][:ITEM_TITLE_MAX]
            values[f"body_{code}"] = values[f"body_{code}"][:ITEM_BODY_MAX]
        rows.append(
            NewsletterItem(
                newsletter=newsletter,
                position=len(rows) + 1,
                kind=draft.kind if draft.kind in ItemKind.values else ItemKind.NOTE,
                source=draft.source[:60],
                link=draft.link[:300],
                **values,
            )
        )
        if len(rows) >= MAX_ITEMS:
            break
    NewsletterItem.objects.bulk_create(rows)
    return newsletter


def _edition_area_checked(area: Area | None) -> None:
    if area is not None and not selectors.is_edition_area(area):
        raise Invalid(
            {"area": [_("A newsletter goes to a prefecture, a district or the whole country.")]},
            "not_edition_area",
        )


@audited(AuditAction.COMMUNICATION_COMPOSE_NEWSLETTER)
def newsletter_compose(
    *,
    actor: User,
    area: Area | None,
    items: Sequence[ItemDraft],
    since: datetime | None = None,
    until: datetime | None = None,
    subject: Mapping[str, str] | None = None,
) -> Newsletter:
    """A draft edition of ``area`` (None: national) with ``items``, drawn from ``since`` to
    ``until``, for its composer to edit and reorder before sending it. Whoever holds
    ``NEWSLETTER_SEND`` over the area composes it (national: national communication)."""
    policy.require_newsletter(actor, area.pk if area else None)
    _edition_area_checked(area)
    end = until or timezone.now()
    newsletter = _compose(area=area, items=items, since=since, until=end, subject=subject)
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_COMPOSE_NEWSLETTER,
        target=newsletter,
        area_id=area.pk if area else None,
        details={"items": newsletter.items.count()},
    )
    return newsletter


def _locked_draft(actor: User, newsletter: Newsletter) -> Newsletter:
    policy.require_newsletter(actor, newsletter.area_id)
    locked = Newsletter.objects.select_for_update().filter(pk=newsletter.pk).first()
    if locked is None:
        raise NotFound
    if not locked.is_draft:
        raise Invalid(
            {"newsletter": [_("This edition has been sent: it can no longer change.")]},
            "not_draft",
        )
    return locked


def _item_errors(values: Mapping[str, str]) -> list[Any]:
    errors: list[Any] = []
    if not any(values[f"title_{c}"] for c in FIELD_LANGUAGES):
        errors.append(_("Give each item a title in at least one language, or remove it."))
    for code in FIELD_LANGUAGES:
        if values[f"body_{code}"] and not values[f"title_{code}"]:
            errors.append(_("A text needs its title in the same language."))
            break
    if any(len(values[f"title_{c}"]) > ITEM_TITLE_MAX for c in FIELD_LANGUAGES):
        errors.append(_("A title has at most 200 characters."))
    if any(len(values[f"body_{c}"]) > ITEM_BODY_MAX for c in FIELD_LANGUAGES):
        errors.append(_("An item's text has at most 2000 characters."))
    return errors


@audited(AuditAction.COMMUNICATION_EDIT_NEWSLETTER)
def newsletter_edit(
    *,
    actor: User,
    newsletter: Newsletter,
    subject: Mapping[str, str],
    changes: Sequence[ItemChange] = (),
    note: ItemDraft | None = None,
) -> Newsletter:
    """Change a draft edition: its subject, each item's texts and place (items are numbered
    again from 1 in the order given, ties kept in their former order), items removed, and a
    note added at the end. An item of another edition is ignored."""
    newsletter = _locked_draft(actor, newsletter)
    errors: dict[str, list[Any]] = {}
    subjects = {c: _one_line(subject.get(c)) for c in FIELD_LANGUAGES}
    if not any(subjects.values()):
        errors["subject"] = [_("Give the newsletter a subject.")]
    elif any(len(v) > 200 for v in subjects.values()):
        errors["subject"] = [_("A subject has at most 200 characters.")]
    items = {i.pk: i for i in newsletter.items.all()}
    places = {pk: (item.position, 0) for pk, item in items.items()}
    removed: set[int] = set()
    for change in changes:
        item = items.get(change.item_id)
        if item is None:
            continue
        if change.remove:
            removed.add(item.pk)
            continue
        values = _item_fields(change.titles, change.bodies)
        found = _item_errors(values)
        if found:
            errors[f"item-{item.pk}"] = found
            continue
        for name, value in values.items():
            setattr(item, name, value)
        places[item.pk] = (max(min(change.position, 10_000), 0), item.position)
    added = None
    if note is not None:
        values = _item_fields(note.titles, note.bodies)
        if any(values.values()):
            found = _item_errors(values)
            if found:
                errors["note"] = found
            else:
                added = NewsletterItem(newsletter=newsletter, kind=ItemKind.NOTE, **values)
    kept = [item for pk, item in items.items() if pk not in removed]
    if len(kept) + (added is not None) > MAX_ITEMS:
        errors["note"] = [_("An edition holds at most %(n)s items.") % {"n": MAX_ITEMS}]
    if errors:
        raise Invalid(errors, "invalid_edition")
    NewsletterItem.objects.filter(newsletter=newsletter, pk__in=removed).delete()
    kept.sort(key=lambda item: (*places[item.pk], item.pk))
    if added is not None:
        kept.append(added)
    for position, item in enumerate(kept, start=1):
        item.position = position
        item.save()
    for code, value in subjects.items():
        setattr(newsletter, f"subject_{code}", value)
    newsletter.save(update_fields=["subject_ar", "subject_fr", "subject_en"])
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_EDIT_NEWSLETTER,
        target=newsletter,
        area_id=newsletter.area_id,
        details={"items": len(kept)},
    )
    return newsletter


@audited(AuditAction.COMMUNICATION_DISCARD_NEWSLETTER)
def newsletter_discard(*, actor: User, newsletter: Newsletter) -> Newsletter:
    """Drop a draft edition that will not be sent (a sent one stays, with its copies)."""
    newsletter = _locked_draft(actor, newsletter)
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_DISCARD_NEWSLETTER,
        target=newsletter,
        area_id=newsletter.area_id,
        details={"items": newsletter.items.count()},
    )
    pk = newsletter.pk
    newsletter.delete()
    newsletter.pk = pk  # what was discarded, for the caller's message
    return newsletter


def _queue(newsletter: Newsletter) -> int:
    """Queue one copy per subscriber of the edition's area (the national edition: those who
    chose no area), then, after the commit, the background sending."""
    newsletter.queued_at = timezone.now()
    newsletter.save(update_fields=["queued_at"])
    readers = selectors.edition_readers(newsletter.area).values_list("pk", flat=True)
    deliveries = NewsletterDelivery.objects.bulk_create(
        (NewsletterDelivery(newsletter=newsletter, subscriber_id=pk) for pk in readers.iterator()),
        batch_size=1000,
    )
    pk = newsletter.pk
    transaction.on_commit(lambda: _enqueue_newsletter(pk))
    return len(deliveries)


@audited(AuditAction.COMMUNICATION_SEND_NEWSLETTER)
def newsletter_edition_send(*, actor: User, newsletter: Newsletter) -> Newsletter:
    """Send a draft edition to its area's subscribers, once (a second click finds it sent)."""
    newsletter = _locked_draft(actor, newsletter)
    if not newsletter.items.exists():
        raise Invalid({"items": [_("Add at least one item before sending.")]}, "empty_edition")
    if not any(newsletter.translations("subject").values()):
        raise Invalid({"subject": [_("Give the newsletter a subject.")]}, "no_subject")
    recipients = _queue(newsletter)
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_SEND_NEWSLETTER,
        target=newsletter,
        area_id=newsletter.area_id,
        details={"recipients": recipients},
    )
    return newsletter


@audited(AuditAction.COMMUNICATION_SEND_NEWSLETTER)
def newsletter_send(
    *, actor: User, subject: Texts, articles: Sequence[Article], area: Area | None = None
) -> Newsletter:
    """Send published articles at once as an edition of ``area`` (None: the national one),
    without a draft: one copy per subscriber of that edition, sent by a background task, once
    each."""
    policy.require_newsletter(actor, area.pk if area else None)
    _edition_area_checked(area)
    subjects = texts_of(subject)
    if not any(subjects.values()):
        raise ValidationError({"subject": [_("Give the newsletter a subject.")]})
    live = [a for a in articles if a.status == ArticleStatus.PUBLISHED]
    if not live:
        raise ValidationError({"articles": [_("Choose at least one published article.")]})
    newsletter = _compose(
        area=area,
        items=[article_item(a) for a in live],
        since=None,
        until=timezone.now(),
        subject=subjects,
    )
    recipients = _queue(newsletter)
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_SEND_NEWSLETTER,
        target=newsletter,
        area_id=area.pk if area else None,
        details={"recipients": recipients},
    )
    return newsletter


def _enqueue_newsletter(newsletter_id: int) -> None:
    from qurb.communication.tasks import send_newsletter

    send_newsletter.enqueue(newsletter_id)
