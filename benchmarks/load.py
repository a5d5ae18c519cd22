"""Load without loss: many reports and sign-ups at once, then a check that nothing was lost.

    .venv/bin/python benchmarks/load.py [--backends sqlite postgresql] [--requests 1000]
                                        [--clients 50] [--sign-ups 200] [--capacity 12]

For each database it builds a throwaway instance (SQLite: a file in a temporary folder;
PostgreSQL: a database created on ``--pg-admin-url``'s server with psycopg and dropped at the
end), migrates it (``flask --app portal db upgrade heads``), seeds it (``portal seed``), builds
the router's index (``portal geo-index``), makes an Open311 key with the ``submit`` scope
(``portal apikey add``) and serves it with ``gunicorn -w 4 -k sync 'portal:create_app()'`` on a
free port of 127.0.0.1. Then:

1. ``--requests`` Open311 POSTs (urlencoded; every category crossed with postal codes that name
   one municipality; ``occurred_on`` today in Brussels; some with an e-mail address) from
   ``--clients`` threads. Each 2xx answer's ``service_request_id`` must be a row of the
   database, every reference must be unique, and no answer may be a 5xx.
2. ``--sign-ups`` residents sign up for one session of ``--capacity`` places (made with
   ``portal.courses.services.create_session``): each GETs the page (session cookie, CSRF token,
   the form's hidden fields), all wait at a barrier, then all POST at once and follow the
   redirect to their booking page. Exactly ``--capacity`` must be confirmed (the first ones by
   id), the others waiting with positions 1..n without gaps, each told (in its e-mail, in its
   language) the position its id gives it; no 5xx; every client answered.

The run sets ``PORTAL_OPEN311_RATE_LIMIT`` high, shares the rate limits of the four workers
through Redis (``PORTAL_RATELIMIT_STORAGE_URI``), sets ``PORTAL_FORM_MIN_SECONDS=0`` (the
clients fill forms faster than a person) and ``PORTAL_TRUST_PROXY=1`` with one
``X-Forwarded-For`` address per simulated resident, so that the per-address sign-up limit
(20 per hour) applies to each of them and not to the benchmark as a whole.

Traffic goes only to 127.0.0.1; every loop is bounded in count and in time. Every process it
starts is stopped at the end, also on an error or Ctrl-C. ``tests/load/`` runs the same
functions at a small scale in the test suite. See benchmarks/README.md, "Load without loss".
"""
from __future__ import annotations

import os
import sys

# Run as a script, this folder comes first on sys.path, where a file could hide a module of the
# standard library (an http.py once hid ``http``, which http.client and requests need). Take the
# folder off and put the repository on: ``portal`` and ``benchmarks.*`` import the same either way.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
if os.path.dirname(_HERE) not in sys.path:
    sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import http.client  # noqa: E402
import ipaddress  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

REPO = Path(_HERE).parent
HOST = "127.0.0.1"  # the only address this benchmark ever sends traffic to
#: Postal codes that each name one municipality of the Region (1040 and 1050 name two).
POSTAL_CODES = ("1000", "1030", "1060", "1080", "1180", "1210")
LANGUAGES = ("fr", "nl", "en")
BRUSSELS = ZoneInfo("Europe/Brussels")
#: The per-key Open311 budget during the run: the benchmark measures the portal, not the limit.
RATE_LIMIT = "100000 per minute"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0
#: Sent with every report whose index is a multiple of this: the outbox gets written too.
EMAIL_EVERY = 4


# --------------------------------------------------------------------------- processes

class Processes:
    """Every child in its own process group, so that stopping it stops its children too."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_all()

    def start(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc: subprocess.Popen[bytes] = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace_s)
        # The leader may be gone while a worker of its group lives on: kill what is left.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc in self._procs:
            self._procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self._procs)):
            self.stop(proc)


def raise_keyboard_interrupt(signum: int, _frame: object) -> None:
    """SIGTERM behaves like Ctrl-C: the ``finally`` blocks stop the servers and drop databases."""
    raise KeyboardInterrupt(f"signal {signum}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tool(name: str) -> str | None:
    """A console script of this interpreter's environment, else one on PATH, else None."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def needed_tool(name: str) -> str:
    found = tool(name)
    if found is None:
        sys.exit(f"error: {name} not found (next to {sys.executable} or on PATH)")
    return found


