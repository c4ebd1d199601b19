"""Documents an association sends with its application, checked by content.

A PDF is kept as sent, once it is known to be a PDF without active content (scripts, launch
actions, embedded files). A photo of a paper goes through the photo pipeline, which keeps
only its pixels. Files are stored under random names and served only to the verifiers.
"""

from __future__ import annotations

import io
import re
import secrets
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
        if ACTIVE_PDF.search(raw):
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
