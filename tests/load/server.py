"""The portal (or another WSGI app) under gunicorn on a free port of 127.0.0.1, for real.

Used by ``tests/load/test_load.py`` and by the benchmarks (``benchmarks/common.py``): every child
in its own process group, stopped with SIGTERM then SIGKILL, so that no worker outlives a run.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"  # the only address these servers listen on and clients send to
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0
PORTAL_APP = "portal:create_app()"


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


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (until a server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tool(name: str) -> str | None:
    """A console script of this interpreter's environment, else one on PATH, else None."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


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


@dataclass
class Gunicorn:
    """``gunicorn -w N -k sync APP`` on a free port of 127.0.0.1 (APP: the portal by default)."""

    env: dict[str, str]
    log: Path
    workers: int = 4
    app: str = PORTAL_APP
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self, procs: Processes, probe: str = "/fr/", timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Start it and wait until ``probe`` answers at all and every worker runs.

        RuntimeError with the end of its log when it does not.
        """
        gunicorn = tool("gunicorn")
        if gunicorn is None:
            raise RuntimeError(f"gunicorn is not installed (next to {sys.executable} or on PATH)")
        for _attempt in range(3):  # the free port may be taken between our check and the bind
            self.port = free_port()
            argv = [gunicorn, "-w", str(self.workers), "-k", "sync", "-b", f"{HOST}:{self.port}",
                    "--log-level", "warning", "--graceful-timeout", "5", self.app]
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
        raise RuntimeError(f"gunicorn ({self.app}) did not start; its log ends with:\n{tail}")

    def worker_pids(self) -> list[int]:
        """The master's children: its workers (gunicorn respawns one that dies)."""
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]
