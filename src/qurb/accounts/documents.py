"""Documents an association sends with its application, checked by content.

A PDF is kept as sent once no active content is found in it (scripts, launch or open
actions, embedded files, forms): names are read with their #xx escapes decoded, and every
Flate-compressed stream (object streams included) is inflated, within a bound, and read too.
An encrypted PDF cannot be read and is refused. A photo of a paper goes through the photo
pipeline, which keeps only its pixels. Files are stored under random names and served only
to the verifiers (as attachments, never displayed inline).
"""

from __future__ import annotations

import io
import re
import secrets
import zlib
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from qurb.core.photos import photo_clean

# PDF names that run something when the file is opened, or carry other files inside it.
ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction|AA|RichMedia|XFA)\b")
NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
INFLATE_LIMIT = 32 * 1024 * 1024  # bytes inflated in all, against compression bombs


def _unescaped(data: bytes) -> bytes:
    return NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _has_active_content(raw: bytes) -> bool:
    if ACTIVE_PDF.search(_unescaped(raw)):
        return True
    budget = INFLATE_LIMIT
    for match in STREAM.finditer(raw):
        if budget <= 0:
            return True  # too much to read: refuse rather than pass unread content
        try:
            inflated = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue  # not Flate (images, fonts in other encodings)
        budget -= len(inflated)
        if ACTIVE_PDF.search(_unescaped(inflated)):
            return True
    return False


@dataclass(frozen=True)
class CleanDocument:
    data: bytes
    content_type: str
    extension: str


def document_clean(upload: IO[bytes]) -> CleanDocument:
    """Accept a PDF or a photo; raise ValidationError saying why anything else is refused."""
    max_bytes: int = settings.ASSOCIATION_DOCUMENT_MAX_BYTES
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValidationError(
            _("A document may be at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="document_too_large",
        )
    if raw.startswith(b"%PDF-"):
        if b"%%EOF" not in raw[-2048:]:
            raise ValidationError(_("This PDF is incomplete."), code="document_truncated")
        if re.search(rb"/Encrypt\b", raw):
            raise ValidationError(
                _("This PDF is encrypted and cannot be checked; send it without a password."),
                code="document_encrypted",
            )
        if _has_active_content(raw):
            raise ValidationError(
                _("This PDF contains scripts, actions or attached files; send a plain PDF."),
                code="document_active",
            )
        return CleanDocument(raw, "application/pdf", "pdf")
    try:
        photo = photo_clean(io.BytesIO(raw))
    except ValidationError:
        raise ValidationError(
            _("Send a PDF, or a JPEG, PNG or WebP photo of the document."),
            code="document_format",
        ) from None
    return CleanDocument(photo.data, "image/jpeg", "jpg")


def document_store(document: CleanDocument) -> str:
    name = f"association-documents/{secrets.token_urlsafe(24)}.{document.extension}"
    return default_storage.save(name, ContentFile(document.data))
