"""A consistent copy of a live SQLite database and of the uploaded photos (``portal backup``).

PostgreSQL has its own tool for the same job (``pg_dump``, see the README's Operations section).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

DATABASE_FILE = "portal.sqlite3"
UPLOADS_DIR = "uploads"


class BackupError(Exception):
    """The backup cannot be made; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupResult:
    database: Path
    database_bytes: int
    photos: int


def backup(database_url: str, upload_dir: Path, target: Path) -> BackupResult:
    """Copy the database, then the photos, into ``target`` (new or empty).

    The database first: a photo is stored before the report that names it is committed, so
    every photo a copied report names is already on disk when the photos are copied.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("This command copies a SQLite database. For PostgreSQL, use pg_dump "
                          "and copy the uploads folder (README, Operations).")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder.")
    target.mkdir(parents=True, exist_ok=True)
    database = target / DATABASE_FILE
    _copy_database(Path(url.database), database)
    photos = _copy_photos(upload_dir, target / UPLOADS_DIR)
    return BackupResult(database, database.stat().st_size, photos)


def _copy_database(source_path: Path, database: Path) -> None:
    """SQLite's online backup API in one step: one read transaction, so one consistent moment;
    in WAL mode the portal's writers carry on meanwhile."""
    if not source_path.is_file():
        raise BackupError(f"No database at {source_path}.")
    partial = database.with_name(database.name + ".part")
    source = sqlite3.connect(source_path, timeout=60)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: every page at once
        # One self-contained file (no -wal beside it); the portal turns WAL on again when it
        # opens a restored copy.
        copy.execute("PRAGMA journal_mode=DELETE")
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("The copy failed SQLite's quick check; nothing was kept.")
    finally:
        copy.close()
        source.close()
    os.replace(partial, database)


def _copy_photos(upload_dir: Path, target: Path) -> int:
    """Copy the stored photos (not the half-written ``.part`` files)."""
    target.mkdir()
    copied = 0
    if not upload_dir.is_dir():
        return 0
    for path in sorted(upload_dir.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            try:
                shutil.copy2(path, target / path.name)
            except FileNotFoundError:  # erased meanwhile (retention, clean-uploads)
                continue
            copied += 1
    return copied
