"""Mail printed to the console, for a person to read: the demo's (and a developer's) outbox.

Django's console backend prints each message as it would travel, so an Arabic subject reads
``=?utf-8?b?2KrYrdiv2YrYqw==?=`` and a long body comes out in base64 or quoted-printable.
This one prints the headers decoded and every text part as text, and names the attachments.
"""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend

# How the message travels, not what it says.
HIDDEN_HEADERS = {"content-type", "content-transfer-encoding", "mime-version", "message-id"}


class ConsoleBackend(EmailBackend):
    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(readable(message))
        self.stream.write("-" * 79 + "\n")


def readable(message: EmailMessage) -> str:
    """``message`` as a person reads it: headers, then each text part decoded."""
    mime = message.message()
    lines = [
        f"{name}: {make_header(decode_header(str(value)))}"
        for name, value in mime.items()
        if name.lower() not in HIDDEN_HEADERS
    ]
    for part in mime.walk():
        if part.is_multipart():
            continue
        lines.append("")
        lines.extend(_part(part))
    return "\n".join(lines) + "\n"


def _part(part: Message) -> list[str]:
    content_type = part.get_content_type()
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    filename = part.get_filename()
    if filename or part.get_content_maintype() != "text":
        return [f"[attachment: {filename or 'unnamed'}, {content_type}, {len(data)} bytes]"]
    text = data.decode(part.get_content_charset() or "utf-8", errors="replace")
    label = [] if content_type == "text/plain" else [f"[{content_type}]"]
    return [*label, text.rstrip("\n")]
