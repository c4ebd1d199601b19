"""Communication e-mails as background tasks: tickets, newsletter confirmations (and the link
to a subscriber's preferences) and the newsletter itself, in chunks that many workers share,
each copy sent once; and the workers' sweep that makes scheduled articles public."""

from __future__ import annotations

import functools
import smtplib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.communication.models import (
    Newsletter,
    NewsletterDelivery,
    NewsletterItem,
    NewsletterSubscriber,
    Ticket,
)
from qurb.core.bidi import isolate
from qurb.core.links import absolute
from qurb.core.optin import already_sent


@task()
def send_newsletter_confirmation(subscriber_id: int, requested_at: str = "") -> bool:
    """Sent once per request (``requested_at``): run twice, the second run finds it
    stamped."""
    with transaction.atomic():
        subscriber = (
            NewsletterSubscriber.objects.select_for_update()
            .filter(pk=subscriber_id, confirmed_at__isnull=True, active=True)
            .first()
        )
        if subscriber is None or already_sent(subscriber.confirmation_sent_at, requested_at):
            return False
        link = absolute(reverse("communication:newsletter_confirm", args=[subscriber.token]))
        with translation.override(subscriber.language):
            subject = _("Confirm your subscription to the newsletter")
            body = _(
                "Confirm that you want the police's newsletter at this address: %(link)s\n"
                "If it was not you, ignore this message."
            ) % {"link": link}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscriber.email])
        subscriber.confirmation_sent_at = timezone.now()
        subscriber.save(update_fields=["confirmation_sent_at"])
    return True


@task()
def send_newsletter_preferences(subscriber_id: int) -> bool:
    """An address already subscribed asked again: the link to choose its areas goes to the
    address itself (never to whoever asked), at most once a day (``optin``)."""
    subscriber = NewsletterSubscriber.objects.filter(
        pk=subscriber_id, confirmed_at__isnull=False, active=True
    ).first()
    if subscriber is None:
        return False
    link = absolute(reverse("communication:newsletter_preferences", args=[subscriber.token]))
    with translation.override(subscriber.language):
        subject = _("Your subscription to the newsletter")
        body = _(
            "This address already receives the police's newsletter. To choose the areas whose "
            "newsletter you receive, open: %(link)s\n"
            "If it was not you who asked, ignore this message: nothing changes."
        ) % {"link": link}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscriber.email])
    return True


def sweep() -> int:
    """Part of the workers' safety net (``qurb.core.sweeper``): scheduled articles whose time
    came are published and announced, each once whatever the number of sweepers."""
    from qurb.communication.services import articles_publish_due

    return len(articles_publish_due())


NEWSLETTER_CHUNK = 200  # copies per task: a worker's share, sent one copy at a time


