"""HTTP page speed: the portal's pages against a bare Flask app, both under gunicorn, with wrk.

    .venv/bin/python benchmarks/page_speed.py [--paths /fr/ /fr/report/ /fr/courses/]
                                        [--duration 10s] [--connections 16] [--rounds 2]
                                        [--no-submit] [--profile auto]

It builds a throwaway instance (SQLite database migrated and seeded, router index, random
secret key) in a temporary folder, starts ``gunicorn -w 2 -k sync 'portal:create_app()'`` and
``gunicorn -w 2 -k sync benchmarks.bare_app:app`` on free ports of 127.0.0.1, checks that every
URL answers 200, warms each server up, then drives the bare app and the portal's pages in turn
with ``wrk -t2 -c16 -d10s --latency`` and prints requests/s, the 99th percentile latency and each
page's ratio to the bare app's requests/s (target: >= 0.50). A page below the target is then
profiled in-process (cProfile over a loop of test-client requests). All processes are stopped
at the end, on error and on Ctrl-C too. Traffic goes only to 127.0.0.1.

The course list is measured with the demo course sessions loaded (``portal.courses.demo``).

A complete report submission is measured too (unless ``--no-submit``): a third gunicorn serves
``portal:create_app({"RATELIMIT_ENABLED": False, "FORM_MIN_SECONDS": 0})`` (one address sends
everything, and wrk is faster than a person); one GET of /fr/report/new/vandalism gives the
session cookie, the CSRF token and the signed ``shown_at``, then wrk POSTs the filled form
(description, today's date, postal code 1060, consent) with a Lua script written to the run's
temporary folder. Every POST is a new report: the Lua script makes a fresh ``submission_key`` per
request. The row counts POSTs per second (each answered by the 303 to the confirmation, which
wrk does not follow); target for it: >= 0.25 of the bare app. At the end, the reports stored are
counted against the POSTs sent.

A fourth gunicorn serves ``benchmarks.floor_app:app``, measured the same way: a form with its CSRF
token that stores one row in SQLite and nothing else, the least any submission costs with Flask,
Flask-WTF and Flask-SQLAlchemy. It is a reference with no target: it says how much of the gap
between the bare app and the portal's submission is the stack's and how much the portal's.

See benchmarks/README.md for what the figures mean on a 2-core machine.
"""
from __future__ import annotations

import os
import sys

# Run as a script, this folder comes first on sys.path, where a file could hide a module of the
# standard library. Take the folder off and put the repository on.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
if os.path.dirname(_HERE) not in sys.path:
    sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from http import HTTPStatus  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks import load  # noqa: E402
from benchmarks.load import (HOST, Processes, free_port, needed_tool,  # noqa: E402
                             raise_keyboard_interrupt)

REPO = Path(_HERE).parent
TARGET_RATIO = 0.50
DEFAULT_PATHS = ("/fr/", "/fr/report/", "/fr/courses/")
#: The complete report submission (a POST that stores a new report each time).
SUBMIT_FORM = "/fr/report/new/vandalism"
SUBMIT_TARGET_RATIO = 0.25
SUBMIT_APP = 'portal:create_app({"RATELIMIT_ENABLED": False, "FORM_MIN_SECONDS": 0})'
#: The least any form submission costs on this stack (CSRF form, one row): see floor_app.py.
FLOOR_APP = "benchmarks.floor_app:app"
FLOOR_FORM = "/"
BARE_PATH = "/"
STARTUP_TIMEOUT_S = 60.0
#: Above this share of all cores busy with other work, a run's figures are not to be trusted.
BUSY_CPU = 0.10
SETUP_TIMEOUT_S = 600.0


# --------------------------------------------------------------------------- machine

