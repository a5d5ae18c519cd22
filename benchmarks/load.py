"""Load without loss: many reports and sign-ups at once, then a check that nothing was lost.

    .venv/bin/python -m benchmarks.load [--backends sqlite postgresql] [--requests 1000]
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
   ``portal.courses.organising.create_session``): each GETs the page (session cookie, CSRF token,
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
starts is stopped at the end, also on an error or Ctrl-C. The clients and the checks are
``tests/load/traffic.py``'s, which ``tests/load/test_load.py`` runs at a small scale in the test
suite. See benchmarks/README.md, "Load without loss".
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gunicorn

from benchmarks import common
from tests.load import traffic
from tests.load.traffic import ApiCheck, SignUpCheck

# --------------------------------------------------------------------------- tables

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
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(common.postgres_database(args.pg_admin_url, "portal_load"))
               if backend == "postgresql" else None)
        step = time.perf_counter()
        instance = stack.enter_context(common.throwaway_instance(
            workdir / backend, url, traffic.load_settings(args.redis_url)))
        key = instance.add_api_key("load-benchmark")
        app = instance.app()
        session_id = traffic.create_course_session(app, args.capacity)
        print(f"[{backend}] instance ready in {time.perf_counter() - step:.1f} s", flush=True)
        procs = stack.enter_context(common.Processes())
        server = common.Gunicorn(instance.env, workdir / f"gunicorn-{backend}.log",
                                 workers=args.workers)
        server.start(procs)
        print(f"[{backend}] gunicorn -w {args.workers} on port {server.port}; "
              f"{args.requests} reports from {args.clients} clients ...", flush=True)
        answers, seconds = traffic.api_load(server.port, key, args.requests, args.clients,
                                            deadline_s=args.deadline)
        api = traffic.check_reports(app, answers, seconds)
        print(f"[{backend}] {args.sign_ups} sign-ups for {args.capacity} places ...", flush=True)
        signups, signup_seconds = traffic.signup_load(server.port, session_id, args.sign_ups)
        checked = traffic.check_signups(app, session_id, args.capacity, signups, signup_seconds)
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
                        or common.DEFAULT_PG_ADMIN, help="a database to connect to for "
                        "CREATE/DROP DATABASE (default $PORTAL_TEST_DATABASE_URL or "
                        f"{common.DEFAULT_PG_ADMIN})")
    parser.add_argument("--redis-url", default=common.DEFAULT_REDIS, help="rate-limit storage "
                        f"shared by the workers (default {common.DEFAULT_REDIS})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the gunicorn logs")
    args = parser.parse_args(argv)
    if not 0 < args.capacity < args.sign_ups:
        parser.error("--capacity must be between 1 and --sign-ups - 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.begin("Load without loss", f"gunicorn {gunicorn.__version__}", redis_url=args.redis_url)
    outcomes: list[Outcome] = []
    with common.workdir("portal-load-", args.keep) as workdir:
        for backend in args.backends:
            outcomes.append(run_backend(backend, args, workdir))
    print()
    print(f"Open311 POST {traffic.API_PATH}: {args.requests} reports from {args.clients} clients, "
          f"gunicorn -w {args.workers} (sync)")
    print(common.table(API_HEADERS, [api_row(o.backend, o.api) for o in outcomes],
                       right=set(range(1, len(API_HEADERS) - 2))))
    print()
    print(f"Course sign-ups: {args.sign_ups} clients at once for {args.capacity} places")
    print(common.table(SIGNUP_HEADERS, [signup_row(o.backend, o.signups) for o in outcomes],
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

