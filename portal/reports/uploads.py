"""Photos arriving with a web form: re-encoded and stored before the form is even valid.

Storing them at once lets a form that comes back with an error (or asks which municipality)
keep the photos: the page carries their random names, not their bytes, and the resident does
not send them again on a weak connection. Files that no report claims are removed by
``clean_orphans``.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from flask import current_app
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal.db import end_reading
from portal.i18n import _
from portal.reports.photos import MAX_PHOTOS, PhotoError, PhotoStore, reencode

#: A kept photo's name must be one the portal made (photos.PhotoStore), never a path.
ORPHAN_AGE_SECONDS = 24 * 3600


def store() -> PhotoStore:
    return PhotoStore(current_app.config["UPLOAD_DIR"])


def photo_error_message(error: PhotoError) -> str:
    if error.code == "too_large":
        return _("This photo is larger than 10 MB. Choose a smaller one.")
    if error.code == "unsupported":
        return _("This file type is not accepted. Send a JPEG, PNG or WebP photo.")
    if error.code == "too_many_pixels":
        return _("This image is too large to be processed. Send a smaller photo.")
    return _("This file is not a photo the portal can read. Send a JPEG, PNG or WebP photo.")


def accept_uploads(files: Iterable[FileStorage], kept: list[str]) -> tuple[list[str], list[str]]:
    """Re-encode and store new uploads; returns (all photo names, error messages).

    When there is something to re-encode, the caller's reading transaction ends first: the
    database is never held while photos are re-encoded (see ``portal.db.end_reading``).
    """
    names = [name for name in kept if store().exists(name)][:MAX_PHOTOS]
    errors: list[str] = []
    new = [upload for upload in files if upload and upload.filename]  # empty parts: no file
    if new:
        end_reading()
    for upload in new:
        if len(names) >= MAX_PHOTOS:
            errors.append(_("Add at most %(max)s photos.", max=MAX_PHOTOS))
            break
        try:
            names.append(store().save(reencode(upload.stream)))
        except PhotoError as error:
            errors.append(f"{upload.filename[:80]}: {photo_error_message(error)}")
    return names, errors


def photo_size(name: str) -> tuple[int, int]:
    """Width and height of a stored photo (reads only the header)."""
    with Image.open(store().path(name)) as image:
        return image.size


def clean_orphans(claimed: set[str], now: float | None = None) -> int:
    """Delete stored photos older than a day that no report refers to."""
    now = now or time.time()
    removed = 0
    directory = store().directory
    if not directory.is_dir():
        return 0
    for path in directory.glob("*.jpg"):
        if path.name not in claimed and now - path.stat().st_mtime > ORPHAN_AGE_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
