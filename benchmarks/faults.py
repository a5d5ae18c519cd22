"""Faults: the portal while its database stops, its mail server is down, or a worker dies.

    .venv/bin/python -m benchmarks.faults [--only database smtp worker] [--clients 16]

Not part of the test suite: it starts and stops a database server of its own, which the tests'
shared PostgreSQL must never see. Three scenarios, each on a throwaway instance (migrated,
seeded, router index, an Open311 ``submit`` key) served by ``gunicorn -w 4 -k sync
'portal:create_app()'`` on a free port of 127.0.0.1:

database  A PRIVATE PostgreSQL 15 (``initdb`` into a temporary folder as the ``postgres`` OS user,
          a free port on 127.0.0.1, its unix socket in that folder). Clients load HTML pages that
          read the database (``/fr/courses/``, ``/nl/courses/<id>``) and file Open311 reports;
          mid-load the server is stopped (``pg_ctl stop -m fast``), then started again. While it
          is down, pages must answer the localized 503 page (HTML, the French or Dutch title of
          the 503 page, no "Traceback") and the API its Open311 503 list: never a 500. After the
          restart the same gunicorn workers (same PIDs) must serve again (``pool_pre_ping``).
smtp      Reports with an e-mail queue messages; ``flask portal outbox send`` with
          ``PORTAL_MAIL_SERVER`` on a closed port: nothing lost, attempts go up, the retry is
          scheduled; an aiosmtpd server is then started on that port and, once the first retry
          (1 minute) is due, ``outbox send`` delivers every message exactly once.
worker    During Open311 load, ``kill -9`` of one gunicorn worker, twice (gunicorn starts new
          ones). Every 2xx answer must have its row; the requests that died with the worker
          fail at the connection level, which is counted, as are the rows stored whose answer
          was lost. Each request carries an ``Idempotency-Key``; those without an answer are
          sent again with the same key, after which every request must have exactly one row.
          On SQLite and on the private PostgreSQL.

Traffic goes only to 127.0.0.1; every loop is bounded in count and time; every process it
starts (gunicorn, the private PostgreSQL, the SMTP server) is stopped at the end, also on an
error or Ctrl-C. See benchmarks/README.md, "Faults".
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gunicorn

from benchmarks import common
from benchmarks.common import HOST, Gunicorn, Processes, table
from tests.load import traffic

PG_BIN = Path(os.environ.get("PORTAL_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"  # PostgreSQL refuses to run as root
PHASES = ("before", "during", "after")


# --------------------------------------------------------------------------- private PostgreSQL

class PrivatePostgres:
    """A PostgreSQL server of our own in a temporary folder: free port, socket in the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.socket_dir = root / "socket"
        self.log = root / "postgres.log"
        self.port = common.free_port()
        self.running = False

    def _run(self, *argv: str, timeout: float = 120.0) -> str:
        command = [str(PG_BIN / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("running as root needs runuser to start PostgreSQL as postgres")
            command = [runuser, "-u", PG_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({done.returncode}):\n"
                               f"{done.stdout[-1500:]}{done.stderr[-1500:]}\n{log}")
        return done.stdout

    def init(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"no PostgreSQL binaries in {PG_BIN} (set PORTAL_PG_BIN)")
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, PG_USER)
            shutil.chown(self.socket_dir, PG_USER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses={HOST} "
                   "-c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", options, "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def private_postgres(workdir: Path) -> Iterator[PrivatePostgres]:
    root = workdir / "postgres"
    root.mkdir()
    server = PrivatePostgres(root)
    server.init()
    server.start()
    try:
        yield server
    finally:
        if server.running or (server.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                server.stop("immediate")


# --------------------------------------------------------------------------- instances

@dataclass
class Prepared:
    """A throwaway instance, its Open311 ``submit`` key and the app that checks its database."""

    instance: common.Instance
    key: str
    app: Any

    @property
    def env(self) -> dict[str, str]:
        return self.instance.env


@contextlib.contextmanager
def instance(workdir: Path, name: str, database_url: str | None, redis_url: str,
             **settings: object) -> Iterator[Prepared]:
    """A migrated, seeded instance with a submit key, set as for a load run."""
    with common.throwaway_instance(workdir / name, database_url,
                                   {**traffic.load_settings(redis_url), **settings}) as made:
        yield Prepared(made, made.add_api_key(f"faults-{name}"), made.app())


def request(port: int, method: str, path: str, fields: dict[str, str] | None = None,
            timeout: float = 30.0) -> tuple[int, str, bytes]:
    """(status, content type, body); status 0 when the connection failed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        body = urlencode(fields).encode() if fields is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    except (OSError, http.client.HTTPException):
        return 0, "", b""
    finally:
        connection.close()


# --------------------------------------------------------------------------- a) database stops

@dataclass
class Hit:
    kind: str
    lang: str
    started: float
    ended: float
    status: int
    outcome: str  # "2xx", "503 page", "503 api", or "other: ..."
    reference: str | None = None


def classify(kind: str, lang: str, status: int, content_type: str, body: bytes,
             titles: dict[str, str]) -> tuple[str, str | None]:
    """What an answer is worth: a success, the right 503, or anything else (a failure)."""
    if not status:
        return "other: no answer", None
    text = body.decode("utf-8", errors="replace")
    if "Traceback" in text:
        return f"other: {status} with a stack trace", None
    if 200 <= status < 300:
        if kind == "api":
            try:
                return "2xx", json.loads(text)[0]["service_request_id"]
            except (ValueError, LookupError, TypeError):
                return "other: 2xx without a service_request_id", None
        return "2xx", None
    if status == 503 and kind == "page":
        if "text/html" in content_type and titles[lang] in html.unescape(text) \
                and f'lang="{lang}"' in text:
            return "503 page", None
        return f"other: 503 without the {lang} page", None
    if status == 503 and kind == "api":
        try:
            errors = json.loads(text)
        except ValueError:
            return "other: 503 not Open311", None
        if isinstance(errors, list) and errors and errors[0].get("code") == 503:
            return "503 api", None
        return "other: 503 not Open311", None
    return f"other: {status}", None


def database_stops(args: argparse.Namespace, workdir: Path, procs: Processes,
                   pg: PrivatePostgres) -> tuple[str, bool]:
    """Scenario a. Returns (printed table, passed)."""
    from portal.errors import MESSAGES
    from portal.i18n import speaking

    url = pg.create_database("portal_faults")
    with instance(workdir, "database", url, args.redis_url) as inst:
        session_id = traffic.create_course_session(inst.app, 12)
        titles = {}
        for lang in traffic.LANGUAGES:
            with inst.app.app_context(), speaking(lang):
                titles[lang] = str(MESSAGES[503][0])
        server = Gunicorn(inst.env, workdir / "gunicorn-database.log")
        server.start(procs)
        workers_before = sorted(server.worker_pids())
        codes = traffic.service_codes(server.port)
        today = traffic.brussels_today()
        targets = [("page", "fr", "/fr/courses/"), ("page", "nl", f"/nl/courses/{session_id}"),
                   ("api", "fr", traffic.API_PATH), ("page", "nl", "/nl/courses/"),
                   ("page", "fr", f"/fr/courses/{session_id}"), ("api", "nl", traffic.API_PATH)]

        def work(index: int) -> traffic.Answer:
            kind, lang, path = targets[index % len(targets)]
            started = time.perf_counter()
            if kind == "api":
                fields = traffic.report_fields(index, inst.key, codes, today, 0, "faults")
                fields["locale"] = lang
                status, content_type, body = request(server.port, "POST", path, fields)
            else:
                status, content_type, body = request(server.port, "GET", path)
            outcome, reference = classify(kind, lang, status, content_type, body, titles)
            hits.append(Hit(kind, lang, started, time.perf_counter(), status, outcome, reference))
            return traffic.Answer(index, status, started, time.perf_counter())

        hits: list[Hit] = []
        stop = threading.Event()
        runner = threading.Thread(target=traffic.run_clients, daemon=True,
                                  args=(args.clients, args.max_requests, 120.0, work, stop))
        runner.start()
        time.sleep(args.phase_seconds)
        down_at = time.perf_counter()
        pg.stop("fast")
        stopped_at = time.perf_counter()
        time.sleep(args.phase_seconds)
        pg.start()
        up_at = time.perf_counter()
        time.sleep(args.phase_seconds * 1.5)
        stop.set()
        runner.join(timeout=120)
        workers_after = sorted(server.worker_pids())
        procs.stop(server.proc)  # type: ignore[arg-type]

        def phase(hit: Hit) -> str:
            if hit.ended < down_at:
                return "before"
            if hit.started > up_at:
                return "after"
            return "during"

        counts = {p: Counter() for p in PHASES}  # type: ignore[var-annotated]
        for hit in hits:
            counts[phase(hit)][hit.outcome] += 1
        accepted = [h.reference for h in hits if h.reference]
        check = traffic.check_reports(inst.app, [
            traffic.Answer(i, 200, 0, 0, reference=ref) for i, ref in enumerate(accepted)], 1.0)
        durations = {"before": down_at - min((h.started for h in hits), default=down_at),
                     "during": up_at - down_at,
                     "after": max((h.ended for h in hits), default=up_at) - up_at}
        rows = []
        for p in PHASES:
            c = counts[p]
            other = sum(n for outcome, n in c.items() if outcome.startswith("other"))
            rows.append([p, f"{durations[p]:.1f}", sum(c.values()), c["2xx"], c["503 page"],
                         c["503 api"], other])
        others = Counter({o: n for p in PHASES for o, n in counts[p].items() if o.startswith("other")})
        problems = []
        if others:
            problems.append(f"answers that are neither 2xx nor the right 503: {dict(others)}")
        if not counts["during"]["503 page"]:
            problems.append("no 503 page while the database was down")
        if counts["after"]["2xx"] == 0 or sum(counts["after"].values()) != counts["after"]["2xx"]:
            problems.append(f"after the restart not everything was 2xx: {dict(counts['after'])}")
        if workers_after != workers_before:
            problems.append(f"workers changed: {workers_before} -> {workers_after}")
        problems += check.problems()
        text = "\n".join([
            f"a) PostgreSQL stopped (pg_ctl stop -m fast, took {stopped_at - down_at:.1f} s) and "
            f"started again during load; {args.clients} clients; pages /fr/courses/, "
            f"/nl/courses/<id> and Open311 POST",
            table(["phase", "seconds", "requests", "2xx", "503 page", "503 api", "other"], rows,
                  right={1, 2, 3, 4, 5, 6}),
            f"workers before {workers_before}, after {workers_after} "
            f"({'same processes: no restart' if workers_after == workers_before else 'CHANGED'}); "
            f"2xx reports with their row: {len(accepted) - len(check.missing)}/{len(accepted)}",
            *(f"FAIL {p}" for p in problems)])
        return text, not problems


# --------------------------------------------------------------------------- b) SMTP down

class _Recorder:
    """aiosmtpd handler: keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@dataclass
class OutboxState:
    pending: int
    sent: int
    attempts: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    next_due: dt.datetime | None = None


def outbox_state(app: Any) -> OutboxState:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.notify.models import PENDING, SENT, OutboxMessage

    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage)))
        state = OutboxState(sum(1 for r in rows if r.status == PENDING),
                            sum(1 for r in rows if r.status == SENT),
                            Counter(r.attempts for r in rows),
                            Counter((r.last_error or "").split(":")[0] for r in rows if r.last_error),
                            max((r.next_attempt_at for r in rows if r.status == PENDING), default=None))
        db.session.remove()
    return state