def other_cpu(seconds_: float = 2.0) -> float:
    """Share of all cores busy (not idle nor waiting on I/O) over ``seconds_``, from /proc/stat.

    Called while this run's servers sit idle, it measures the other work on the machine.
    """
    def sample() -> tuple[int, int]:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0, 0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle

    total0, idle0 = sample()
    time.sleep(seconds_)
    total1, idle1 = sample()
    total = total1 - total0
    return (total - (idle1 - idle0)) / total if total > 0 else 0.0


# --------------------------------------------------------------------------- HTTP checks

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        return None  # a redirect is an answer to report, not to follow


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def status_of(url: str, timeout: float = 10.0) -> int:
    """The HTTP status that ``url`` answers (redirects not followed); 0 if nothing answers."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


# --------------------------------------------------------------------------- servers

@dataclass
class Server:
    name: str
    app: str  # gunicorn's APP_MODULE
    env: dict[str, str]
    log: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


def start_server(server: Server, procs: Processes, workers: int, probe: str) -> None:
    """Start gunicorn on a free loopback port and wait until ``probe`` answers at all."""
    gunicorn = needed_tool("gunicorn")
    for _attempt in range(3):  # the free port may be taken between our check and gunicorn's bind
        server.port = free_port()
        argv = [gunicorn, "-w", str(workers), "-k", "sync", "-b", f"{HOST}:{server.port}",
                "--log-level", "warning", server.app]
        with server.log.open("ab") as log:
            server.proc = procs.start(argv, cwd=REPO, env=server.env, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline and server.proc.poll() is None:
            if status_of(server.url(probe), timeout=5) != 0:
                return
            time.sleep(0.2)
        procs.stop(server.proc)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.name}: gunicorn did not start; its log ends with:\n{tail}")


# --------------------------------------------------------------------------- wrk

@dataclass
class WrkResult:
    rps: float
    p99_ms: float
    requests: int
    non_2xx: int = 0
    socket_errors: str = ""


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(text: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p99 = re.search(r"^\s+99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    count = re.search(r"^\s+(\d+) requests in", text, re.M)
    if not (rps and p99 and count):
        raise ValueError(f"could not read wrk's output:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:\s+(.*)$", text, re.M)
    return WrkResult(rps=float(rps.group(1)),
                     p99_ms=float(p99.group(1)) * _UNITS_MS[p99.group(2)],
                     requests=int(count.group(1)),
                     non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
                     socket_errors=errors.group(1).strip() if errors else "")


def wrk_argv(url: str, threads: int, connections: int, duration: str,
             script: Path | None = None, script_args: tuple[str, ...] = ()) -> list[str]:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    if script is not None:
        return [*argv, "-s", str(script), url, "--", *script_args]
    return [*argv, url]


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)?", duration.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {duration!r} (e.g. 10s, 1m)")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def run_wrk(procs: Processes, wrk: str, url: str, args: argparse.Namespace,
            duration: str, script: Path | None = None) -> WrkResult:
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"refusing to load anything but {HOST}: {url}")
    # A fresh prefix per wrk run: the submission keys of two runs never collide.
    argv = wrk_argv(url, args.threads, args.connections, duration, script,
                    (secrets.token_hex(8),) if script is not None else ())
    argv[0] = wrk
    proc = procs.start(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=seconds(duration) + 60)
    finally:
        procs.stop(proc)
    text = out.decode(errors="replace")
    if args.verbose:
        print(text, flush=True)
    return parse_wrk(text)


# --------------------------------------------------------------------------- report submission

class _HiddenInputs(HTMLParser):
    """The name and value of every hidden input of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


@dataclass
class SubmitState:
    """What a resident's browser holds once the form is shown: its cookie and hidden fields."""

    cookie: str
    fields: dict[str, str]

    def body(self, submission_key: str | None) -> str:
        fields = {**self.fields, "description": "Des graffitis sur le mur de l'école, "
                  "près de l'entrée (mesure de vitesse).",
                  "occurred_on": dt.date.today().isoformat(), "postal_code": "1060",
                  "consent": "y"}
        fields.pop("submission_key", None)
        if submission_key is not None:
            fields["submission_key"] = submission_key
        return urllib.parse.urlencode(fields)