# --------------------------------------------------------------------------- instance

def portal_env(instance: Path, database_url: str | None = None, **settings: object) -> dict[str, str]:
    """The environment of the portal's commands and servers for one throwaway instance.

    The caller's own ``PORTAL_*`` variables are left out: only what is given here applies.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_INSTANCE_PATH"] = str(instance)
    env["PORTAL_SECRET_KEY"] = secrets.token_urlsafe(32)
    if database_url:
        env["PORTAL_DATABASE_URL"] = database_url
    for name, value in settings.items():
        env[f"PORTAL_{name}"] = str(value)
    return env


def load_settings(redis_url: str) -> dict[str, str]:
    """The settings of a load run (see the module's docstring for why each)."""
    return {"OPEN311_RATE_LIMIT": RATE_LIMIT, "RATELIMIT_STORAGE_URI": redis_url,
            "FORM_MIN_SECONDS": "0", "TRUST_PROXY": "1"}


def flask_cli(env: dict[str, str], *args: str, timeout: float = 300.0) -> str:
    """Run ``flask --app portal ARGS`` for the instance; its standard output, or an error."""
    argv = [needed_tool("flask"), "--app", "portal", *args]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def compile_translations() -> None:
    subprocess.run([needed_tool("pybabel"), "-q", "compile", "-d", "portal/translations"],
                   cwd=REPO, check=True, timeout=120, stdin=subprocess.DEVNULL)


def build_instance(env: dict[str, str]) -> None:
    """Migrate (every head), seed the reference data, build the router's index."""
    flask_cli(env, "db", "upgrade", "heads")
    flask_cli(env, "portal", "seed")
    flask_cli(env, "portal", "geo-index")


def add_api_key(env: dict[str, str], name: str) -> str:
    """A key with the ``submit`` scope, made as an operator would; the command prints it last."""
    out = flask_cli(env, "portal", "apikey", "add", name, "--scope", "submit")
    return out.strip().splitlines()[-1].strip()


@contextlib.contextmanager
def postgres_database(admin_url: str, prefix: str = "portal_load") -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped (with force) at the end."""
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    if urlsplit(plain).hostname not in (HOST, "localhost"):
        raise SystemExit(f"error: PostgreSQL must be on {HOST}, not {urlsplit(plain).hostname}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield plain.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(plain, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def verification_app(instance: Path, database_url: str) -> Any:
    """The portal in this process, on the instance's database: to make sessions and to check."""
    from portal import create_app

    return create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
                       "SECRET_KEY": "load-benchmark-checks", "RATELIMIT_ENABLED": False})


