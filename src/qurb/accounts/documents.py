"""Documents an association sends with its application, made safe rather than scanned.

A PDF is parsed with pikepdf (qpdf), which reads every object, object streams included,
and decodes every stream through its filters. The document is refused when any object
carries active content or a way out: scripts, open or additional actions, launch, form
submission, data import, remote go-to, links, embedded or attached files, forms (AcroForm,
XFA) or rich media. An encrypted or unreadable PDF is refused, and so is one of more than
MAX_PAGES pages. Staff never open what was sent: each page is rendered to pixels with
PDFium and a new PDF is written from those images (as photos are re-encoded); the original
is kept only for the legal record. A photo of a paper goes through the photo pipeline, which
keeps only its pixels. Files are stored under random names and served only to the verifiers
(as attachments, never displayed inline).
"""

from __future__ import annotations

import io
import re
import secrets
import zlib
from dataclasses import dataclass
from typing import IO

import pikepdf
import pypdfium2
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image

from qurb.core.errors import Invalid
from qurb.core.photos import photo_clean

MAX_PAGES = 20
RENDER_DPI = 150
RENDER_MAX_SIDE = 2000  # pixels, whatever size a page claims (memory: MAX_PAGES of them)
DECODE_LIMIT = 64 * 1024 * 1024  # bytes decoded in all, against compression bombs
LZW_MAX_RATIO = 2800  # the most a 9-to-12-bit LZW code stream can expand
FLATE_MAX_RATIO = 1032  # the same for Deflate

# Keys of a dictionary that make a PDF act or reach outside itself.
ACTIVE_KEYS = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/URI",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/AcroForm",
        "/XFA",
        "/RichMedia",
    }
)
# Names (action types, annotation subtypes, object types) that do the same.
ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/URI",
        "/EmbeddedFile",
        "/FileAttachment",
        "/RichMedia",
        "/XFA",
    }
)
# The same names written inside decoded stream data (a script or action kept as text).
ACTIVE_TEXT = re.compile(
    rb"/(JavaScript|JS|OpenAction|AA|Launch|SubmitForm|ImportData|GoToR|GoToE|URI|"
    rb"EmbeddedFiles?|FileAttachment|AcroForm|XFA|RichMedia)(?![A-Za-z0-9_.#-])"
)
NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Streams whose decoded data is pixels or glyphs, not PDF syntax.
OPAQUE_SUBTYPES = frozenset({"/Image", "/Type1C", "/CIDFontType0C", "/OpenType"})

ENCRYPTED = _("This PDF is encrypted and cannot be checked; send it without a password.")
UNREADABLE = _("This PDF cannot be read; send it again, or photos of its pages.")
ACTIVE = _("This PDF contains scripts, actions, forms, links or attached files; send a plain PDF.")


@dataclass(frozen=True)
class CleanDocument:
    data: bytes  # what staff open: a photo re-encoded, or a PDF rebuilt from pixels
    content_type: str
    extension: str
    original: bytes | None = None  # the PDF as sent, kept for the legal record only


def _carries_active(value: pikepdf.Object) -> bool:
    """True when this object, or a direct object inside it, carries an active key or name.
    Indirect objects are not followed: the caller visits each of them."""
    stack = [value]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Name):
            if str(obj) in ACTIVE_NAMES:
                return True
        elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            for key in obj.keys():  # noqa: SIM118 (a pikepdf object, not a dict)
                if key in ACTIVE_KEYS:
                    return True
                item = obj.get(key)
                if isinstance(item, pikepdf.Object) and not item.is_indirect:
                    stack.append(item)
        elif isinstance(obj, pikepdf.Array):
            stack.extend(
                item for item in obj if isinstance(item, pikepdf.Object) and not item.is_indirect
            )
    return False


def _fits(stream: pikepdf.Stream, budget: int) -> bool:
    """Whether decoding the stream stays within `budget` bytes, found before qpdf decodes it
    all at once: Flate layers are inflated with a bound, hex layers decoded, ASCII85 layers
    (which only shrink) keep the bound, and LZW and RunLength are bounded by how much they
    can expand."""
    filters = stream.get("/Filter", pikepdf.Array())
    chain = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
    raw = stream.read_raw_bytes()
    data: bytes | None = raw
    size = len(raw)
    for name in chain:
        if data is not None and name in {"/FlateDecode", "/Fl"}:
            inflated = zlib.decompressobj().decompress(data, budget + 1)
            data, size = inflated, len(inflated)
        elif data is not None and name in {"/ASCIIHexDecode", "/AHx"}:
            digits = re.sub(rb"\s", b"", data.split(b">", 1)[0])
            try:
                data = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                data = None  # qpdf will say it cannot be read
            size = len(data) if data is not None else size
        elif name in {"/LZWDecode", "/LZW"}:
            data, size = None, size * LZW_MAX_RATIO
        elif name in {"/RunLengthDecode", "/RL"}:
            data, size = None, size * 128
        elif name in {"/FlateDecode", "/Fl"}:
            size *= FLATE_MAX_RATIO  # after a layer whose bytes are not known
        elif name not in {"/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"}:
            return True  # not decoded by qpdf at this level: read_bytes refuses it
        else:
            data = None
        if size > budget:
            return False
    return True


