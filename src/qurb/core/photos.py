"""The photo pipeline: decide by content, bound the pixels, re-encode, forget the metadata.

Nothing of the uploaded file is kept: not its name, not its bytes, not its EXIF/GPS/XMP
blocks. What is stored is a fresh JPEG drawn from the decoded pixels, under a random name.
Nor is it logged: Pillow's EXIF reader logs every tag it reads at DEBUG (artist, owner, GPS).
"""

from __future__ import annotations

import io
import logging
import secrets
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


class _NoTagValues(logging.Filter):
    """Drop Pillow's DEBUG trace of the tags it reads, whatever level the logger is set to."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger("PIL.TiffImagePlugin").addFilter(_NoTagValues())


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int


def photo_clean(upload: IO[bytes]) -> CleanPhoto:
    """Decode, check and re-encode one photo; raise ValidationError saying why it was refused."""
    max_bytes: int = settings.REPORT_PHOTO_MAX_BYTES
    max_pixels: int = settings.REPORT_PHOTO_MAX_PIXELS
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValidationError(
            _("A photo may be at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="photo_too_large",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw))
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("This file is not a JPEG, PNG or WebP photo."), code="photo_format"
                )
            width, height = image.size
            if width * height > max_pixels or getattr(image, "n_frames", 1) > 1:
                raise ValidationError(
                    _("This photo is too large (at most %(mp)s megapixels, one frame).")
                    % {"mp": max_pixels // 1_000_000},
                    code="photo_pixels",
                )
            image.load()
            image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("This photo is too large (at most %(mp)s megapixels, one frame).")
            % {"mp": max_pixels // 1_000_000},
            code="photo_pixels",
        ) from None
    except Exception:  # any decoder failure: truncated, corrupt or disguised files
        raise ValidationError(
            _("This file could not be read as a photo."), code="photo_unreadable"
        ) from None
    if image.mode not in {"RGB", "L"}:
        image = image.convert("RGB")
    # A new image from the pixels alone: no info dict, no EXIF, no ICC, no XMP travels along.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return CleanPhoto(out.getvalue(), clean.width, clean.height)


def photo_store(photo: CleanPhoto, folder: str = "reports") -> str:
    """Write the clean photo under a random name in ``folder``; returns the storage name."""
    name = f"{folder}/{secrets.token_urlsafe(24)}.jpg"
    return default_storage.save(name, ContentFile(photo.data))
