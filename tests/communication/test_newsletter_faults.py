"""A newsletter through a real SMTP server (aiosmtpd on loopback): one address the server
refuses does not stop the others, the newsletter is marked sent once every copy is done, and
a mail server that is down is tried again later instead of dropping the rest."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.core.management import call_command

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.communication.models import (
    Newsletter,
    NewsletterDelivery,
    NewsletterSubscriber,
)
from qurb.communication.services import article_move, article_save, newsletter_send
from qurb.communication.tasks import NEWSLETTER_ATTEMPTS

pytestmark = pytest.mark.django_db


class Refusing:
    """Accepts every recipient but ``bad@…`` (550), and keeps what it was given."""

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("bad@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.delivered += envelope.rcpt_tos
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[Refusing, int]]:
    handler = Refusing()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }
    yield handler, port
    controller.stop()


def _newsletter(emails: list[str], captured: Any) -> Newsletter:
    for email in emails:
        NewsletterSubscriber.objects.create(email=email, confirmed_at="2026-01-01T00:00Z")
    cell = User.objects.get(username="cell.fes")
    article = article_save(
        actor=cell,
        area=Area.objects.get(code="03.231"),
        texts={"fr": {"title": "Bilan", "summary": "Le bilan.", "body": "Le bilan."}},
    )
    article_move(actor=cell, article=article, status="published")
    with captured(execute=True):
        return newsletter_send(
            actor=User.objects.get(username="admin"), subject="Lettre", articles=[article]
        )


def test_a_refused_address_does_not_stop_the_others(
    smtp: tuple[Refusing, int], task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    handler, _port = smtp
    newsletter = _newsletter(
        ["a@example.org", "bad@example.org", "c@example.org"], django_capture_on_commit_callbacks
    )
    call_command("worker", batch=True)
    assert sorted(handler.delivered) == ["a@example.org", "c@example.org"]
    refused = NewsletterDelivery.objects.get(subscriber__email="bad@example.org")
    assert refused.sent_at is None
    assert refused.error.startswith("refused")
    newsletter.refresh_from_db()
    assert newsletter.sent_at is not None  # every copy is done: sent, or given up
    call_command("worker", batch=True)
    assert len(handler.delivered) == 2  # nothing twice


def test_a_mail_server_that_is_down_is_tried_again_later(
    settings: Any, task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _free_port(), "timeout": 2},  # nobody
        }
    }
    newsletter = _newsletter(["d@example.org", "e@example.org"], django_capture_on_commit_callbacks)
    call_command("worker", batch=True)
    copies = NewsletterDelivery.objects.filter(newsletter=newsletter)
    assert [(c.sent_at, c.attempts, c.error) for c in copies] == [(None, 1, ""), (None, 1, "")]
    newsletter.refresh_from_db()
    assert newsletter.sent_at is None
    later = DBTaskResult.objects.get(
        task_path="qurb.communication.tasks.send_newsletter_chunk", status="READY"
    )
    assert later.run_after is not None  # the chunk comes back later, for both copies
    assert NEWSLETTER_ATTEMPTS > 1