def _stream_text(stream: pikepdf.Stream, budget: int) -> bytes | None:
    """The stream's data decoded through all its filters; None for pixels and glyphs."""
    if str(stream.get("/Subtype", "")) in OPAQUE_SUBTYPES or "/Length1" in stream:
        return None
    try:
        if not _fits(stream, budget):
            raise Invalid(UNREADABLE, code="document_unreadable")
        return stream.read_bytes(decode_level=pikepdf.StreamDecodeLevel.generalized)
    except (pikepdf.PdfError, zlib.error):
        raise Invalid(UNREADABLE, code="document_unreadable") from None


def _pdf_check(raw: bytes) -> int:
    """Refuse an unreadable, encrypted, too long or active PDF; return its page count."""
    try:
        pdf = pikepdf.open(io.BytesIO(raw))
    except pikepdf.PasswordError:
        raise Invalid(ENCRYPTED, code="document_encrypted") from None
    except (pikepdf.PdfError, ValueError, RecursionError):
        raise Invalid(UNREADABLE, code="document_unreadable") from None
    with pdf:
        if pdf.is_encrypted:
            raise Invalid(ENCRYPTED, code="document_encrypted")
        try:
            pages = len(pdf.pages)
        except pikepdf.PdfError:
            raise Invalid(UNREADABLE, code="document_unreadable") from None
        if pages > MAX_PAGES:
            raise Invalid(
                _("A PDF may have at most %(n)s pages.") % {"n": MAX_PAGES},
                code="document_pages",
            )
        budget = DECODE_LIMIT
        for obj in [pdf.trailer, *pdf.objects]:
            if _carries_active(obj):
                raise Invalid(ACTIVE, code="document_active")
            if isinstance(obj, pikepdf.Stream):
                text = _stream_text(obj, budget)
                if text is None:
                    continue
                budget -= len(text)
                if budget < 0:
                    raise Invalid(UNREADABLE, code="document_unreadable")
                unescaped = NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text)
                if ACTIVE_TEXT.search(unescaped):
                    raise Invalid(ACTIVE, code="document_active")
    return pages


def _pdf_rebuilt(raw: bytes) -> bytes:
    """A new PDF made of images of the pages: no text, fonts, objects or actions of the
    original reach the staff who open it."""
    out = io.BytesIO()
    try:
        source = pypdfium2.PdfDocument(raw)
    except pypdfium2.PdfiumError:
        raise Invalid(UNREADABLE, code="document_unreadable") from None
    try:
        images: list[Image.Image] = []
        for index in range(len(source)):
            page = source[index]
            width, height = page.get_size()
            scale = min(RENDER_DPI / 72, RENDER_MAX_SIDE / max(width, height, 1.0))
            images.append(page.render(scale=scale).to_pil().convert("RGB"))
            page.close()
    except (pypdfium2.PdfiumError, ValueError, OSError):
        raise Invalid(UNREADABLE, code="document_unreadable") from None
    finally:
        source.close()
    if not images:  # a PDF with no page: an empty PDF, nothing of the original
        pikepdf.new().save(out)
        return out.getvalue()
    images[0].save(
        out, "PDF", save_all=True, append_images=images[1:], resolution=float(RENDER_DPI)
    )
    return out.getvalue()


def document_clean(upload: IO[bytes]) -> CleanDocument:
    """Accept a PDF or a photo; raise ValidationError saying why anything else is refused."""
    max_bytes: int = settings.ASSOCIATION_DOCUMENT_MAX_BYTES
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Invalid(
            _("A document may be at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="document_too_large",
        )
    if raw.startswith(b"%PDF-"):
        _pdf_check(raw)
        return CleanDocument(_pdf_rebuilt(raw), "application/pdf", "pdf", original=raw)
    try:
        photo = photo_clean(io.BytesIO(raw))
    except ValidationError:
        raise Invalid(
            _("Send a PDF, or a JPEG, PNG or WebP photo of the document."),
            code="document_format",
        ) from None
    return CleanDocument(photo.data, "image/jpeg", "jpg")


def document_store(document: CleanDocument) -> tuple[str, str]:
    """Store the staff copy and, for a PDF, the original; return both names ("" for none)."""
    token = secrets.token_urlsafe(24)
    name = default_storage.save(
        f"association-documents/{token}.{document.extension}", ContentFile(document.data)
    )
    original = ""
    if document.original is not None:
        original = default_storage.save(
            f"association-documents/originals/{token}.{document.extension}",
            ContentFile(document.original),
        )
    return name, original