def smtp_down(args: argparse.Namespace, workdir: Path, procs: Processes) -> tuple[str, bool]:
    """Scenario b."""
    from aiosmtpd.controller import Controller

    from portal.db import utcnow

    port = common.free_port()  # nothing listens there until the SMTP server starts
    mail = {"MAIL_SERVER": HOST, "MAIL_PORT": port, "MAIL_TIMEOUT": 5}
    problems: list[str] = []
    rows: list[list[object]] = []
    with instance(workdir, "smtp", None, args.redis_url, **mail) as inst:
        server = Gunicorn(inst.env, workdir / "gunicorn-smtp.log")
        server.start(procs)
        answers, _seconds = traffic.api_load(server.port, inst.key, args.messages, 8, email_every=1,
                                          run="smtp")
        procs.stop(server.proc)  # type: ignore[arg-type]
        accepted = sum(1 for a in answers if 200 <= a.status < 300)
        queued = outbox_state(inst.app)
        rows.append(["queued by reports with an e-mail", "-", "-", queued.pending,
                     dict(queued.attempts), 0])
        if accepted != args.messages or queued.pending != accepted:
            problems.append(f"{accepted} reports accepted, {queued.pending} messages queued")

        def send(label: str) -> str:
            out = inst.instance.cli("portal", "outbox", "send", timeout=120).strip()
            state = outbox_state(inst.app)
            found = re.search(r"(\d+) sent, (\d+) failed", out)
            sent, failed = (int(found.group(1)), int(found.group(2))) if found else (-1, -1)
            rows.append([label, sent, failed, state.pending, dict(state.attempts),
                         len(recorder.messages)])
            return out

        recorder = _Recorder()
        send("outbox send, SMTP port closed")
        down = outbox_state(inst.app)
        if down.pending != queued.pending or dict(down.attempts) != {1: queued.pending}:
            problems.append(f"after a failed pass: {down}")
        if set(down.errors) != {"ConnectionRefusedError"}:
            problems.append(f"errors recorded: {dict(down.errors)}")
        send("outbox send again at once (retry not due)")
        if dict(outbox_state(inst.app).attempts) != {1: queued.pending}:
            problems.append("a pass before the retry time touched the messages")
        controller = Controller(recorder, hostname=HOST, port=port)
        controller.start()
        try:
            due = down.next_due
            waited = 0.0
            if due is not None:
                waited = max(0.0, (due - utcnow()).total_seconds()) + 1.0
                if waited > 120:
                    problems.append(f"first retry {waited:.0f} s away")
                    waited = 0.0
                print(f"[smtp] SMTP server up on {HOST}:{port}; waiting {waited:.0f} s for the "
                      f"first retry ...", flush=True)
                time.sleep(waited)
            send(f"outbox send after {waited:.0f} s, SMTP server up")
            send("outbox send once more")
        finally:
            controller.stop()
        final = outbox_state(inst.app)
        ids = Counter()  # type: ignore[var-annotated]
        for _rcpt, content in recorder.messages:
            found = re.search(rb"Message-ID: <outbox\.\d+\.(\d+)@", content, re.IGNORECASE)
            ids[int(found.group(1)) if found else -1] += 1
        if final.pending or final.sent != queued.pending:
            problems.append(f"after delivery: {final.pending} pending, {final.sent} sent")
        if len(recorder.messages) != queued.pending or any(n != 1 for n in ids.values()) \
                or len(ids) != queued.pending:
            problems.append(f"{len(recorder.messages)} delivered for {queued.pending} queued; "
                            f"duplicates {[i for i, n in ids.items() if n > 1][:5]}")
    text = "\n".join([
        f"b) SMTP server down: {args.messages} Open311 reports with an e-mail, then "
        f"`flask --app portal portal outbox send` with PORTAL_MAIL_SERVER={HOST} "
        f"PORTAL_MAIL_PORT=<closed port>",
        table(["step", "sent", "failed", "pending", "attempts: messages", "received by SMTP"],
              rows, right={1, 2, 3, 5}),
        f"distinct Message-IDs received: {len(ids)}, each once: "
        f"{'yes' if ids and all(n == 1 for n in ids.values()) else 'NO'}",
        *(f"FAIL {p}" for p in problems)])
    return text, not problems


