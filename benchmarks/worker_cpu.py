"""CPU time of the gunicorn workers per request: the portal's pages against the bare app.

    .venv/bin/python -m benchmarks.worker_cpu [PATH ...] [--duration 8] [--rounds 2]

Requests per second (``benchmarks.page_speed``) move with everything else the 2 cores do,
wrk included; the CPU time the server's own workers spend per request does much less, so it
says better what a change of the portal's code saved. For the bare app (``bare_app.py``: Flask
answering "Hello", what gunicorn and Flask cost alone) and each portal path, in turn: a short
warm-up, then wrk (``-t2 -c16``) for ``--duration`` seconds while this process reads the
workers' user and system time from ``/proc/<pid>/stat`` before and after; the figure is that
time over the requests wrk made, and the same for wrk's own time. Each server is gunicorn
``-w 2 -k sync`` on a throwaway instance (``benchmarks.common``) with the demo courses, as
``page_speed`` does. The bare app is measured first and last of each round; the table gives the
median over the rounds. Linux only (``/proc``); needs ``wrk``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import gunicorn

from benchmarks import common
from benchmarks.common import Gunicorn, Processes

DEFAULT_PATHS = ("/fr/", "/fr/report/", "/fr/courses/", "/fr/courses/1")
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of these processes so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICKS


def drive(wrk: str, url: str, seconds: int) -> tuple[int, float]:
    """wrk on ``url``: the requests it made and the CPU seconds it used itself."""
    before = os.times()
    done = subprocess.run([wrk, "-t2", "-c16", f"-d{seconds}s", url], capture_output=True,
                          text=True, timeout=seconds + 60, check=True)
    after = os.times()
    requests = next(int(line.split()[0]) for line in done.stdout.splitlines() if "requests in" in line)
    used = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return requests, used


def measure(server: Gunicorn, wrk: str, path: str, seconds: int) -> tuple[float, float, float]:
    """Requests/s, worker ms per request and wrk ms per request, after a 2 s warm-up."""
    url = server.url(path)
    drive(wrk, url, 2)
    pids = server.worker_pids()
    cpu_before, started = cpu_seconds(pids), time.monotonic()
    requests, wrk_cpu = drive(wrk, url, seconds)
    worker_cpu, elapsed = cpu_seconds(pids) - cpu_before, time.monotonic() - started
    return requests / elapsed, 1000 * worker_cpu / requests, 1000 * wrk_cpu / requests


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    parser.add_argument("--duration", type=int, default=8, help="seconds of wrk per URL (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over every URL (default 2)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = common.needed_tool("wrk")
    common.begin("gunicorn workers' CPU per request", f"gunicorn {gunicorn.__version__}")

    def run() -> None:
        with common.workdir("portal-cpu-bench-") as tmp, Processes() as procs:
            with common.throwaway_instance(tmp / "instance", demo_courses=True) as instance:
                bare = Gunicorn(instance.env, tmp / "bare.log", workers=2, app="benchmarks.bare_app:app")
                bare.start(procs, probe="/")
                portal = Gunicorn(instance.env, tmp / "portal.log", workers=2)
                portal.start(procs)
                figures: dict[str, list[tuple[float, float, float]]] = {}
                for number in range(1, args.rounds + 1):
                    plan = [("bare", bare, "/"), *(("portal", portal, path) for path in args.paths),
                            ("bare", bare, "/")]
                    for name, server, path in plan:
                        found = measure(server, wrk, path, args.duration)
                        figures.setdefault(f"{name} {path}", []).append(found)
                        print(f"  round {number}: {name:6} {path:16} {found[0]:7,.0f} req/s  "
                              f"worker {found[1]:.3f} ms  wrk {found[2]:.3f} ms", flush=True)
        bare_ms = statistics.median(ms for _, ms, _ in figures["bare /"])
        rows = []
        for key, found in figures.items():
            worker = statistics.median(ms for _, ms, _ in found)
            rows.append((key, f"{statistics.median(r for r, _, _ in found):,.0f}", f"{worker:.3f}",
                         f"{statistics.median(w for _, _, w in found):.3f}",
                         f"{worker - bare_ms:+.3f}" if not key.startswith("bare") else "0"))
        print()
        print(common.table(("server and path", "req/s", "worker ms/req", "wrk ms/req",
                            "worker ms above bare"), rows, right={1, 2, 3, 4}))

    return common.exit_status(run)


if __name__ == "__main__":
    sys.exit(main())
