"""The console mailer of the demo prints mail as a person reads it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMultiAlternatives

from qurb.core.mail import ConsoleBackend

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "تحديث بلاغك"  # "An update on your report"
BODY = "تمت معالجة بلاغك من طرف الدائرة الأمنية، شكرا على تعاونك. " * 6  # base64 when sent


def test_headers_and_every_text_part_are_printed_decoded_and_attachments_named() -> None:
    message = EmailMultiAlternatives(
        SUBJECT,
        BODY + "\nhttp://127.0.0.1:8123/track/QRB-1",
        "Qurb <qurb@localhost>",
        ["amina@example.org"],
        headers={"List-Unsubscribe": "<http://127.0.0.1:8123/leave/x>"},
    )
    message.attach_alternative("<p>Réunion de quartier</p>", "text/html")
    message.attach("statuts.pdf", b"%PDF-1.7 demo", "application/pdf")
    assert b"base64" in message.message().as_bytes()  # as it travels: unreadable
    stream = io.StringIO()

    assert ConsoleBackend(stream=stream).send_messages([message]) == 1

    printed = stream.getvalue()
    assert f"Subject: {SUBJECT}\n" in printed
    assert "To: amina@example.org\n" in printed
    assert "List-Unsubscribe: <http://127.0.0.1:8123/leave/x>\n" in printed
    assert BODY.rstrip() in printed
    assert "http://127.0.0.1:8123/track/QRB-1" in printed
    assert "[text/html]\n<p>Réunion de quartier</p>" in printed
    assert "[attachment: statuts.pdf, application/pdf, 13 bytes]" in printed
    assert "base64" not in printed
    assert "=?utf-8?" not in printed
    assert printed.endswith("-" * 79 + "\n")


def test_without_an_smtp_host_mail_goes_to_the_readable_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QURB_EMAIL_HOST"}
    env["QURB_DATA_DIR"] = str(tmp_path)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'qurb.config.settings';"
        " django.setup(); from django.core.mail import mailers;"
        " print(type(mailers.default).__module__, type(mailers.default).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["qurb.core.mail", "ConsoleBackend"]
