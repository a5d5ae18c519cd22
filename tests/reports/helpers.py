"""Helpers to fill in the report form as a browser would."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

from tests.conftest import csrf_token

DETAILS = {
    # A sensitive category: the form asks how to contact the reporter safely.
    "school-racket": {"school": "Athénée Royal", "safe_contact": "none"},
    "transport-pickpocketing": {"line": "71", "stop": "Flagey"},
    "vehicle-theft": {"make": "VW Polo", "colour": "rouge", "police_declaration": "yes"},
}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    return match.group(1) if match else ""


def open_form(client: FlaskClient, lang: str, code: str) -> tuple[str, dict[str, Any]]:
    """GET the form; returns the page and the hidden fields a browser would send back."""
    response = client.get(f"/{lang}/report/new/{code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, {"csrf_token": csrf_token(html), "submission_key": hidden(html, "submission_key")}


def report_data(code: str = "vandalism", **overrides: Any) -> dict[str, Any]:
    data = {"description": "Graffiti on the school wall", "occurred_on": "2026-11-20",
            "occurred_at_time": "17:30", "street": "Rue du Trône 12", "postal_code": "1060",
            **DETAILS.get(code, {})}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_report(client: FlaskClient, lang: str = "fr", code: str = "vandalism", **overrides: Any):
    html, hidden_fields = open_form(client, lang, code)
    return client.post(f"/{lang}/report/new/{code}",
                       data={**hidden_fields, **report_data(code, **overrides)},
                       content_type="multipart/form-data")


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG carrying EXIF with a GPS position and a camera make."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (50.0, 50.0, 0.0), 3: "E", 4: (4.0, 21.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def database_is_free() -> bool:
    """True when nothing holds the database: no open transaction in this request's session, and
    on SQLite another connection can take the write lock at once."""
    from portal.extensions import db

    if db.session().in_transaction():
        return False
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return True
    import sqlite3

    other = sqlite3.connect(url.database, timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        other.close()



#: The private link and the tracking code on the confirmation page.
PRIVATE_LINK = re.compile(r'href="http://[^/"]+(/(?:fr|nl|en)/track/[^"]+)"')
CODE_ON_PAGE = re.compile(r'class="tracking-code">([^<]+)<')


@dataclass
class Filed:
    """A report as its reporter leaves the confirmation page with it."""

    reference: str
    link: str  # path of the private link
    code: str  # the tracking code as the page shows it
    page: str


def file_and_confirm(client: FlaskClient, lang: str = "fr", category: str = "vandalism",
                     **overrides: Any) -> Filed:
    """File a report and read its confirmation page."""
    response = post_report(client, lang, category, **overrides)
    assert response.status_code == 303, response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link, code = PRIVATE_LINK.search(page), CODE_ON_PAGE.search(page)
    assert link and code, "no private link or tracking code on the confirmation page"
    return Filed(response.headers["Location"].rsplit("/", 1)[1], link.group(1), code.group(1), page)


def track(client: FlaskClient, lang: str, reference: str, code: str, **environ: Any):
    """Send the "Follow my report" form as a browser would (``environ``: REMOTE_ADDR...)."""
    page = client.get(f"/{lang}/track/").get_data(as_text=True)
    return client.post(f"/{lang}/track/", data={"csrf_token": csrf_token(page), "reference": reference,
                                                "code": code}, environ_overrides=environ)


def ask_for_link(client: FlaskClient, lang: str, reference: str, email: str, **environ: Any):
    """Send the "I lost my tracking code" form."""
    page = client.get(f"/{lang}/track/lost").get_data(as_text=True)
    return client.post(f"/{lang}/track/lost", data={"csrf_token": csrf_token(page), "reference": reference,
                                                    "email": email}, environ_overrides=environ)


def other_reference(reference: str) -> str:
    """A well-formed reference that is not ``reference`` (and, in a test database, no report's)."""
    return reference[:-1] + ("2" if reference[-1] != "2" else "3")


def wrong_code(code: str) -> str:
    """A well-formed tracking code that is not ``code``."""
    return code[:-1] + ("2" if code[-1] != "2" else "3")