def open_form(url: str) -> SubmitState:
    """GET the report form as a browser does: the session cookie and the hidden fields."""
    with _OPENER.open(url, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered HTTP {response.status}")
        page = response.read().decode("utf-8", errors="replace")
        cookies = [value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or []]
    parser = _HiddenInputs()
    parser.feed(page)
    missing = {"csrf_token", "shown_at", "submission_key"} - set(parser.fields)
    if missing or not cookies:
        raise RuntimeError(f"GET {url}: no {', '.join(sorted(missing)) or 'session cookie'} "
                           "in the answer")
    return SubmitState("; ".join(cookies), parser.fields)


def post_form(url: str, state: SubmitState, submission_key: str) -> tuple[int, str]:
    """POST the filled form once: (status, Location) -- 303 to the confirmation when stored."""
    request = urllib.request.Request(url, data=state.body(submission_key).encode(), method="POST",
                                     headers={"Cookie": state.cookie, "Content-Type":
                                              "application/x-www-form-urlencoded"})
    try:
        with _OPENER.open(request, timeout=10) as response:
            return int(response.status), response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return int(error.code), error.headers.get("Location", "")


def write_submit_script(path: Path, state: SubmitState) -> Path:
    """A wrk Lua script that POSTs the filled form, a new ``submission_key`` each time.

    The key is ``<run prefix>-<thread>-<counter>`` (at most 64 characters): the run prefix comes
    as the script's argument, so no two requests of any run send the same key.
    """
    def lua(text: str) -> str:
        return '"' + "".join(c if c.isalnum() or c in "%&=+-_.~" else f"\\{ord(c):03d}"
                             for c in text) + '"'

    path.write_text(f"""-- Written by benchmarks/page_speed.py: one new report per request.
local body = {lua(state.body(None))}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end
local prefix, counter = "", 0
function init(args)
  prefix = args[1] .. "-" .. tostring(tid) .. "-"
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = {lua(state.cookie)}
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, body .. "&submission_key=" .. prefix .. counter)
end
""", encoding="utf-8")
    return path


def count_reports(instance: Path) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(instance / "portal.sqlite3")) as connection:
        return int(connection.execute("SELECT count(*) FROM report").fetchone()[0])


# --------------------------------------------------------------------------- set-up

def portal_env(instance: Path) -> dict[str, str]:
    """The environment of every portal command: only this run's PORTAL_* settings."""
    env = load.portal_env(instance)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run_step(procs: Processes, argv: list[str], env: dict[str, str], log: Path) -> int:
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        proc = procs.start(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                           stderr=subprocess.STDOUT)
        try:
            return proc.wait(timeout=SETUP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return -1
        finally:
            procs.stop(proc)


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


# If `flask portal geo-index` fails, build the same file where the app looks for it.
_GEO_FALLBACK = (
    "import os, sys; sys.path.insert(0, os.getcwd()); from portal import geo; "
    "print(geo.build_index(geo.index_path(os.environ['PORTAL_INSTANCE_PATH'])))"
)


# The demo course sessions, so that the course list shows what residents see.
_COURSES_DEMO = (
    "import os, sys; sys.path.insert(0, os.getcwd()); from portal import create_app; "
    "from portal.courses import demo; from portal.extensions import db; app = create_app(); "
    "ctx = app.app_context(); ctx.push(); print(*demo.load()); db.session.commit()"
)


def prepare_instance(procs: Processes, env: dict[str, str], log: Path) -> None:
    """Compile the translations, then migrate, seed and index the throwaway instance."""
    flask = [needed_tool("flask"), "--app", "portal"]
    steps = [
        ("pybabel compile", [needed_tool("pybabel"), "-q", "compile", "-d", "portal/translations"]),
        ("flask db upgrade", [*flask, "db", "upgrade"]),
        ("flask portal seed", [*flask, "portal", "seed"]),
        ("flask portal geo-index", [*flask, "portal", "geo-index"]),
        ("demo course sessions", [sys.executable, "-c", _COURSES_DEMO]),
    ]
    for label, argv in steps:
        started = time.perf_counter()
        code = _run_step(procs, argv, env, log)
        if code != 0 and label == "flask db upgrade" and "Multiple head" in _last_line(log):
            # Branches merged without a merge migration: say so, and apply every head.
            print(f"  set-up: {label} FAILED: the migrations have several heads", flush=True)
            label = "flask db upgrade heads"
            code = _run_step(procs, [*flask, "db", "upgrade", "heads"], env, log)
        if code != 0 and label.endswith("geo-index"):
            print(f"  set-up: {label} FAILED ({code}): {_last_line(log)}", flush=True)
            label = "geo.build_index(geo.index_path(instance)) instead"
            code = _run_step(procs, [sys.executable, "-c", _GEO_FALLBACK], env, log)
        if code != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"set-up step failed ({code}): {label}\n{tail}")
        print(f"  set-up: {label:<24} {time.perf_counter() - started:5.1f} s", flush=True)


