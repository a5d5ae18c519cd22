"""Demo data for a local try-out (``make run``): never loaded in production.

Every loader is idempotent: running ``make run`` again adds nothing twice. Demo e-mail
addresses use the reserved ``.invalid`` domain, which can never receive mail.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal import geo
from portal.extensions import db

DEMO_DOMAIN = "demo.invalid"
#: One account per role; staff accounts for Ixelles and the City of Brussels (to try transfers).
DEMO_ACCOUNTS = [
    ("staff.ixelles@" + DEMO_DOMAIN, "Demo staff Ixelles", "staff", ["21009"], "nl"),
    ("staff.bruxelles@" + DEMO_DOMAIN, "Demo staff Bruxelles", "staff", ["21004"], "fr"),
    ("coordinator@" + DEMO_DOMAIN, "Demo coordinator", "coordinator", [], "fr"),
    ("organiser@" + DEMO_DOMAIN, "Demo organiser", "organiser", [], "fr"),
    ("admin@" + DEMO_DOMAIN, "Demo administrator", "admin", [], "en"),
]


def _demo_password() -> str:
    """One password for the demo accounts, generated once and kept in instance/ (mode 0600)."""
    path = Path(current_app.instance_path) / "demo-password"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(password)
    return password


def accounts_file() -> Path:
    """Where the demo log-ins are written: the password stays off the terminal and its scrollback."""
    return Path(current_app.instance_path) / "demo-accounts.txt"


def load_accounts() -> Iterator[str]:
    from portal.accounts.services import create_user, find_user

    password = _demo_password()
    lines = [f"Demo staff accounts of /fr/manage/ (password for all: {password}):"]
    added = 0
    for email, name, role, places, language in DEMO_ACCOUNTS:
        if find_user(email) is None:
            create_user(email, name, role, password, municipalities=places, language=language)
            added += 1
        lines.append(f"  {role:<12} {email}")
    path = accounts_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when an older file had wider permissions
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    yield f"Demo staff accounts: {added} added; e-mails and password in {path}"


def load_contacts() -> Iterator[str]:
    """A demo address per municipality for new reports (mail to it goes nowhere)."""
    from portal.reports.models import MunicipalContact

    added = 0
    for place in geo.municipalities():
        email = f"prevention.{place.nis}@{DEMO_DOMAIN}"
        exists = db.session.scalar(select(MunicipalContact).where(
            MunicipalContact.municipality_nis == place.nis, MunicipalContact.email == email))
        if exists is None:
            db.session.add(MunicipalContact(municipality_nis=place.nis, email=email,
                                            language="nl" if place.nis == "21009" else "fr"))
            added += 1
    db.session.flush()
    yield f"Demo municipal contacts: {added} added (addresses @{DEMO_DOMAIN}, which receive nothing)."


def load() -> Iterator[str]:
    """Load the demo data and yield lines to print (such as demo log-ins)."""
    yield from load_contacts()
    yield from load_accounts()
    from portal.courses import demo as courses_demo

    yield from courses_demo.load()