def dispose(app: Any) -> None:
    from portal.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def create_course_session(app: Any, capacity: int, *, starts_in_days: int = 14,
                          course_type: str = "basic-first-aid") -> int:
    """An open session through ``portal.courses.services.create_session``; returns its id."""
    from portal.courses import services
    from portal.extensions import db

    start = (dt.datetime.now(BRUSSELS) + dt.timedelta(days=starts_in_days)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    with app.app_context():
        session = services.create_session(services.SessionDraft(
            course_type_code=course_type, language="fr", venue_name="Maison de quartier",
            address="Rue du Trône 12, 1050 Ixelles", municipality_nis="21009",
            capacity=capacity, dates=[(start, start + dt.timedelta(hours=4))],
            notes={"fr": "Apportez une pièce d'identité.", "nl": "Breng uw identiteitskaart mee.",
                   "en": "Bring an identity document."}))
        db.session.commit()
        return int(session.id)


# --------------------------------------------------------------------------- gunicorn

@dataclass
class Gunicorn:
    """``gunicorn -w N -k sync 'portal:create_app()'`` on a free port of 127.0.0.1."""

    env: dict[str, str]
    log: Path
    workers: int = 4
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self, procs: Processes, probe: str = "/fr/", timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Start it and wait until ``probe`` answers at all; RuntimeError with the log's end."""
        gunicorn = tool("gunicorn")
        if gunicorn is None:
            raise RuntimeError(f"gunicorn is not installed (next to {sys.executable} or on PATH)")
        for _attempt in range(3):  # the free port may be taken between our check and the bind
            self.port = free_port()
            argv = [gunicorn, "-w", str(self.workers), "-k", "sync", "-b", f"{HOST}:{self.port}",
                    "--log-level", "warning", "--graceful-timeout", "5", "portal:create_app()"]
            with self.log.open("ab") as log:
                self.proc = procs.start(argv, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.proc.poll() is None:
                if get(self.port, probe, timeout=5)[0] != 0 and len(self.worker_pids()) == self.workers:
                    return
                time.sleep(0.2)
            procs.stop(self.proc)
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        raise RuntimeError(f"gunicorn did not start; its log ends with:\n{tail}")

    def worker_pids(self) -> list[int]:
        """The master's children: its workers (gunicorn respawns one that dies)."""
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]


# --------------------------------------------------------------------------- HTTP

def get(port: int, path: str, headers: dict[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    """(status, body) of a GET; (0, b"") when nothing answers."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        connection.close()


def post_form(port: int, path: str, fields: dict[str, str], headers: dict[str, str] | None = None,
              timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    """(status, body) of an urlencoded POST; raises OSError/HTTPException when nothing answers."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", path, body=urlencode(fields).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- Open311 load

API_PATH = "/open311/v2/requests.json"


def service_codes(port: int) -> list[str]:
    """The categories the API offers today (not a list written here)."""
    status, body = get(port, "/open311/v2/services.json")
    if status != 200:
        raise RuntimeError(f"GET /open311/v2/services.json answered {status}")
    return [item["service_code"] for item in json.loads(body)]


def brussels_today() -> str:
    return dt.datetime.now(BRUSSELS).date().isoformat()


def report_fields(index: int, key: str, codes: Sequence[str], today: str,
                  email_every: int = EMAIL_EVERY, run: str = "") -> dict[str, str]:
    """One submission. 7 categories × 6 postal codes are coprime: every pair comes up."""
    fields = {
        "api_key": key,
        "service_code": codes[index % len(codes)],
        "attribute[postal_code]": POSTAL_CODES[index % len(POSTAL_CODES)],
        "description": f"Load test {run} report {index}: graffiti and a broken bus shelter window.",
        "occurred_on": today,
        "locale": LANGUAGES[index % len(LANGUAGES)],
    }
    if email_every and index % email_every == 0:
        fields["email"] = f"reporter{index}.{run or 'load'}@example.be"
    return fields


@dataclass
class Answer:
    """One request as its client saw it. ``status`` 0: no HTTP answer (``error`` says why)."""

    index: int
    status: int
    started: float
    ended: float
    reference: str | None = None
    error: str = ""
    kind: str = "api"
    body: bytes = b""

    @property
    def latency_ms(self) -> float:
        return (self.ended - self.started) * 1000


def run_clients(clients: int, total: int, deadline_s: float,
                work: Callable[[int], Answer], stop: threading.Event | None = None) -> list[Answer]:
    """``clients`` threads take indexes 0..total-1 in turn and run ``work`` on each.

    Bounded twice: at most ``total`` calls, and no new call after ``deadline_s`` seconds (or
    once ``stop`` is set).
    """
    counter = itertools.count()
    lock = threading.Lock()
    answers: list[Answer] = []
    end = time.monotonic() + deadline_s

    def client() -> None:
        mine: list[Answer] = []
        while time.monotonic() < end and not (stop is not None and stop.is_set()):
            with lock:
                index = next(counter)
            if index >= total:
                break
            mine.append(work(index))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=deadline_s + 2 * REQUEST_TIMEOUT_S)
    return sorted(answers, key=lambda a: a.index)


def submit_report(port: int, fields: dict[str, str], index: int,
                  timeout: float = REQUEST_TIMEOUT_S,
                  headers: dict[str, str] | None = None) -> Answer:
    """POST one report; the answer with its ``service_request_id`` when it was accepted."""
    started = time.perf_counter()
    try:
        status, body = post_form(port, API_PATH, fields, headers=headers, timeout=timeout)
    except (OSError, http.client.HTTPException) as error:
        return Answer(index, 0, started, time.perf_counter(), error=type(error).__name__)
    answer = Answer(index, status, started, time.perf_counter())
    if 200 <= status < 300:
        try:
            answer.reference = json.loads(body)[0]["service_request_id"]
        except (ValueError, LookupError, TypeError):
            answer.error = "2xx without a service_request_id"
    else:
        answer.body = body[:2000]
    return answer


def api_load(port: int, key: str, total: int, clients: int, *, deadline_s: float = 300.0,
             email_every: int = EMAIL_EVERY, stop: threading.Event | None = None,
             run: str = "") -> tuple[list[Answer], float]:
    """``total`` Open311 submissions from ``clients`` threads; (answers, wall-clock seconds)."""
    codes = service_codes(port)
    today = brussels_today()
    run = run or secrets.token_hex(3)

    def work(index: int) -> Answer:
        return submit_report(port, report_fields(index, key, codes, today, email_every, run), index)

    started = time.perf_counter()
    answers = run_clients(clients, total, deadline_s, work, stop)
    return answers, time.perf_counter() - started


@dataclass
class ApiCheck:
    """What the database holds against what the clients were told."""

    sent: int
    statuses: Counter[int]
    no_answer: int
    accepted: int
    #: 2xx answers whose reference is not a row: lost reports. Must be empty.
    missing: list[str]
    #: References given to more than one 2xx answer. Must be empty.
    duplicates: list[str]
    rows: int
    #: Rows no client was told about (a worker killed after its commit, before its answer).
    unanswered_rows: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def rps(self) -> float:
        answered = self.sent - self.no_answer
        return answered / self.seconds if self.seconds else 0.0

    def problems(self, allow_no_answer: bool = False) -> list[str]:
        found = []
        if self.missing:
            found.append(f"{len(self.missing)} accepted report(s) not in the database: {self.missing[:5]}")
        if self.duplicates:
            found.append(f"{len(self.duplicates)} reference(s) given twice: {self.duplicates[:5]}")
        if self.server_errors:
            found.append(f"{self.server_errors} answer(s) 5xx: {dict(self.statuses)}")
        if self.no_answer and not allow_no_answer:
            found.append(f"{self.no_answer} request(s) without an answer: {dict(self.errors)}")
        return found


def check_reports(app: Any, answers: Sequence[Answer], seconds: float) -> ApiCheck:
    """Every 2xx has its row (by reference), every reference is unique."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reports.models import Report

    with app.app_context():
        stored = list(db.session.scalars(select(Report.reference)))
        db.session.remove()
    stored_set = set(stored)
    told = [a.reference for a in answers if 200 <= a.status < 300 and a.reference]
    counts = Counter(told)
    latencies = [a.latency_ms for a in answers if a.status]
    return ApiCheck(
        sent=len(answers),
        statuses=Counter(a.status for a in answers if a.status),
        no_answer=sum(1 for a in answers if not a.status),
        accepted=sum(1 for a in answers if 200 <= a.status < 300),
        missing=[ref for ref in told if ref not in stored_set]
        + [f"answer {a.index}: {a.error}" for a in answers if 200 <= a.status < 300 and not a.reference],
        duplicates=sorted(ref for ref, n in counts.items() if n > 1)
        + sorted(ref for ref, n in Counter(stored).items() if n > 1),
        rows=len(stored),
        unanswered_rows=len(stored_set - set(told)),
        seconds=seconds,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        errors=Counter(a.error for a in answers if a.error),
    )


# --------------------------------------------------------------------------- sign-ups

class _FormFields(HTMLParser):
    """The hidden inputs of the page's POST form that holds ``submission_key``."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("method", "").lower() == "post":
            self._current = {}
        elif tag == "input" and self._current is not None and values.get("type") == "hidden":
            self._current[values.get("name", "")] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def sign_up_form(page: str) -> dict[str, str] | None:
    parser = _FormFields()
    parser.feed(page)
    for form in parser.forms:
        if "csrf_token" in form:
            return {name: value for name, value in form.items() if name}
    return None


@dataclass
class SignUpAnswer:
    """One resident's sign-up as the client saw it (statuses 0: no answer)."""

    index: int
    lang: str
    email: str
    get_status: int = 0
    post_status: int = 0
    booking_status: int = 0
    #: "confirmed" or "waiting", as the booking page says.
    booking_state: str = ""
    token: str = ""
    sent: float = 0.0
    answered: float = 0.0
    error: str = ""

    @property
    def latency_ms(self) -> float:
        return (self.answered - self.sent) * 1000 if self.answered else 0.0


def client_addresses(count: int) -> list[str]:
    """One made-up address per resident (never contacted: only an X-Forwarded-For label).

    A random block of 10.0.0.0/8 per run, so that the per-address limits kept in Redis by an
    earlier run do not count against this one.
    """
    base = int(ipaddress.IPv4Address("10.0.0.0")) + secrets.randbelow(2**24 - count - 2)
    return [str(ipaddress.IPv4Address(base + 1 + i)) for i in range(count)]


def signup_load(port: int, session_id: int, total: int, *, barrier_timeout_s: float = 120.0,
                run: str = "") -> tuple[list[SignUpAnswer], float]:
    """``total`` residents sign up at once; (answers, seconds from the barrier to the last answer)."""
    import requests

    run = run or secrets.token_hex(3)
    addresses = client_addresses(total)
    barrier = threading.Barrier(total)
    answers = [SignUpAnswer(i, LANGUAGES[i % len(LANGUAGES)], f"resident{i}.{run}@example.be")
               for i in range(total)]
    released: list[float] = []
    base = f"http://{HOST}:{port}"

    def resident(answer: SignUpAnswer) -> None:
        http_session = requests.Session()
        http_session.trust_env = False  # no proxy from the environment: 127.0.0.1 only
        http_session.headers["X-Forwarded-For"] = addresses[answer.index]
        path = f"/{answer.lang}/courses/{session_id}"
        form = None
        try:
            page = http_session.get(base + path, timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
            answer.get_status = page.status_code
            form = sign_up_form(page.text) if page.status_code == 200 else None
            if form is None:
                answer.error = "no sign-up form"
        except requests.RequestException as error:
            answer.error = f"GET: {type(error).__name__}"
        try:
            barrier.wait(timeout=barrier_timeout_s)
        except threading.BrokenBarrierError:
            pass  # someone's GET failed or took too long: send anyway, it is recorded
        if form is None:
            return
        form.update({"name": f"Résident {answer.index}", "email": answer.email,
                     "phone": "0470 12 34 56",
                     "purpose": "driving-licence" if answer.index % 2 else "general",
                     "consent": "y"})
        try:
            answer.sent = time.perf_counter()
            if not released:
                released.append(answer.sent)
            response = http_session.post(base + path, data=form, timeout=REQUEST_TIMEOUT_S,
                                         allow_redirects=False)
            answer.answered = time.perf_counter()
            answer.post_status = response.status_code
            location = response.headers.get("Location", "")
            match = re.search(r"/courses/booking/([A-Za-z0-9_-]+)", location)
            if response.status_code != 303 or not match:
                answer.error = f"POST answered {response.status_code}"
                return
            answer.token = match.group(1)
            booking = http_session.get(base + location if location.startswith("/") else location,
                                       timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
            answer.booking_status = booking.status_code
            state = re.search(r'class="booking-status booking-([a-z_]+)"', booking.text)
            answer.booking_state = state.group(1) if state else ""
        except requests.RequestException as error:
            answer.error = f"POST: {type(error).__name__}"
        finally:
            http_session.close()

    threads = [threading.Thread(target=resident, args=(a,), daemon=True) for a in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=barrier_timeout_s + 3 * REQUEST_TIMEOUT_S)
    last = max((a.answered for a in answers if a.answered), default=0.0)
    return answers, (last - released[0]) if released and last else 0.0


@dataclass
class SignUpCheck:
    total: int
    capacity: int
    statuses: Counter[int]
    no_answer: int
    confirmed: int
    waiting: int
    #: The waiting positions, in id order, as the e-mails told them (must be 1..n).
    told_positions: list[int]
    #: Pairs (a answered before b was sent) checked for a.id < b.id, and those out of order.
    ordered_pairs: int
    out_of_order: int
    seconds: float
    p50_ms: float
    p99_ms: float
    problems: list[str]


def check_signups(app: Any, session_id: int, capacity: int,
                  answers: Sequence[SignUpAnswer], seconds: float) -> SignUpCheck:
    """Exact capacity, the waiting list in arrival order, one registration per client."""
    from sqlalchemy import select

    from portal.courses.models import BookingLink, Registration, RegistrationStatus
    from portal.extensions import db
    from portal.i18n import gettext, speaking
    from portal.notify.models import OutboxMessage
    from portal.reports.services import hash_secret

    problems: list[str] = []
    with app.app_context():
        rows = list(db.session.scalars(select(Registration).where(
            Registration.session_id == session_id).order_by(Registration.id)))
        by_hash = {link.token_hash: link.registration_id
                   for link in db.session.scalars(select(BookingLink))}
        bodies: dict[str, list[str]] = {}
        for message in db.session.scalars(select(OutboxMessage)):
            bodies.setdefault(message.recipient, []).append(message.body)
        confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
        waiting = [r for r in rows if r.status == RegistrationStatus.WAITING]
        others = [r for r in rows if r.status not in (RegistrationStatus.CONFIRMED,
                                                       RegistrationStatus.WAITING)]
        if len(confirmed) != min(capacity, len(answers)):
            problems.append(f"{len(confirmed)} confirmed for {capacity} places")
        if others:
            problems.append(f"{len(others)} registration(s) neither confirmed nor waiting")
        if [r.id for r in confirmed] != [r.id for r in rows[:len(confirmed)]]:
            problems.append("the confirmed are not the first registrations")
        # What each waiting person was told, in the language they signed up in.
        told: list[int] = []
        for rank, registration in enumerate(waiting, start=1):
            found = 0
            for position in (rank, *range(1, len(waiting) + 1)):
                with speaking(registration.language):
                    sentence = gettext("This session is full. You are number %(position)s on "
                                       "the waiting list.", position=position)
                if any(sentence in body for body in bodies.get(registration.email or "", [])):
                    found = position
                    break
            told.append(found)
        if told != list(range(1, len(waiting) + 1)):
            wrong = [(rank, got) for rank, got in enumerate(told, start=1) if rank != got]
            problems.append(f"waiting positions told (rank, told) differ: {wrong[:5]}")
        # Each client: one answer, one registration of its own, in the state its page shows.
        ids: dict[int, int] = {}
        status_of = {r.id: r.status for r in rows}
        for answer in answers:
            registration_id = by_hash.get(hash_secret(answer.token)) if answer.token else None
            if registration_id is None:
                problems.append(f"client {answer.index}: no registration "
                                f"(GET {answer.get_status}, POST {answer.post_status}, {answer.error})")
                continue
            ids[answer.index] = registration_id
            if answer.booking_status != 200 or answer.booking_state != status_of.get(registration_id):
                problems.append(f"client {answer.index}: booking page {answer.booking_status} "
                                f"{answer.booking_state!r}, database {status_of.get(registration_id)!r}")
        if len(set(ids.values())) != len(ids):
            problems.append("two clients got the same registration")
        if len(rows) != len(answers):
            problems.append(f"{len(rows)} registrations for {len(answers)} clients")
        db.session.remove()
    # Arrival order: whoever had their answer before another sent the form is ahead of them.
    done = sorted((a for a in answers if a.index in ids and a.answered), key=lambda a: a.answered)
    sent = sorted((a for a in answers if a.index in ids and a.sent), key=lambda a: a.sent)
    pairs = bad = 0
    for later in sent:
        for earlier in done:
            if earlier.answered >= later.sent:
                break
            pairs += 1
            if ids[earlier.index] >= ids[later.index]:
                bad += 1
    if bad:
        problems.append(f"{bad} of {pairs} ordered pairs out of arrival order")
    statuses = Counter(a.post_status for a in answers if a.post_status)
    server_errors = sum(n for s, n in statuses.items() if s >= 500) + sum(
        1 for a in answers if a.get_status >= 500 or a.booking_status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answer(s) 5xx: {dict(statuses)}")
    no_answer = sum(1 for a in answers if not a.post_status)
    if no_answer:
        problems.append(f"{no_answer} client(s) without an answer: "
                        f"{Counter(a.error for a in answers if not a.post_status)}")
    latencies = [a.latency_ms for a in answers if a.answered]
    return SignUpCheck(len(answers), capacity, statuses, no_answer, len(confirmed), len(waiting),
                       told, pairs, bad, seconds, percentile(latencies, 0.5),
                       percentile(latencies, 0.99), problems)


# --------------------------------------------------------------------------- report

def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: set[int] | None = None) -> str:
    """A plain-text table; columns in ``right`` (by index) are right-aligned."""
    right = right or set()
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]),
                      *(line(row) for row in cells[1:])])