# --------------------------------------------------------------------------- profile

def _where(filename: str) -> tuple[str, str]:
    """(package, short file name) of a profiled function's file."""
    if filename == "~":
        return "builtins", ""
    if "site-packages/" in filename:
        short = filename.split("site-packages/", 1)[1]
        return short.split("/", 1)[0], short
    if filename.startswith(str(REPO) + "/"):
        short = filename[len(str(REPO)) + 1:]
        return ("templates" if short.endswith(".html") else short.split("/", 1)[0]), short
    if filename.startswith("<"):
        return "generated", filename
    return "stdlib", os.path.basename(filename)


# The test client's own machinery is not the app's cost: left out of the tables.
_TEST_MACHINERY = ("werkzeug/test.py", "flask/testing.py")


def _print_profile(stats: pstats.Stats, requests: int, top: int) -> None:
    rows = []
    packages: dict[str, float] = {}
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        package, short = _where(filename)
        if short.startswith(_TEST_MACHINERY):
            continue
        packages[package] = packages.get(package, 0.0) + tottime
        label = f"{short}:{line}({func})" if short else re.sub(r" at 0x[0-9a-f]+", "", func)
        rows.append((label, ncalls, tottime, cumtime))
    total = sum(packages.values()) or 1.0
    share = ", ".join(f"{name} {t / total:.0%}" for name, t in
                      sorted(packages.items(), key=lambda kv: -kv[1]) if t / total >= 0.01)
    print(f"\nown time by package (test client left out): {share}")
    for title, key in (("cumulative time", 3), ("own time", 2)):
        print(f"\n### top {top} by {title} (µs per request; profiler overhead included)")
        print(f"{'calls/req':>9}  {'own µs':>7}  {'cum µs':>7}  function")
        for label, ncalls, tottime, cumtime in sorted(rows, key=lambda r: -r[key])[:top]:
            print(f"{ncalls / requests:9.1f}  {tottime * 1e6 / requests:7.1f}  "
                  f"{cumtime * 1e6 / requests:7.1f}  {label}")


def _ms_per_request(client: object, path: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)  # type: ignore[attr-defined]
    return (time.perf_counter() - started) * 1000 / requests