# --------------------------------------------------------------------------- c) a worker dies

def worker_killed(args: argparse.Namespace, workdir: Path, procs: Processes, backend: str,
                  pg: PrivatePostgres | None) -> tuple[list[object], list[str]]:
    """Scenario c on one backend: (table row, problems)."""
    url = pg.create_database("portal_kill") if pg is not None else None
    with instance(workdir, f"worker-{backend}", url, args.redis_url) as inst:
        server = Gunicorn(inst.env, workdir / f"gunicorn-worker-{backend}.log")
        server.start(procs)
        codes = traffic.service_codes(server.port)
        today = traffic.brussels_today()
        done = [0]
        lock = threading.Lock()

        run = f"kill-{backend}"

        def fields(index: int) -> dict[str, str]:
            return traffic.report_fields(index, inst.key, codes, today, traffic.EMAIL_EVERY, run)

        def idempotency(index: int) -> dict[str, str]:
            # What a careful partner sends: the same key again when it retries a request.
            return {"Idempotency-Key": f"{run}-{index}"}

        def work(index: int) -> traffic.Answer:
            answer = traffic.submit_report(server.port, fields(index), index,
                                        headers=idempotency(index))
            with lock:
                done[0] += 1
            return answer

        result: list[list[traffic.Answer]] = []
        runner = threading.Thread(target=lambda: result.append(traffic.run_clients(
            args.clients, args.kill_requests, 300.0, work)), daemon=True)
        started = time.perf_counter()
        runner.start()
        killed: list[int] = []
        for share in (0.25, 0.6):
            deadline = time.monotonic() + 120
            while done[0] < args.kill_requests * share and time.monotonic() < deadline:
                time.sleep(0.01)
            pids = server.worker_pids()
            if pids:
                victim = pids[len(killed) % len(pids)]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
        runner.join(timeout=400)
        seconds = time.perf_counter() - started
        deadline = time.monotonic() + 30
        while len(server.worker_pids()) != server.workers and time.monotonic() < deadline:
            time.sleep(0.2)
        workers_after = server.worker_pids()
        answers = result[0] if result else []
        check = traffic.check_reports(inst.app, answers, seconds)
        # The partner retries what got no answer, with the same Idempotency-Key: it must get
        # the report that was stored (if its first try was) and never a second one.
        retried = [traffic.submit_report(server.port, fields(a.index), a.index,
                                      headers=idempotency(a.index))
                   for a in answers if not a.status]
        procs.stop(server.proc)  # type: ignore[arg-type]
        final = {a.index: a for a in answers} | {a.index: a for a in retried}
        after_retry = traffic.check_reports(inst.app, list(final.values()), seconds)
        per_request = rows_per_request(inst.app, run)
    problems = check.problems(allow_no_answer=True) + after_retry.problems()
    if after_retry.unanswered_rows:
        problems.append(f"{after_retry.unanswered_rows} row(s) whose reference no client knows "
                        "after the retries")
    if sorted(per_request) != list(range(args.kill_requests)) or set(per_request.values()) != {1}:
        extra = {i: n for i, n in per_request.items() if n != 1}
        problems.append(f"after the retries: {len(per_request)} requests with rows, "
                        f"not exactly one row each: {dict(list(extra.items())[:5])}")
    if len(answers) != args.kill_requests:
        problems.append(f"{len(answers)} of {args.kill_requests} requests made")
    if len(killed) != 2 or len(workers_after) != server.workers or set(killed) & set(workers_after):
        problems.append(f"killed {killed}, workers after {workers_after}")
    four = sum(n for s, n in check.statuses.items() if 400 <= s < 500)
    row = [backend, check.sent, check.accepted, four, check.server_errors, check.no_answer,
           f"{check.accepted - len(check.missing)}/{check.accepted}",
           "yes" if not check.duplicates else "NO", check.unanswered_rows, len(killed),
           len(workers_after), f"{sum(1 for a in retried if 200 <= a.status < 300)}/{len(retried)}",
           f"{sum(per_request.values())} for {len(per_request)}"]
    return row, [f"[{backend}] {p}" for p in problems]


