"""An SMTP server that keeps what it receives, and the test e-mail templates."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from tests.smtp import Inbox, SMTPServer, free_port, smtp  # noqa: F401 - fixtures and helpers

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture
def mail_app(app: Flask) -> Flask:
    """The app, also finding the test templates (which stay out of portal/templates)."""
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), app.jinja_env.loader])
    app.config["BASE_URL"] = "https://prevention.example.be"
    return app
