"""What a translated string costs: Flask-Babel's gettext against the portal's, and a whole page.

Run: .venv/bin/python -m benchmarks.translations
The portal looks the catalog up once per request (portal/i18n.py); Flask-Babel finds the app
context, the domain, the cached locale and the catalog on every call.
"""
from __future__ import annotations

import statistics
import timeit

from flask import Flask, render_template
from flask_babel import gettext as babel_gettext

from benchmarks.common import table, workdir
from portal import create_app
from portal.i18n import gettext as portal_gettext

MESSAGE = "Report a nuisance"
CALLS = 20_000


def per_call(func, repeat: int = 7) -> float:
    """Median µs per call over ``repeat`` runs of CALLS calls."""
    runs = timeit.repeat(lambda: func(MESSAGE), number=CALLS, repeat=repeat)
    return statistics.median(runs) / CALLS * 1e6


def main() -> None:
    with workdir("portal-translations-bench-") as instance:
        measure(create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"}))


def measure(app: Flask) -> None:
    """Time both gettexts on one string in a Dutch request, then a whole Dutch page."""
    client = app.test_client()
    with app.test_request_context("/nl/"):
        app.preprocess_request()
        assert portal_gettext(MESSAGE) == babel_gettext(MESSAGE) == "Overlast melden"
        babel = per_call(babel_gettext)
        portal = per_call(portal_gettext)
    client.get("/nl/privacy")  # warm the template cache
    with app.test_request_context("/nl/privacy"):
        app.preprocess_request()

        def render() -> str:
            return render_template("site/privacy.html", report_months=12, course_days=30,
                                   contact_email="x@example.org")

        runs = timeit.repeat(render, number=200, repeat=5)
    page_ms = statistics.median(runs) / 200 * 1000
    print(table(("measure", "value"), [
        ("Flask-Babel gettext, per call", f"{babel:.2f} µs"),
        ("portal.i18n gettext, per call", f"{portal:.2f} µs"),
        ("ratio", f"{babel / portal:.1f}×"),
        ("render site/privacy.html in Dutch (30 strings)", f"{page_ms:.2f} ms")], right={1}))


if __name__ == "__main__":
    main()
