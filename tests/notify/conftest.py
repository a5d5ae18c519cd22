"""An SMTP server that keeps what it receives, and the test e-mail templates."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from portal.notify.kinds import Gone, register
from portal.notify.models import Attachment
from tests.smtp import Inbox, SMTPServer, free_port, smtp  # noqa: F401 - fixtures and helpers

TEMPLATES = Path(__file__).parent / "templates"


def _test_notice(parameters: dict[str, Any]) -> dict[str, Any]:
    """The test kind: a reference, a day (ISO, or None) and a name."""
    if parameters.get("gone"):
        raise Gone("the test notice's object")
    day = parameters.get("day")
    return {"ref": parameters.get("ref", ""), "day": date.fromisoformat(day) if day else None,
            "name": parameters.get("name", "")}


def _test_files(_context: dict[str, Any], parameters: dict[str, Any]) -> list[Attachment]:
    return [Attachment.from_json(item) for item in parameters.get("files", [])]


register("test_notice", attach=_test_files)(_test_notice)


@pytest.fixture
def mail_app(app: Flask) -> Flask:
    """The app, also finding the test templates (which stay out of portal/templates)."""
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), app.jinja_env.loader])
    app.config["BASE_URL"] = "https://prevention.example.be"
    return app
