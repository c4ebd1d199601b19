"""Writes for the communication cells: events (venues, stands, programme, tickets, check-in),
school awareness sessions, news with its publication workflow, and the newsletter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability, require
from qurb.accounts.models import User
from qurb.areas.models import Area, Place, PlaceKind
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.communication import pagecache, policy, selectors, ticketcodes
from qurb.communication.models import (
    Article,
    ArticleStatus,
    CheckIn,
    Event,
    EventKind,
    Newsletter,
    NewsletterDelivery,
    NewsletterSubscriber,
    ProgrammeItem,
    SchoolSession,
    Stand,
    Ticket,
    Topic,
    Venue,
    VisitorKind,
)
from qurb.core import optin
from qurb.core.errors import Refused
from qurb.core.text import Texts, field_values, languages_of, texts_of


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
    return article


# --- newsletter -------------------------------------------------------------------------------


def newsletter_subscribe(*, email: str, language: str = "ar") -> NewsletterSubscriber:
    """Double opt-in: nothing is sent before the address confirms."""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Give a valid e-mail address.")]}) from None
    with transaction.atomic():
        subscriber, created = NewsletterSubscriber.objects.get_or_create(
            email=email.strip().lower(), defaults={"language": language}
        )
        if not created and not subscriber.active:
            subscriber.active = True
            subscriber.confirmed_at = None
            subscriber.save(update_fields=["active", "confirmed_at"])
        # At most one confirmation e-mail per address a day, whoever asks for it.
        if subscriber.confirmed_at is None and optin.confirmation_due(subscriber.email):
            transaction.on_commit(lambda: _enqueue_confirmation(subscriber.pk))
    return subscriber


def _enqueue_confirmation(subscriber_id: int) -> None:
    from qurb.communication.tasks import send_newsletter_confirmation

    send_newsletter_confirmation.enqueue(subscriber_id, timezone.now().isoformat())


def newsletter_confirm(token: str) -> NewsletterSubscriber | None:
    return optin.confirm(NewsletterSubscriber.objects.all(), token)


def newsletter_unsubscribe(token: str) -> NewsletterSubscriber | None:
    return optin.leave(NewsletterSubscriber.objects.all(), token)


@audited(AuditAction.COMMUNICATION_SEND_NEWSLETTER)
def newsletter_send(*, actor: User, subject: str, articles: Sequence[Article]) -> Newsletter:
    """Queue one copy per confirmed subscriber; a background task sends them, once each.
    The newsletter goes to every subscriber: national communication sends it."""
    if not policy.is_national(actor, Capability.NEWSLETTER_SEND):
        raise Refused("out_of_scope")
    if not subject.strip():
        raise ValidationError({"subject": [_("Give the newsletter a subject.")]})
    live = [a for a in articles if a.status == ArticleStatus.PUBLISHED]
    if not live:
        raise ValidationError({"articles": [_("Choose at least one published article.")]})
    newsletter = Newsletter.objects.create(subject=subject.strip()[:200])
    newsletter.articles.set(live)
    deliveries = NewsletterDelivery.objects.bulk_create(
        NewsletterDelivery(newsletter=newsletter, subscriber_id=pk)
        for pk in NewsletterSubscriber.objects.filter(
            active=True, confirmed_at__isnull=False
        ).values_list("pk", flat=True)
    )
    audit_record(
        actor=actor,
        action=AuditAction.COMMUNICATION_SEND_NEWSLETTER,
        target=newsletter,
        details={"recipients": len(deliveries)},
    )
    transaction.on_commit(lambda: _enqueue_newsletter(newsletter.pk))
    return newsletter


def _enqueue_newsletter(newsletter_id: int) -> None:
    from qurb.communication.tasks import send_newsletter

    send_newsletter.enqueue(newsletter_id)
