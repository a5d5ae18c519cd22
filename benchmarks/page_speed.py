"""HTTP page speed: the portal's pages against a bare Flask app, both under gunicorn, with wrk.

    .venv/bin/python -m benchmarks.page_speed [--paths /fr/ /fr/report/ /fr/courses/]
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
wrk does not follow). At the end, the reports stored are counted against the POSTs sent.

A fourth gunicorn serves ``benchmarks.floor_app:app``, measured the same way: a form with its CSRF
token that stores one row in SQLite and nothing else, the least any submission costs with Flask,
Flask-WTF and Flask-SQLAlchemy. It has no target itself: it says how much of the gap between the
bare app and the portal's submission is the stack's and how much the portal's, and the
submission's target (issue 18) is relative to it: >= 0.50 of the floor app's POSTs/s in the same
run. Below that (or with ``--profile always``), the POST is profiled in-process too: test-client
POSTs timed against the floor app's, then under cProfile.

See benchmarks/README.md for what the figures mean on a 2-core machine.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import os
import pstats
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path

import gunicorn

from benchmarks import common
from benchmarks.common import HOST, REPO, Gunicorn, Processes

TARGET_RATIO = 0.50
#: /fr/courses/1 is the first demo session's page (the sign-up form).
DEFAULT_PATHS = ("/fr/", "/fr/report/", "/fr/courses/", "/fr/courses/1")
#: The course list and the session pages show data and a form: their target (issue 18) is lower.
COURSE_TARGET_RATIO = 0.25


def target_for(path: str) -> float:
    """The ratio to the bare app a page must reach."""
    return COURSE_TARGET_RATIO if "/courses/" in path else TARGET_RATIO
#: The complete report submission (a POST that stores a new report each time).
SUBMIT_FORM = "/fr/report/new/vandalism"
#: Its target (issue 18) is relative to the floor app's POSTs/s in the same run, not to the bare
#: app: the floor is the least any CSRF-checked form that stores a row costs on this stack.
SUBMIT_TARGET_OF_FLOOR = 0.50
SUBMIT_APP = 'portal:create_app({"RATELIMIT_ENABLED": False, "FORM_MIN_SECONDS": 0})'
#: The least any form submission costs on this stack (CSRF form, one row): see floor_app.py.
FLOOR_APP = "benchmarks.floor_app:app"
FLOOR_FORM = "/"
BARE_APP = "benchmarks.bare_app:app"
BARE_PATH = "/"
#: Above this share of all cores busy with other work, a run's figures are not to be trusted.
BUSY_CPU = 0.10


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
    with contextlib.closing(sqlite3.connect(instance / "portal.sqlite3")) as connection:
        return int(connection.execute("SELECT count(*) FROM report").fetchone()[0])


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


def profile_paths(instance: common.Instance, paths: list[str], requests: int, top: int) -> None:
    """cProfile a loop of test-client requests to each path, in this process."""
    from benchmarks.bare_app import app as bare_app

    client = instance.app().test_client()
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


def _post_loop(client: object, url: str, fields: dict[str, str], requests: int,
               prefix: str) -> float:
    """``requests`` POSTs of the filled form, each with a new submission key: ms of this
    process's CPU per POST (SQLite works in this process; CPU time is what other processes on a
    busy machine disturb least)."""
    body = SubmitState("", fields).body(None)
    started = time.process_time()
    for index in range(requests):
        response = client.post(url, data=f"{body}&submission_key={prefix}-{index}",  # type: ignore[attr-defined]
                               content_type="application/x-www-form-urlencoded")
        if response.status_code != 303:
            raise RuntimeError(f"POST {url} answered HTTP {response.status_code} in-process")
    return (time.process_time() - started) * 1000 / requests


def _hidden_fields(client: object, url: str) -> dict[str, str]:
    parser = _HiddenInputs()
    parser.feed(client.get(url).get_data(as_text=True))  # type: ignore[attr-defined]
    return parser.fields


def profile_submission(instance: common.Instance, requests: int, top: int) -> None:
    """cProfile test-client POSTs of the report form, after timing them against the floor app's
    (CPU time, best of 5 loops each, in this process, the request log included as under
    gunicorn)."""
    client = instance.app(RATELIMIT_ENABLED=False, FORM_MIN_SECONDS=0).test_client()
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance.path)  # floor.sqlite3 beside the portal's
    from benchmarks.floor_app import app as floor_app

    floor = floor_app.test_client()
    fields, floor_fields = _hidden_fields(client, SUBMIT_FORM), _hidden_fields(floor, FLOOR_FORM)
    run = secrets.token_hex(4)
    _post_loop(client, SUBMIT_FORM, fields, 50, f"warm-{run}")
    _post_loop(floor, FLOOR_FORM, floor_fields, 50, f"warm-{run}")
    portal_ms = min(_post_loop(client, SUBMIT_FORM, fields, requests, f"t{k}-{run}") for k in range(5))
    floor_ms = min(_post_loop(floor, FLOOR_FORM, floor_fields, requests, f"t{k}-{run}")
                   for k in range(5))
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    _post_loop(client, SUBMIT_FORM, fields, requests, f"profile-{run}")
    profiler.disable()
    print(f"\n## Profile of POST {SUBMIT_FORM}: {requests} test-client requests in-process, "
          f"{portal_ms:.3f} ms of CPU each without the profiler (floor app: {floor_ms:.3f} ms, "
          f"ratio {floor_ms / portal_ms:.2f}); the profile counts CPU time")
    _print_profile(pstats.Stats(profiler), requests, top)


# --------------------------------------------------------------------------- main

def url_path(row: Row) -> str:
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
    of_floor: bool = False  # its target is a ratio to the floor app's requests/s

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


def fmt_table(rows: list[Row], bare: Row, floor: Row | None = None) -> str:
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
        elif row.of_floor and floor is not None and floor.results and floor.rps:
            of_floor = row.rps / floor.rps
            mark = "meets" if of_floor >= SUBMIT_TARGET_OF_FLOOR else "BELOW"
            verdict = (f"{ratio:.2f}; {of_floor:.2f} of floor ({mark} target "
                       f"{SUBMIT_TARGET_OF_FLOOR:.2f} of floor)")
        elif row.target is None:
            verdict = f"{ratio:.2f} (reference: no target)"
        else:
            mark = "meets" if ratio >= row.target else "BELOW"
            verdict = f"{ratio:.2f} ({mark} target {row.target:.2f})"
        bad = sum(r.non_2xx for r in row.results)
        if bad:
            verdict += f"  [{bad} non-2xx/3xx answers]"
        lines.append((row.server, row.path, f"{row.rps:,.0f}", f"{row.p99_ms:.2f}", verdict))
    return common.table(header, lines, right={2, 3})


def measure(args: argparse.Namespace, wrk: str, procs: Processes, instance: common.Instance,
            tmp: Path) -> None:
    """Start the servers, check every URL, run wrk in rounds, print the table (and profiles)."""
    env = instance.env
    bare_server = Gunicorn(env, tmp / "bare.log", args.workers, BARE_APP)
    portal_server = Gunicorn(env, tmp / "portal.log", args.workers)
    bare_server.start(procs, BARE_PATH)
    portal_server.start(procs, "/")
    print(f"  servers: bare on {HOST}:{bare_server.port}, portal on {HOST}:{portal_server.port}",
          flush=True)
    submit_server = Gunicorn(env, tmp / "submit.log", args.workers, SUBMIT_APP)
    submit_row: Row | None = None
    floor_server = Gunicorn(env, tmp / "floor.log", args.workers, FLOOR_APP)
    floor_row: Row | None = None
    reports_before = 0
    if not args.no_submit:
        submit_server.start(procs, "/")
        form_url = submit_server.url(SUBMIT_FORM)
        state = open_form(form_url)
        status, location = post_form(form_url, state, "probe-" + secrets.token_hex(8))
        if status != 303 or "/report/done/" not in location:
            print(f"  check: POST {SUBMIT_FORM} answered HTTP {status} ({location or 'no Location'}), "
                  "not 303 to the confirmation: it will not be measured", flush=True)
        submit_row = Row("submit", f"POST {SUBMIT_FORM}", status, expected=303, target=None,
                         script=write_submit_script(tmp / "submit.lua", state), of_floor=True)
        if status != 303 or "/report/done/" not in location:
            submit_row.status = status if status != 303 else 0
        reports_before = count_reports(instance.path)
        print(f"  submit server on {HOST}:{submit_server.port} (no rate limit, no minimum "
              f"time); probe POST answered {status} to {location}", flush=True)
        floor_server.start(procs, FLOOR_FORM)
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
    pages = [Row("portal", p, status_of(portal_server.url(p)), target=target_for(p))
             for p in args.paths]
    if bare.status != 200:
        raise RuntimeError(f"the bare app answered HTTP {bare.status} at {BARE_PATH}")
    for row in pages:
        if row.status != 200:
            print(f"  check: GET {row.path} answered HTTP {row.status}: "
                  "it will not be measured", flush=True)
    measured = [r for r in pages if r.status == 200]

    plan: list[tuple[Gunicorn, Row]] = [(bare_server, bare)]
    plan += [(portal_server, row) for row in measured]
    if submit_row is not None and submit_row.status == submit_row.expected:
        plan.append((submit_server, submit_row))
    if floor_row is not None and floor_row.status == floor_row.expected:
        plan.append((floor_server, floor_row))
    warmed: set[int] = set()  # each server is warmed up once, before its first measurement
    for round_no in range(1, args.rounds + 1):
        for server, row in plan:
            if seconds(args.warmup) > 0 and server.port not in warmed:
                # Warm the server on what it is about to serve (every path of the portal).
                for other in [r for s, r in plan if s is server]:
                    run_wrk(procs, wrk, server.url(url_path(other)), args, args.warmup,
                            other.script)
                warmed.add(server.port)
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
        stored = count_reports(instance.path) - reports_before
        # The warm-up's POSTs are stored too, and wrk counts only answered requests.
        sent = sum(r.requests for r in submit_row.results)
        print(f"  submit: {stored} new reports stored for {sent} measured POSTs "
              f"(+ the warm-up's)" + ("" if stored >= sent else ": FEWER, some POSTs stored "
                                       "nothing"), flush=True)
    other_after = other_cpu()
    print()
    print(fmt_table([bare, *pages, *([submit_row] if submit_row else []),
                     *([floor_row] if floor_row else [])], bare, floor_row))
    print(f"\nTarget: each page >= {TARGET_RATIO:.0%} of the bare app's requests/s (course "
          f"pages >= {COURSE_TARGET_RATIO:.0%}), the "
          f"report submission (POSTs/s, each a new report) >= {SUBMIT_TARGET_OF_FLOOR:.0%} of the "
          "floor app's. "
          f"Both servers measured the same way on the same {os.cpu_count()} cores, "
          "wrk included.")
    if (submit_row is not None and submit_row.results and floor_row is not None
            and floor_row.results):
        print(f"The floor app (a CSRF-checked form storing one row, nothing else) makes "
              f"{floor_row.rps / bare.rps:.2f} of the bare app; the report submission makes "
              f"{submit_row.rps / floor_row.rps:.2f} of the floor app (each round: "
              + ", ".join(f"{s.rps / f.rps:.2f}" for s, f in zip(submit_row.results,
                                                                 floor_row.results, strict=True))
              + ").")
    quiet = max(other_before, other_after) <= BUSY_CPU
    print(f"Other processes used {other_before:.0%} of the CPU just before the measurements "
          f"and {other_after:.0%} just after: "
          + ("quiet." if quiet else "BUSY, so these figures are unreliable; rerun on a "
             "quiet machine."))

    if args.profile != "never":
        slow = [r.path for r in measured
                if args.profile == "always" or r.rps / bare.rps < target_for(r.path)]
        if slow:
            profile_paths(instance, slow, args.profile_requests, top=20)
        if (submit_row is not None and submit_row.results and floor_row is not None
                and floor_row.results and (args.profile == "always" or submit_row.rps
                                           < SUBMIT_TARGET_OF_FLOOR * floor_row.rps)):
            profile_submission(instance, min(args.profile_requests, 500), top=30)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = common.needed_tool("wrk")  # apt-get install wrk
    common.begin("HTTP page speed", f"gunicorn {gunicorn.__version__}")
    command = " ".join(wrk_argv("URL", args.threads, args.connections, args.duration))
    print(f"gunicorn -w {args.workers} -k sync; {command}; warm-up {args.warmup}; "
          f"rounds {args.rounds}", flush=True)

    def run() -> None:
        with common.workdir("portal-http-bench-", args.keep) as tmp, Processes() as procs:
            started = time.perf_counter()
            with common.throwaway_instance(tmp / "instance", demo_courses=True) as instance:
                print(f"  set-up: instance migrated and seeded, demo courses loaded in "
                      f"{time.perf_counter() - started:.1f} s", flush=True)
                measure(args, wrk, procs, instance, tmp)

    return common.exit_status(run)


if __name__ == "__main__":
    sys.exit(main())