def api_row(backend: str, check: ApiCheck) -> list[object]:
    other = sum(n for s, n in check.statuses.items() if not 200 <= s < 500)
    four = sum(n for s, n in check.statuses.items() if 400 <= s < 500)
    return [backend, check.sent, check.accepted, four, check.server_errors + other,
            check.no_answer, f"{check.rps:,.0f}", f"{check.p50_ms:.0f}", f"{check.p99_ms:.0f}",
            f"{check.accepted - len(check.missing)}/{check.accepted}",
            "yes" if not check.duplicates else f"NO ({len(check.duplicates)})"]


API_HEADERS = ["backend", "sent", "2xx", "4xx", "5xx", "no answer", "req/s", "p50 ms",
               "p99 ms", "2xx with row", "refs unique"]


def signup_row(backend: str, check: SignUpCheck) -> list[object]:
    positions = check.told_positions
    contiguous = positions == list(range(1, len(positions) + 1))
    span = f"1..{len(positions)}" if positions else "-"
    return [backend, check.total, check.total - check.no_answer,
            sum(n for s, n in check.statuses.items() if s >= 500),
            f"{check.confirmed}/{check.capacity}", check.waiting,
            f"{span} {'ok' if contiguous else 'WRONG'}",
            f"{check.ordered_pairs - check.out_of_order}/{check.ordered_pairs}",
            f"{check.seconds:.1f}", f"{check.p50_ms:.0f}", f"{check.p99_ms:.0f}"]


