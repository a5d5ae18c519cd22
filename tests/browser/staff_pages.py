"""Staff in the browser: an account in the live server's database, and the log-in (with the
authenticator enrolment that coordinators go through the first time)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.browser.live import LiveServer
from tests.staff import PASSWORD


def make_account(live_server: LiveServer, role: str = "staff", municipalities: tuple[str, ...] = (),
                 language: str = "fr", name: str = "Alex Dupont") -> tuple[str, int]:
    """A new account (a unique e-mail address each time); returns its address and id."""
    from portal.accounts.services import create_user
    from portal.extensions import db

    email = f"{role}-{uuid.uuid4().hex[:8]}@{'-'.join(municipalities) or 'region'}.example"
    with live_server.app.app_context():
        user = create_user(email, name, role, PASSWORD, municipalities=municipalities, language=language)
        db.session.commit()
        user_id = int(user.id)
        db.session.remove()
    return email, user_id


def log_in(page: Any, lang: str, email: str, tap: bool = False,
           at_enrolment: Callable[[Any], None] | None = None) -> None:
    """Log in as a person does; at a coordinator's first log-in, read the authenticator key shown
    (after ``at_enrolment`` looked at the page) and type the code an authenticator app gives."""
    import pyotp

    press = page.tap if tap else page.click
    page.goto(f"/{lang}/manage/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        press("main button[type=submit]")
    key = page.locator(".totp-key")
    if key.count():
        if at_enrolment is not None:
            at_enrolment(page)
        page.fill("#code", pyotp.TOTP(key.inner_text().strip()).now())
        with page.expect_navigation(wait_until="load"):
            press("main button[type=submit]")
    assert page.url.endswith(f"/{lang}/manage/reports"), page.inner_text("main")


def facts_of(page: Any) -> dict[str, str]:
    """The report's facts on a staff report page, as question → answer."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.facts dt')]
        .map(dt => [dt.innerText.trim(), (dt.nextElementSibling?.innerText || '').trim()]))""")
