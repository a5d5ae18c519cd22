"""The portal served for real on 127.0.0.1 (werkzeug, threaded, in a daemon thread) on a fresh,
migrated and seeded SQLite database; used by the browser tests and ``benchmarks/screenshots.py``."""
from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass
class LiveServer:
    """The portal answering on a free port of 127.0.0.1, and its application for set-up."""

    app: Flask
    url: str  # http://127.0.0.1:PORT, without a trailing slash


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        """No access log: a run makes hundreds of requests."""

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return Quiet


@contextlib.contextmanager
def serve(work: Path, geo_cache: Path) -> Iterator[LiveServer]:
    """Migrate and seed ``work``/portal.sqlite3, then serve the portal until the block ends."""
    from werkzeug.serving import make_server

    from portal import create_app
    from portal.extensions import db
    from tests.conftest import _migrate_and_seed, base_settings

    database = work / "portal.sqlite3"
    _migrate_and_seed(f"sqlite:///{database}", work / "seed", geo_cache)
    app = create_app(base_settings(work, geo_cache, DATABASE_URL=f"sqlite:///{database}",
                                   SECRET_KEY="browser-" + uuid.uuid4().hex))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_quiet_handler())
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # the private tracking link of the confirmation points here
    thread = threading.Thread(target=server.serve_forever, name="portal-live", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, url)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def add_course_session(server: LiveServer, *, language: str = "fr", capacity: int = 12,
                       venue: str = "Salle de test du portail", days: int = 10,
                       municipality: str = "21004") -> int:
    """A future course session in the live server's database (one date, 9:00 to 13:00 in
    Brussels); returns its id. For the course pages' tests."""
    from datetime import datetime, time, timedelta

    from portal.courses import organising
    from portal.db import utcnow
    from portal.extensions import db
    from portal.times import BRUSSELS

    day = (utcnow() + timedelta(days=days)).astimezone(BRUSSELS).date()
    starts = datetime.combine(day, time(9), BRUSSELS)
    with server.app.app_context():
        session = organising.create_session(organising.SessionDraft(
            course_type_code="basic-first-aid", language=language, venue_name=venue,
            address="Rue Royale 11, 1000 Bruxelles", municipality_nis=municipality, capacity=capacity,
            dates=[(starts, starts + timedelta(hours=4))],
            notes={"fr": "Apportez de quoi noter.", "nl": "Breng iets om te noteren mee.",
                   "en": "Bring something to write with."}))
        db.session.commit()
        session_id = int(session.id)
        db.session.remove()
    return session_id
