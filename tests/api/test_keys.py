"""Partner keys: made, listed and revoked on the command line; stored hashed; rate-limited."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from tests.api.conftest import API, FLAGEY_IXELLES
from tests.conftest import Database, base_settings


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["portal", "apikey", *args])


def test_add_prints_the_key_once_and_stores_only_its_hash(app: Flask) -> None:
    from portal.api.models import ApiKey

    result = run(app, "add", "stib-app", "--scope", "submit", "--scope", "read",
                 "--municipality", "21009", "--municipality", "21004")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    raw = lines[-1]
    assert re.fullmatch(r"bxp_[A-Za-z0-9_-]{43}", raw)  # 32 random bytes: 256 bits
    assert "stib-app" in lines[0] and "read, submit" in lines[0] and "21004, 21009" in lines[0]
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.name == "stib-app"))
        assert key is not None
        assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert raw not in repr(vars(key)) and key.prefix == raw[:12]
        assert key.scopes == ["read", "submit"] and key.municipalities == ["21004", "21009"]
        assert key.created_at.tzinfo is not None and key.last_used_at is None
    listing = run(app, "list")
    assert listing.exit_code == 0 and raw not in listing.output
    assert "stib-app" in listing.output and raw[:12] in listing.output and "active" in listing.output


def test_two_keys_differ(app: Flask) -> None:
    first = run(app, "add", "a", "--scope", "submit").output.strip().splitlines()[-1]
    second = run(app, "add", "b", "--scope", "submit").output.strip().splitlines()[-1]
    assert first != second


@pytest.mark.parametrize(("args", "message"), [
    (["add", "x", "--scope", "read"], "needs the municipalities"),
    (["add", "x", "--scope", "submit", "--municipality", "31005"], "31005"),
    (["add", "x", "--scope", "delete"], "delete"),
    (["revoke", "nobody"], "nobody"),
])
def test_refusals(app: Flask, args: list[str], message: str) -> None:
    result = run(app, *args)
    assert result.exit_code != 0 and message in result.output


def test_a_name_is_used_once(app: Flask) -> None:
    assert run(app, "add", "twice", "--scope", "submit").exit_code == 0
    result = run(app, "add", "twice", "--scope", "submit")
    assert result.exit_code != 0 and "exists already" in result.output


def test_revoke_and_last_use(app: Flask) -> None:
    raw = run(app, "add", "p", "--scope", "submit").output.strip().splitlines()[-1]
    client = app.test_client()
    assert client.get(f"{API}/requests.json?api_key={raw}").status_code == 200
    assert "last used never" not in run(app, "list").output
    result = run(app, "revoke", "p")
    assert result.exit_code == 0 and "Revoked" in result.output
    assert "already revoked" in run(app, "revoke", "p").output
    assert "revoked 2" in run(app, "list").output
    response = client.post(f"{API}/requests.json", data={
        "api_key": raw, "service_code": "vandalism", "description": "x", **FLAGEY_IXELLES})
    assert response.status_code == 403


@pytest.fixture
def limited_app(database: Database, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The one app of the suite with rate limits on: two requests a minute per key."""
    from portal import create_app

    application = create_app(base_settings(
        tmp_path, geo_cache, DATABASE_URL=database.url_for_test(tmp_path),
        RATELIMIT_ENABLED=True, OPEN311_RATE_LIMIT="2 per minute"))
    database.reset(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_each_key_has_its_own_rate_limit(limited_app: Flask) -> None:
    first = run(limited_app, "add", "first", "--scope", "submit").output.strip().splitlines()[-1]
    second = run(limited_app, "add", "second", "--scope", "submit").output.strip().splitlines()[-1]
    client = limited_app.test_client()

    def post(raw: str, fmt: str = "json"):  # type: ignore[no-untyped-def]
        return client.post(f"{API}/requests.{fmt}", data={
            "api_key": raw, "service_code": "vandalism", "description": "x", **FLAGEY_IXELLES})

    assert [post(first).status_code for _ in range(2)] == [200, 200]
    refused = post(first, "xml")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert b"<code>429</code>" in refused.data
    assert post(second).status_code == 200  # another key, another budget
    # Reading is not limited.
    assert all(client.get(f"{API}/requests.json?api_key={first}").status_code == 200
               for _ in range(3))
