"""Photos arriving with a form or Open311: re-encoded and stored once the rest is right.

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
from dataclasses import astuple

from flask import Response, current_app, send_file
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.db import end_reading, read_aside
from portal.extensions import db
from portal.i18n import _
from portal.reports.models import ReportPhoto
from portal.reports.photos import MAX_PHOTOS, PhotoError, PhotoStore, StoredPhoto, reencode

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
        return _("This image is too large for the portal to process. Send a photo straight from "
                 "your phone's camera, or a smaller image.")
    if error.code == "heic":
        return _("This photo is in the HEIC format of iPhones, which the portal cannot read. On an "
                 "iPhone, choose it in “Photo Library” rather than in “Choose File”: it is then "
                 "sent as a JPEG. On a computer, save it as a JPEG first.")
    return _("This file is not a photo the portal can read. Send a JPEG, PNG or WebP photo.")


class PendingPhotos:
    """The photos of one submission, from their upload until a report holds them.

    The one way in for photos: the report form, the add-information form and Open311. As a
    context manager it discards, on leaving, what it holds unless a report took it (``hold``) or
    the page carries it to the form's next try (``carry``): no view discards on each way out.
    """

    def __init__(self, kept: list[StoredPhoto] | None = None) -> None:
        self.photos: list[StoredPhoto] = list(kept or [])[:MAX_PHOTOS]
        self._kept = len(self.photos)
        self._settled = False

    def __enter__(self) -> PendingPhotos:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_details: object) -> None:
        if self._settled:
            return
        for photo in self.photos[self._kept:]:  # stored by this request: no report holds them
            store().delete(photo.name)
        # A kept photo may be held by the report of the same form sent twice (a double click);
        # after an error the session may not answer: clean_orphans removes it later.
        if error_type is None:
            discard(self.photos[:self._kept])

    def accept(self, files: Iterable[FileStorage]) -> list[str]:
        """Re-encode and store new uploads; returns the messages of those refused.

        Call it only for a form that passed its own checks.
        """
        errors: list[str] = []
        for upload in self._release(files):
            if len(self.photos) >= MAX_PHOTOS:
                errors.append(_("Add at most %(max)s photos.", max=MAX_PHOTOS))
                break
            try:
                self._store(upload)
            except PhotoError as error:
                errors.append(f"{(upload.filename or '')[:80]}: {photo_error_message(error)}")
        return errors

    def accept_all(self, files: Iterable[FileStorage]) -> None:
        """Re-encode and store every upload; raises PhotoError at the first bad one."""
        for upload in self._release(files):
            self._store(upload)

    @staticmethod
    def refuse(files: Iterable[FileStorage]) -> list[str]:
        """The message for photos sent with a form that failed its checks: they were not read."""
        if not _sent(files):
            return []
        return [_("Correct the other fields, then add your photos again.")]

    def hold(self) -> None:
        """A report holds the photos now (its transaction is committed): nothing to discard."""
        self._settled = True

    def carry(self, submission_key: str | None) -> str:
        """What the page carries for the photos, bound to its form; they stay for its next try."""
        token = keep(self.photos, submission_key)
        self._settled = bool(token)
        return token

    @staticmethod
    def _release(files: Iterable[FileStorage]) -> list[FileStorage]:
        """The files sent; when there are some, the reading transaction ends first.

        The database is never held while photos are re-encoded (see ``portal.db.end_reading``).
        """
        new = _sent(files)
        if new:
            end_reading()
        return new

    def _store(self, upload: FileStorage) -> None:
        clean = reencode(upload.stream)
        self.photos.append(StoredPhoto(store().save(clean), clean.width, clean.height))


def _sent(files: Iterable[FileStorage]) -> list[FileStorage]:
    return [upload for upload in files if upload and upload.filename]  # empty parts: no file


def _kept_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kept-photos")


def keep(photos: list[StoredPhoto], submission_key: str | None) -> str:
    """What the page carries for the photos it already sent: their names and sizes, bound to its
    form."""
    if not photos or not submission_key:
        return ""
    return _kept_signer().dumps([submission_key, [astuple(photo) for photo in photos]])


def kept(token: str | None, submission_key: str | None) -> list[StoredPhoto]:
    """The photos this form (by its submission key) stored earlier and no report holds yet.

    A token copied from another form, edited, or naming a filed report's photo gives nothing:
    a form can neither take another report's photo nor, by failing, delete it.
    """
    if not token:
        return []
    try:
        signed_key, rows = _kept_signer().loads(token)
        photos = [StoredPhoto(str(name), int(width), int(height)) for name, width, height in rows]
    except (BadSignature, ValueError, TypeError):
        return []
    if not submission_key or signed_key != submission_key:
        return []
    photos = [photo for photo in photos if store().exists(photo.name)]
    filed = filed_photos([photo.name for photo in photos])
    return [photo for photo in photos if photo.name not in filed][:MAX_PHOTOS]


def filed_photos(names: list[str]) -> set[str]:
    """Those of ``names`` that a report holds.

    Read outside the request's transaction unless it has begun: a form that comes back with
    its kept photos must not open the write transaction (and on SQLite take the database's
    lock) before its checks have passed (see ``services.submit_report``).
    """
    if not names:
        return set()
    query = select(ReportPhoto.filename).where(ReportPhoto.filename.in_(names))
    if db.session().in_transaction():
        return set(db.session.scalars(query))
    with read_aside() as connection:
        return set(connection.scalars(query))


def discard(photos: list[StoredPhoto]) -> None:
    """Delete photos a form stored and no report took; a filed report's photo stays."""
    filed = filed_photos([photo.name for photo in photos])
    for photo in photos:
        if photo.name not in filed:
            store().delete(photo.name)


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


def photo_response(photo: ReportPhoto, download_name: str) -> Response | None:
    """A filed photo as an inline JPEG that is never cached nor sniffed; None when its file is
    gone. For the staff page and the reporter's tracking page, after their own access checks."""
    try:
        path = store().path(photo.filename)
    except FileNotFoundError:
        return None
    if not path.is_file():
        return None
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