@task()
def send_newsletter(newsletter_id: int) -> int:
    """Split the unsent copies into chunks, each its own task, so that many workers share
    them; a chunk run twice sends nothing twice. Returns how many chunks were dispatched."""
    pending = list(
        NewsletterDelivery.objects.filter(
            newsletter_id=newsletter_id, sent_at__isnull=True, error=""
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for i in range(0, len(pending), NEWSLETTER_CHUNK):
        part = pending[i : i + NEWSLETTER_CHUNK]
        send_newsletter_chunk.enqueue(newsletter_id, part[0], part[-1])
    if not pending:
        _finish(newsletter_id)
    return -(-len(pending) // NEWSLETTER_CHUNK)


NEWSLETTER_ATTEMPTS = 5


@task()
def send_newsletter_chunk(newsletter_id: int, first: int, last: int) -> int:
    """Send the unsent copies ``first``…``last``: each is locked, sent and stamped in one
    transaction, so a worker killed mid-send leaves it unsent (sent again: at most that one
    copy twice) and a chunk run again skips what was stamped. An address the mail server
    refuses is given up at once; a mail server that fails is tried again later (the chunk
    comes back), up to ``NEWSLETTER_ATTEMPTS`` times."""
    newsletter = Newsletter.objects.filter(pk=newsletter_id).first()
    if newsletter is None:
        return 0
    items = list(newsletter.items.all())
    # The edition's text is the same for every reader of a language: built once per chunk.
    bodies = functools.cache(lambda language: _body(items, language))
    sent, again = 0, 0
    pending = list(
        NewsletterDelivery.objects.filter(
            newsletter=newsletter, sent_at__isnull=True, error="", pk__gte=first, pk__lte=last
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    try:
        for pk in pending:
            try:
                sent += _send_copy(newsletter, bodies, pk)
            except smtplib.SMTPRecipientsRefused as exc:
                NewsletterDelivery.objects.filter(pk=pk).update(
                    error=f"refused: {exc.recipients}"[:200]
                )
            except OSError as exc:  # the mail server failed or could not be reached
                tries = NewsletterDelivery.objects.get(pk=pk).attempts + 1
                NewsletterDelivery.objects.filter(pk=pk).update(
                    attempts=tries,
                    error=type(exc).__name__ if tries >= NEWSLETTER_ATTEMPTS else "",
                )
                again = max(again, tries) if tries < NEWSLETTER_ATTEMPTS else again
    finally:
        _finish(newsletter_id)
    if again:
        send_newsletter_chunk.using(
            run_after=timezone.now() + timedelta(minutes=5 * again)
        ).enqueue(newsletter_id, first, last)
    return sent


def _body(items: list[NewsletterItem], language: str) -> str:
    """The edition's items in ``language`` (each in the next language that has it, else)."""
    parts = []
    for item in items:
        title, text = item.texts_in(language)
        lines = [title, *([text] if text else []), *([absolute(item.link)] if item.link else [])]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _send_copy(newsletter: Newsletter, bodies: Callable[[str], str], pk: int) -> int:
    with transaction.atomic():
        delivery = (
            NewsletterDelivery.objects.select_for_update()
            .select_related("subscriber")
            .filter(pk=pk, sent_at__isnull=True, error="")
            .first()
        )
        if delivery is None or not delivery.subscriber.active:
            return 0
        subscriber = delivery.subscriber
        leave = absolute(reverse("communication:newsletter_unsubscribe", args=[subscriber.token]))
        areas = absolute(reverse("communication:newsletter_preferences", args=[subscriber.token]))
        with translation.override(subscriber.language):
            body = (
                bodies(subscriber.language)
                + "\n"
                + _("Choose the areas whose newsletter you receive: %(link)s") % {"link": areas}
                + "\n"
                + _("Unsubscribe in one click: %(link)s") % {"link": leave}
            )
        EmailMessage(
            newsletter.localized("subject", subscriber.language),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [subscriber.email],
            headers={
                "List-Unsubscribe": f"<{leave}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        ).send()
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["sent_at"])
    return 1


def _finish(newsletter_id: int) -> None:
    """The newsletter is sent once no copy waits (sent, given up, or its subscriber left)."""
    waiting = NewsletterDelivery.objects.filter(
        newsletter_id=newsletter_id, sent_at__isnull=True, error="", subscriber__active=True
    )
    if not waiting.exists():
        Newsletter.objects.filter(pk=newsletter_id, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )


@task()
def send_ticket(ticket_id: int, language: str = "ar") -> bool:
    """The ticket's link by e-mail (the QR code is on the page the link opens), once."""
    with transaction.atomic():
        found = (
            Ticket.objects.select_for_update()
            .select_related("event")
            .filter(pk=ticket_id, mailed_at__isnull=True)
            .exclude(email="")
            .first()
        )
        if found is None:
            return False
        link = absolute(reverse("communication:ticket", args=[found.event.slug, found.code]))
        with translation.override(language):
            event = isolate(found.event.title)  # its own direction inside the sentence
            subject = _("Your ticket: %(event)s") % {"event": event}
            body = _(
                "Your free ticket for %(event)s. Show the QR code on this page at the gate: "
                "%(link)s"
            ) % {"event": event, "link": link}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [found.email])
        found.mailed_at = timezone.now()
        found.save(update_fields=["mailed_at"])
    return True
