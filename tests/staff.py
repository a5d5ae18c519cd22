"""Staff accounts and log-in for tests."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token

PASSWORD = "correct horse battery staple"


def make_user(app: Flask, email: str, role: str, municipalities: tuple[str, ...] = (),
              name: str = "", language: str = "fr") -> int:
    from portal.accounts.services import create_user
    from portal.extensions import db

    with app.app_context():
        user = create_user(email, name or email.split("@")[0], role, PASSWORD,
                           municipalities=municipalities, language=language)
        db.session.commit()
        return user.id


def login(client: FlaskClient, email: str, password: str = PASSWORD, lang: str = "fr"):
    """Log in as a person would, including the authenticator step of coordinators and admins."""
    page = client.get(f"/{lang}/manage/login").get_data(as_text=True)
    response = client.post(f"/{lang}/manage/login",
                           data={"csrf_token": csrf_token(page), "email": email, "password": password})
    if response.status_code == 303 and response.headers["Location"].endswith("/login/code"):
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        return client.post(response.headers["Location"],
                           data={"csrf_token": csrf_token(page), "code": totp_code(client, email, page)})
    return response


def totp_code(client: FlaskClient, email: str, page: str) -> str:
    """The code an authenticator app would show: from the key on the page (first log-in) or
    the stored key, one step later if the current step's code was already used."""
    import pyotp

    from portal.accounts.services import find_user
    from portal.db import utcnow

    shown = re.search(r'class="reference totp-key">([A-Z2-7]+)<', page)
    with client.application.app_context():
        user = find_user(email)
        secret = shown.group(1) if shown else user.totp_secret
        totp = pyotp.TOTP(secret)
        step = totp.timecode(utcnow())
        if user.totp_last_step is not None and user.totp_last_step >= step:
            step = user.totp_last_step + 1
        return totp.generate_otp(step)


def action_fields(html: str, prefix: str) -> dict[str, str]:
    """The CSRF token and version of one action form of a staff report page."""
    return dict(re.findall(rf'name="({prefix}-(?:csrf_token|version))" type="hidden" value="([^"]+)"', html))


def category_form_data(page: str, **changes: str) -> dict[str, str]:
    """What the administrators' category form sends as shown on ``page``, with ``changes``."""
    data = {"csrf_token": csrf_token(page)}
    for name in ("name_fr", "name_nl", "name_en", "acknowledge_days", "close_days"):
        data[name] = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
    for name in ("description_fr", "description_nl", "description_en"):
        data[name] = re.search(rf'name="{name}"[^>]*>\s*([^<]*)</textarea>', page).group(1).strip()
    if "checked" in re.search(r'<input[^>]*name="active"[^>]*>', page).group(0):
        data["active"] = "y"
    data.update(changes)
    return data
