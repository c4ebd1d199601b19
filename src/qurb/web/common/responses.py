"""Responses several apps serve the same way."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse


def private_file(name: str, content_type: str, *, download_as: str = "") -> FileResponse:
    """A stored file for the staff allowed to see it: never sniffed, never cached; inline,
    or as an attachment named ``download_as``. 404 when the file is gone from storage."""
    try:
        stored = default_storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404 from None
    response = FileResponse(
        stored,
        content_type=content_type,
        as_attachment=bool(download_as),
        filename=download_as,
    )
    if not download_as:
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@lru_cache
def _script(path: Path) -> str:
    return path.read_text()


def service_worker(path: Path, scope: str) -> HttpResponse:
    """A service worker script (read once per process) allowed to control ``scope``."""
    response = HttpResponse(_script(path), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope
    return response
