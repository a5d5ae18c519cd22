"""What the benchmarks share: a throwaway instance, servers and their processes, tools, tables.

Every benchmark is run from the repository root as ``python -m benchmarks.<name>``, so the
repository is on ``sys.path`` and no file of this folder can hide a module of the standard
library. gunicorn, the process groups and the free ports come from ``tests/load/server.py``,
which the load test uses too (tests never import the benchmarks; the benchmarks may use the
tests' helpers).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.load.server import HOST, REPO, Gunicorn, Processes, free_port, portal_env, tool

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["DEFAULT_PG_ADMIN", "DEFAULT_REDIS", "HOST", "REPO", "Gunicorn", "Instance",
           "Processes", "begin", "check_redis", "compile_translations", "exit_status", "free_port",
           "machine", "needed_tool", "postgres_database", "stop_on_signals", "table",
           "throwaway_instance", "workdir"]

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SETUP_TIMEOUT_S = 600.0


# --------------------------------------------------------------------------- the run

def needed_tool(name: str) -> str:
    """A tool (gunicorn, flask, pybabel, wrk …): beside this interpreter, else on PATH; else exit."""
    found = tool(name)
    if found is None:
        sys.exit(f"error: {name} not found (next to {sys.executable} or on PATH)")
    return found


def begin(title: str, *facts: str, redis_url: str | None = None) -> None:
    """Start a run: signals unwind it, Redis answers (if it needs one), and its first line says
    when and on what machine (``facts``: versions of what it measures)."""
    stop_on_signals()
    if redis_url is not None:
        check_redis(redis_url)
    print(f"{title}, {machine(*facts)}", flush=True)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_signals() -> None:
    """Ctrl-C, kill and a closed terminal all unwind the run: its ``finally`` blocks stop every
    process and remove its files (SIGINT too when a shell started us in the background)."""
    for name in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(name, _interrupt)


def exit_status(run: Callable[[], None]) -> int:
    """Run a benchmark: 0 once it ran, 1 on an error (said in one line), 130 on Ctrl-C."""
    try:
        run()
    except KeyboardInterrupt:
        print("\ninterrupted: every process stopped", file=sys.stderr)
        return 130
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def workdir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary folder for the run's instances and logs; removed at the end unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def machine(*extra: str) -> str:
    """One line saying when and on what a run was made, for the README's "Last run"."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1) if found else cpu
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return ", ".join([f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
                      f"{os.cpu_count()} cores ({cpu})", f"Python {platform.python_version()}",
                      *extra, f"load average before the run {load}"])


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


# --------------------------------------------------------------------------- throwaway instance

@cache
def compile_translations() -> None:
    """``pybabel compile`` once per run (the catalogs' .mo files are build output)."""
    subprocess.run([needed_tool("pybabel"), "-q", "compile", "-d", "portal/translations"],
                   cwd=REPO, check=True, timeout=120, stdin=subprocess.DEVNULL)


@dataclass
class Instance:
    """A migrated, seeded instance in a folder of its own, and the environment that serves it."""

    path: Path
    env: dict[str, str]
    database_url: str
    _apps: list[Flask] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.path / "setup.log"

    def cli(self, *args: str, timeout: float = SETUP_TIMEOUT_S) -> str:
        """``flask --app portal ARGS`` on this instance; its output (RuntimeError if it fails)."""
        argv = [needed_tool("flask"), "--app", "portal", *args]
        done = subprocess.run(argv, cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"$ flask --app portal {' '.join(args)}\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            raise RuntimeError(f"flask --app portal {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
        return done.stdout

    def add_api_key(self, name: str) -> str:
        """An Open311 key with the ``submit`` scope, made as an operator would (printed last)."""
        return self.cli("portal", "apikey", "add", name, "--scope", "submit").strip().splitlines()[-1]

    def app(self, **settings: Any) -> Flask:
        """The portal in this process on this instance (to set up, check or profile).

        Only this instance's settings apply: the ``PORTAL_*`` variables of the caller's shell
        are taken out of this process's environment. Disposed when the instance ends.
        """
        for name in [k for k in os.environ if k.startswith("PORTAL_")]:
            del os.environ[name]
        from portal import create_app

        app = create_app({"INSTANCE_PATH": str(self.path), "DATABASE_URL": self.database_url,
                          "SECRET_KEY": self.env["PORTAL_SECRET_KEY"], **settings})
        self._apps.append(app)
        return app

    def dispose(self) -> None:
        from tests.load.traffic import dispose

        while self._apps:
            dispose(self._apps.pop())


@contextlib.contextmanager
def throwaway_instance(path: Path, database_url: str | None = None,
                       settings: Mapping[str, object] | None = None, *,
                       demo_courses: bool = False) -> Iterator[Instance]:
    """A new instance in ``path``: migrated (every head), reference data, the router's index.

    SQLite in ``path`` unless ``database_url``; ``settings`` become ``PORTAL_*`` variables of its
    commands and servers, with a random secret key and none of the caller's ``PORTAL_*``.
    ``demo_courses`` adds the demo course sessions (``portal.courses.demo``), so that the
    course list shows what residents see.
    """
    path.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{path / 'portal.sqlite3'}"
    instance = Instance(path, portal_env(path, url, **(settings or {})), url)
    try:
        compile_translations()
        instance.cli("db", "upgrade", "heads")
        instance.cli("portal", "seed")
        instance.cli("portal", "geo-index")
        if demo_courses:
            from portal.courses import demo
            from portal.extensions import db

            with instance.app().app_context():
                # A generator (it says what it did): nothing is loaded until it is run through.
                for _line in demo.load():
                    pass
                db.session.commit()
        yield instance
    finally:
        instance.dispose()


@contextlib.contextmanager
def postgres_database(admin_url: str, prefix: str = "portal_bench") -> Iterator[str]:
    """A new, empty database on the server of ``admin_url`` (on 127.0.0.1); dropped (with force)
    at the end, also after an error or Ctrl-C."""
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


def check_redis(url: str) -> None:
    """Exit with a message unless the Redis of ``url`` (on 127.0.0.1) answers; memory:// passes."""
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
