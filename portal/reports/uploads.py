"""Photos arriving with a web form: re-encoded and stored once the form itself is right.

Decoding a photo is the costly part of a request, so nothing is decoded for a form that fails
its own checks (CSRF token, robot checks, required fields). Storing the photos of a right form
at once lets it come back with the service's questions (which municipality, a date in the
future) and keep them: the page carries their random names, signed together with the form's
submission key, not their bytes, and the resident does not send them again on a weak
connection. Only the form that uploaded a photo can claim it, and never once a report holds
it. Files that no report claims are removed by ``clean_orphans``.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.db import end_reading
from portal.extensions import db
from portal.i18n import _
from portal.reports.models import ReportPhoto
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
        return _("This image is too large for the portal to process. Send a photo straight from your phone's camera, or a smaller image.")
    if error.code == "heic":
        return _("This photo is in the HEIC format of iPhones, which the portal cannot read. On an iPhone, choose it in “Photo Library” rather than in “Choose File”: it is then sent as a JPEG. On a computer, save it as a JPEG first.")
    return _("This file is not a photo the portal can read. Send a JPEG, PNG or WebP photo.")


def accept_uploads(files: Iterable[FileStorage], kept: list[str]) -> tuple[list[str], list[str]]:
    """Re-encode and store new uploads; returns (all photo names, error messages).

    Call it only for a form that passed its own checks. When there is something to re-encode,
    the caller's reading transaction ends first: the database is never held while photos are
    re-encoded (see ``portal.db.end_reading``).
    """
    names = kept[:MAX_PHOTOS]
    errors: list[str] = []
    new = _sent(files)
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


def refuse_uploads(files: Iterable[FileStorage]) -> list[str]:
    """The message for photos sent with a form that failed its checks: they were not read."""
    if not _sent(files):
        return []
    return [_("Correct the other fields, then add your photos again.")]


def _sent(files: Iterable[FileStorage]) -> list[FileStorage]:
    return [upload for upload in files if upload and upload.filename]  # empty parts: no file


def _kept_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kept-photos")


def keep(names: list[str], submission_key: str | None) -> str:
    """What the page carries for the photos it already sent: their names, bound to its form."""
    if not names or not submission_key:
        return ""
    return _kept_signer().dumps([submission_key, names])


def kept(token: str | None, submission_key: str | None) -> list[str]:
    """The photos this form (by its submission key) stored earlier and no report holds yet.

    A token copied from another form, edited, or naming a filed report's photo gives nothing:
    a form can neither take another report's photo nor, by failing, delete it.
    """
    try:
        signed_key, names = _kept_signer().loads(token or "")
    except (BadSignature, ValueError, TypeError):
        return []
    if not submission_key or signed_key != submission_key or not isinstance(names, list):
        return []
    names = [name for name in names if isinstance(name, str) and store().exists(name)]
    filed = filed_photos(names)
    return [name for name in names if name not in filed][:MAX_PHOTOS]


def filed_photos(names: list[str]) -> set[str]:
    """Those of ``names`` that a report holds."""
    if not names:
        return set()
    return set(db.session.scalars(select(ReportPhoto.filename)
                                  .where(ReportPhoto.filename.in_(names))))


def discard(names: list[str]) -> None:
    """Delete photos a form stored and no report took; a filed report's photo stays."""
    filed = filed_photos(names)
    for name in names:
        if name not in filed:
            store().delete(name)


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
