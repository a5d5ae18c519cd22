"""Partner keys for the Open311 fuzzing (as tests/api/conftest.py makes them)."""
from __future__ import annotations

import pytest
from flask import Flask

from portal.extensions import db
from tests.api.conftest import Key


def _key(app: Flask, name: str, scopes: tuple[str, ...], municipalities: tuple[str, ...] = ()) -> Key:
    from portal.api.services import create_key

    with app.app_context():
        _row, raw = create_key(name, scopes, municipalities)
        db.session.commit()
    return Key(name, raw)


@pytest.fixture
def submitter(app: Flask) -> Key:
    return _key(app, "fuzz-submit", ("submit",))


@pytest.fixture
def ixelles_reader(app: Flask) -> Key:
    return _key(app, "fuzz-ixelles", ("submit", "read"), ("21009",))