SIGNUP_HEADERS = ["backend", "clients", "answered", "5xx", "confirmed", "waiting",
                  "positions told", "in order", "seconds", "p50 ms", "p99 ms"]


# --------------------------------------------------------------------------- main

@dataclass
class Outcome:
    backend: str
    api: ApiCheck
    signups: SignUpCheck


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> Outcome:
    instance = workdir / backend
    instance.mkdir()
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(postgres_database(args.pg_admin_url))
            database_url = url
        else:
            url = None
            database_url = f"sqlite:///{instance / 'portal.sqlite3'}"
        env = portal_env(instance, url, **load_settings(args.redis_url))
        step = time.perf_counter()
        build_instance(env)
        key = add_api_key(env, "load-benchmark")
        app = verification_app(instance, database_url)
        stack.callback(dispose, app)
        session_id = create_course_session(app, args.capacity)
        print(f"[{backend}] instance ready in {time.perf_counter() - step:.1f} s", flush=True)
        procs = stack.enter_context(Processes())
        server = Gunicorn(env, workdir / f"gunicorn-{backend}.log", workers=args.workers)
        server.start(procs)
        print(f"[{backend}] gunicorn -w {args.workers} on port {server.port}; "
              f"{args.requests} reports from {args.clients} clients ...", flush=True)
        answers, seconds = api_load(server.port, key, args.requests, args.clients,
                                    deadline_s=args.deadline)
        api = check_reports(app, answers, seconds)
        print(f"[{backend}] {args.sign_ups} sign-ups for {args.capacity} places ...", flush=True)
        signups, signup_seconds = signup_load(server.port, session_id, args.sign_ups)
        checked = check_signups(app, session_id, args.capacity, signups, signup_seconds)
        procs.stop_all()
        if args.verbose:
            log = server.log.read_text(errors="replace")
            print(f"[{backend}] gunicorn log ({len(log)} characters):\n{log[-3000:]}")
        return Outcome(backend, api, checked)
    raise AssertionError("unreachable")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"],
                        default=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sign-ups", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=12)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=600.0,
                        help="seconds after which no new request is started (default 600)")
    parser.add_argument("--pg-admin-url", default=os.environ.get("PORTAL_TEST_DATABASE_URL")
                        or DEFAULT_PG_ADMIN, help=f"a database to connect to for CREATE/DROP "
                        f"DATABASE (default $PORTAL_TEST_DATABASE_URL or {DEFAULT_PG_ADMIN})")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS,
                        help=f"rate-limit storage shared by the workers (default {DEFAULT_REDIS})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the gunicorn logs")
    args = parser.parse_args(argv)
    if not 0 < args.capacity < args.sign_ups:
        parser.error("--capacity must be between 1 and --sign-ups - 1")
    return args


