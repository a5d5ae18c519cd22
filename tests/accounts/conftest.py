"""The portal served over real HTTP, for the races (the same fixture as the API's tests)."""
from __future__ import annotations

from tests.api.conftest import live_server  # noqa: F401 - a fixture