def profile_paths(instance: Path, paths: list[str], requests: int, top: int) -> None:
    """cProfile a loop of test-client requests to each path, in this process."""
    for name in [k for k in os.environ if k.startswith("PORTAL_")]:
        del os.environ[name]  # the settings below, and nothing from the caller's shell
    sys.path.insert(0, str(REPO))
    from benchmarks.bare_app import app as bare_app
    from portal import create_app

    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "x"})
    client = app.test_client()
    bare_client = bare_app.test_client()
    for _ in range(50):
        bare_client.get(BARE_PATH)
    bare_ms = _ms_per_request(bare_client, BARE_PATH, requests)
    for path in paths:
        for _ in range(50):  # warm: templates compiled, catalogs and connections opened
            response = client.get(path)
        if response.status_code != 200:
            print(f"\n{path}: test client got HTTP {response.status_code}; not profiled")
            continue
        plain_ms = _ms_per_request(client, path, requests)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path)
        profiler.disable()
        print(f"\n## Profile of GET {path}: {requests} test-client requests in-process, "
              f"{plain_ms:.3f} ms each without the profiler (bare app: {bare_ms:.3f} ms)")
        _print_profile(pstats.Stats(profiler), requests, top)


# --------------------------------------------------------------------------- main

def url_path(row: "Row") -> str:
    """The URL path wrk loads for a row ("POST /x" is loaded at /x, with the Lua script)."""
    return row.path.split(" ", 1)[-1]


@dataclass
class Row:
    server: str
    path: str
    status: int
    results: list[WrkResult] = field(default_factory=list)
    expected: int = 200  # the status a measured request answers
    target: float | None = TARGET_RATIO  # None: a reference, not held to a target
    script: Path | None = None  # wrk's Lua script, for the POST

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.results)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.results)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", nargs="+", default=list(DEFAULT_PATHS), metavar="PATH",
                        help="portal paths to measure (default: %(default)s)")
    parser.add_argument("--duration", default="10s", help="wrk -d per measurement (default 10s)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--warmup", default="3s", help="wrk run discarded before measuring "
                        "each server (default 3s; 0 to skip)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn -w (default 2)")
    parser.add_argument("--rounds", type=int, default=2, choices=range(1, 11), metavar="1..10",
                        help="alternate bare and portal this many times; the table shows "
                        "medians (default 2)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile portal pages in-process: those below the target (auto), "
                        "all, or none")
    parser.add_argument("--profile-requests", type=int, default=1000,
                        help="test-client requests per profiled page (default 1000)")
    parser.add_argument("--no-submit", action="store_true",
                        help="skip the report submission (POST) measurement")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args(argv)
    for path in args.paths:
        if not path.startswith("/"):
            parser.error(f"a path starts with '/': {path!r}")
    if seconds(args.duration) <= 0 or seconds(args.duration) > 600:
        parser.error("--duration: more than 0 and at most 10 minutes")
    if seconds(args.warmup) > 600:
        parser.error("--warmup: at most 10 minutes")
    if not 1 <= args.connections <= 1000 or not 1 <= args.threads <= args.connections:
        parser.error("need 1 <= --threads <= --connections <= 1000")
    if not 1 <= args.workers <= 16:
        parser.error("--workers: 1..16")
    if not 1 <= args.profile_requests <= 10_000:
        parser.error("--profile-requests: 1..10000")
    return args