def check_redis(url: str) -> None:
    if not url.startswith("redis"):
        return
    import redis

    host = urlsplit(url).hostname
    if host not in (HOST, "localhost"):
        sys.exit(f"error: Redis must be on {HOST}, not {host}")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        sys.exit(f"error: cannot reach Redis at {url} ({error}); start it or pass --redis-url memory://")


def header() -> str:
    import gunicorn

    load = os.getloadavg()[0]
    return (f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, gunicorn {gunicorn.__version__}, "
            f"load average before the run {load:.2f}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    check_redis(args.redis_url)
    print(header(), flush=True)
    compile_translations()
    workdir = Path(tempfile.mkdtemp(prefix="portal-load-"))
    outcomes: list[Outcome] = []
    try:
        for backend in args.backends:
            outcomes.append(run_backend(backend, args, workdir))
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"Open311 POST {API_PATH}: {args.requests} reports from {args.clients} clients, "
          f"gunicorn -w {args.workers} (sync)")
    print(table(API_HEADERS, [api_row(o.backend, o.api) for o in outcomes],
                right=set(range(1, len(API_HEADERS) - 2))))
    print()
    print(f"Course sign-ups: {args.sign_ups} clients at once for {args.capacity} places")
    print(table(SIGNUP_HEADERS, [signup_row(o.backend, o.signups) for o in outcomes],
                right={1, 2, 3, 5, 8, 9, 10}))
    failed = False
    for outcome in outcomes:
        for problem in outcome.api.problems() + outcome.signups.problems:
            failed = True
            print(f"FAIL [{outcome.backend}] {problem}")
    print("\nNothing lost." if not failed else "\nLOSS OR ERRORS: see above.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