def rows_per_request(app: Any, run: str) -> Counter[int]:
    """How many reports each request index made (the index is in the description)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reports.models import Report

    pattern = re.compile(rf"Load test {re.escape(run)} report (\d+):")
    with app.app_context():
        descriptions = list(db.session.scalars(select(Report.description)))
        db.session.remove()
    found: Counter[int] = Counter()
    for text in descriptions:
        match = pattern.match(text)
        found[int(match.group(1)) if match else -1] += 1
    return found


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=["database", "smtp", "worker"],
                        default=["database", "smtp", "worker"])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--phase-seconds", type=float, default=5.0,
                        help="load before the stop and while down; 1.5 times that after")
    parser.add_argument("--max-requests", type=int, default=50_000,
                        help="bound on the requests of the database scenario")
    parser.add_argument("--messages", type=int, default=30, help="reports with an e-mail (smtp)")
    parser.add_argument("--kill-requests", type=int, default=600, help="API requests (worker)")
    parser.add_argument("--redis-url", default=common.DEFAULT_REDIS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    if not 0 < args.messages <= 100:
        parser.error("--messages: 1 to 100 (one outbox pass sends at most 100)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.begin("Faults", f"gunicorn {gunicorn.__version__}", redis_url=args.redis_url)
    reports: list[str] = []
    passed = True
    with common.workdir("portal-faults-", args.keep) as workdir:
        os.chmod(workdir, 0o755)  # the postgres user must reach its folder inside
        with Processes() as procs, contextlib.ExitStack() as stack:
            pg = None
            if "database" in args.only or "worker" in args.only:
                pg = stack.enter_context(private_postgres(workdir))
                print(f"[postgres] private server on {HOST}:{pg.port}, data in {pg.data}", flush=True)
            if "database" in args.only:
                assert pg is not None
                print("[database] ...", flush=True)
                text, ok = database_stops(args, workdir, procs, pg)
                reports.append(text)
                passed &= ok
            if "smtp" in args.only:
                print("[smtp] ...", flush=True)
                text, ok = smtp_down(args, workdir, procs)
                reports.append(text)
                passed &= ok
            if "worker" in args.only:
                rows, problems = [], []
                for backend in ("sqlite", "postgresql"):
                    print(f"[worker] {backend} ...", flush=True)
                    row, found = worker_killed(args, workdir, procs, backend,
                                               pg if backend == "postgresql" else None)
                    rows.append(row)
                    problems += found
                reports.append("\n".join([
                    f"c) kill -9 of a gunicorn worker at 25% and at 60% of {args.kill_requests} "
                    f"Open311 POSTs (each with an Idempotency-Key) from {args.clients} clients; "
                    f"then each request left without an answer is sent once more, same key",
                    table(["backend", "sent", "2xx", "4xx", "5xx", "connection failures",
                           "2xx with row", "refs unique", "rows without answer",
                           "workers killed", "workers after", "retried: 2xx",
                           "rows for requests"], rows,
                          right={1, 2, 3, 4, 5, 8, 9, 10, 11}),
                    *(f"FAIL {p}" for p in problems)]))
                passed &= not problems
    print()
    print("\n\n".join(reports))
    print("\nAll faults handled." if passed else "\nFAILURES: see above.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