def fmt_table(rows: list[Row], bare: Row) -> str:
    header = ("server", "path", "req/s", "p99 ms", "ratio to bare")
    lines = []
    for row in rows:
        if row.status != row.expected:
            try:
                reason = "no answer" if row.status == 0 else HTTPStatus(row.status).phrase
            except ValueError:
                reason = "unknown status"
            lines.append((row.server, row.path, f"HTTP {row.status}", "-",
                          f"not measured: answered {row.status} {reason}, not {row.expected}"))
            continue
        ratio = row.rps / bare.rps if bare.results and bare.rps else float("nan")
        if row is bare:
            verdict = "1.00 (baseline)"
        elif row.target is None:
            verdict = f"{ratio:.2f} (reference: no target)"
        else:
            mark = "meets" if ratio >= row.target else "BELOW"
            verdict = f"{ratio:.2f} ({mark} target {row.target:.2f})"
        bad = sum(r.non_2xx for r in row.results)
        if bad:
            verdict += f"  [{bad} non-2xx/3xx answers]"
        lines.append((row.server, row.path, f"{row.rps:,.0f}", f"{row.p99_ms:.2f}", verdict))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]

    def render(cells: tuple[str, ...]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            right = i in (2, 3)
            parts.append(cell.rjust(widths[i]) if right else cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(line) for line in lines)])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    if not Path(wrk).exists():
        sys.exit("error: wrk is not installed (apt-get install wrk)")
    # Ctrl-C, kill and a closed terminal all stop every process (SIGINT even when the shell
    # that started us in the background had it ignored).
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    signal.signal(signal.SIGHUP, raise_keyboard_interrupt)

    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="portal-http-bench-"))
    instance = tmp / "instance"
    instance.mkdir()
    env = portal_env(instance)
    started_at = dt.datetime.now().astimezone()
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1) if found else cpu
    command = " ".join(wrk_argv("URL", args.threads, args.connections, args.duration))
    print(f"HTTP page speed, {started_at:%Y-%m-%d %H:%M %Z}: {os.cpu_count()} cores ({cpu}), "
          f"Python {platform.python_version()}", flush=True)
    print(f"gunicorn -w {args.workers} -k sync; {command}; warm-up {args.warmup}; "
          f"rounds {args.rounds}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    try:
        prepare_instance(procs, env, tmp / "setup.log")
        bare_server = Server("bare", "benchmarks.bare_app:app", env, tmp / "bare.log")
        portal_server = Server("portal", "portal:create_app()", env, tmp / "portal.log")
        start_server(bare_server, procs, args.workers, BARE_PATH)
        start_server(portal_server, procs, args.workers, "/")
        print(f"  servers: bare on {HOST}:{bare_server.port}, portal on {HOST}:{portal_server.port}",
              flush=True)
        submit_server = Server("submit", SUBMIT_APP, env, tmp / "submit.log")
        submit_row: Row | None = None
        floor_server = Server("floor", FLOOR_APP, env, tmp / "floor.log")
        floor_row: Row | None = None
        reports_before = 0
        if not args.no_submit:
            start_server(submit_server, procs, args.workers, "/")
            form_url = submit_server.url(SUBMIT_FORM)
            state = open_form(form_url)
            status, location = post_form(form_url, state, "probe-" + secrets.token_hex(8))
            if status != 303 or "/report/done/" not in location:
                print(f"  check: POST {SUBMIT_FORM} answered HTTP {status} ({location or 'no Location'}), "
                      "not 303 to the confirmation: it will not be measured", flush=True)
            submit_row = Row("submit", f"POST {SUBMIT_FORM}", status, expected=303,
                             target=SUBMIT_TARGET_RATIO,
                             script=write_submit_script(tmp / "submit.lua", state))
            if status != 303 or "/report/done/" not in location:
                submit_row.status = status if status != 303 else 0
            reports_before = count_reports(instance)
            print(f"  submit server on {HOST}:{submit_server.port} (no rate limit, no minimum "
                  f"time); probe POST answered {status} to {location}", flush=True)
            start_server(floor_server, procs, args.workers, FLOOR_FORM)
            floor_url = floor_server.url(FLOOR_FORM)
            floor_state = open_form(floor_url)
            status, location = post_form(floor_url, floor_state, "probe-" + secrets.token_hex(8))
            floor_row = Row("floor", f"POST {FLOOR_FORM}", status if status != 303 or
                            "/done/" in location else 0, expected=303, target=None,
                            script=write_submit_script(tmp / "floor.lua", floor_state))
            print(f"  floor server on {HOST}:{floor_server.port} (CSRF form, one row: "
                  f"benchmarks/floor_app.py); probe POST answered {status} to {location}",
                  flush=True)
        other_before = other_cpu()

        # Every URL must answer 200 before anything is measured.
        bare = Row("bare", BARE_PATH, status_of(bare_server.url(BARE_PATH)))
        pages = [Row("portal", p, status_of(portal_server.url(p))) for p in args.paths]
        if bare.status != 200:
            raise RuntimeError(f"the bare app answered HTTP {bare.status} at {BARE_PATH}")
        for row in pages:
            if row.status != 200:
                print(f"  check: GET {row.path} answered HTTP {row.status}: "
                      "it will not be measured", flush=True)
        measured = [r for r in pages if r.status == 200]

        plan: list[tuple[Server, Row]] = [(bare_server, bare)]
        plan += [(portal_server, row) for row in measured]
        if submit_row is not None and submit_row.status == submit_row.expected:
            plan.append((submit_server, submit_row))
        if floor_row is not None and floor_row.status == floor_row.expected:
            plan.append((floor_server, floor_row))
        warmed: set[str] = set()  # each server is warmed up once, before its first measurement
        for round_no in range(1, args.rounds + 1):
            for server, row in plan:
                if seconds(args.warmup) > 0 and server.name not in warmed:
                    # Warm the server on what it is about to serve (every path of the portal).
                    for other in [r for s, r in plan if s is server]:
                        run_wrk(procs, wrk, server.url(url_path(other)), args, args.warmup,
                                other.script)
                    warmed.add(server.name)
                result = run_wrk(procs, wrk, server.url(url_path(row)), args, args.duration,
                                 row.script)
                row.results.append(result)
                extra = f", {result.non_2xx} non-2xx/3xx" if result.non_2xx else ""
                extra += f", socket errors: {result.socket_errors}" if result.socket_errors else ""
                print(f"  round {round_no}: {row.server:<6} {row.path:<14} "
                      f"{result.rps:>9,.0f} req/s  p99 {result.p99_ms:7.2f} ms  "
                      f"({result.requests} requests{extra})", flush=True)

        # The servers are no longer needed; stop them before profiling in this process.
        procs.stop_all()
        if submit_row is not None and submit_row.results:
            stored = count_reports(instance) - reports_before
            # The warm-up's POSTs are stored too, and wrk counts only answered requests.
            sent = sum(r.requests for r in submit_row.results)
            print(f"  submit: {stored} new reports stored for {sent} measured POSTs "
                  f"(+ the warm-up's)" + ("" if stored >= sent else ": FEWER, some POSTs stored "
                                           "nothing"), flush=True)
        other_after = other_cpu()
        print()
        print(fmt_table([bare, *pages, *([submit_row] if submit_row else []),
                         *([floor_row] if floor_row else [])], bare))
        print(f"\nTarget: each page >= {TARGET_RATIO:.0%} of the bare app's requests/s, the "
              f"report submission (POSTs/s, each a new report) >= {SUBMIT_TARGET_RATIO:.0%}. "
              f"Both servers measured the same way on the same {os.cpu_count()} cores, "
              "wrk included.")
        if (submit_row is not None and submit_row.results and floor_row is not None
                and floor_row.results):
            print(f"The floor app (a CSRF-checked form storing one row, nothing else) makes "
                  f"{floor_row.rps / bare.rps:.2f} of the bare app; the report submission makes "
                  f"{submit_row.rps / floor_row.rps:.2f} of the floor app.")
        quiet = max(other_before, other_after) <= BUSY_CPU
        print(f"Other processes used {other_before:.0%} of the CPU just before the measurements "
              f"and {other_after:.0%} just after: "
              + ("quiet." if quiet else "BUSY, so these figures are unreliable; rerun on a "
                 "quiet machine."))

        if args.profile != "never":
            slow = [r.path for r in measured
                    if args.profile == "always" or r.rps / bare.rps < TARGET_RATIO]
            if slow:
                profile_paths(instance, slow, args.profile_requests, top=20)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process", file=sys.stderr)
        return 130
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        if args.keep:
            print(f"instance and logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
