"""``make run``: the web server, the outbox worker and the minute job, stopped together by Ctrl-C."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.ops import units
from tests.reports.helpers import report_data

DEV = [str(Path(sys.executable).parent / "flask"), "--app", "portal", "portal", "dev"]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_make_run_passes_host_and_port_to_the_supervisor() -> None:
    shown = subprocess.run(["make", "-n", "run", "PORT=5201", "HOST=127.0.0.2"], cwd=units.REPO,
                           capture_output=True, text=True, timeout=600, check=True).stdout
    assert "flask --app portal portal dev --host 127.0.0.2 --port 5201" in shown


def test_first_start_serves_sends_the_e_mail_and_stops_everything_on_ctrl_c(
        tmp_path: Path, geo_cache: Path) -> None:
    port = units.free_port()
    base = f"http://127.0.0.1:{port}"
    instance = tmp_path / "instance"
    units.copy_router_index(geo_cache, instance)
    env = units.portal_env(INSTANCE_PATH=str(instance), FORM_MIN_SECONDS="0")
    with units.processes(tmp_path) as procs:
        dev = procs.start("dev", [*DEV, "--port", str(port)], env)
        units.wait_for("answer", lambda: units.answers(f"{base}/en/"), dev, procs)
        units.wait_for("outbox worker and minute job", lambda: len(children(dev.pid)) == 2, dev,
                       procs)
        pieces = children(dev.pid)

        browser = requests.Session()
        form = browser.get(f"{base}/en/report/new/vandalism", timeout=units.PATIENCE_S)
        filed = browser.post(f"{base}/en/report/new/vandalism", timeout=units.PATIENCE_S,
                             allow_redirects=False,
                             data={**units.hidden_fields(form.text), "website": "",
                                   **report_data(email="resident@example.org")})
        assert filed.status_code == 303
        done = browser.get(base + filed.headers["Location"], timeout=units.PATIENCE_S).text
        # PORTAL_BASE_URL is not set: the links follow the port (the issue: always :5000).
        [link] = set(re.findall(r"http://[^\s\"<]+/en/track/[A-Za-z0-9_-]+", done))
        assert link.startswith(f"{base}/en/track/")

        def sent() -> bool:
            return any(link in path.read_text(errors="replace")
                       for path in (instance / "mail").glob("*.eml"))

        units.wait_for("the reporter's e-mail as an .eml file", sent, dev, procs)
        assert procs.stop(dev, signal.SIGINT) == 0  # Ctrl-C
        assert all(gone(pid) for pid in pieces)

    output = procs.log(dev)
    password = (instance / "demo-password").read_text().strip()
    assert password not in output
    assert password in (instance / "demo-accounts.txt").read_text()
    assert (instance / "demo-accounts.txt").stat().st_mode & 0o777 == 0o600
    assert f"Serving {base}/ " in output
    assert f"Demo accounts (e-mails and password): {instance / 'demo-accounts.txt'}" in output
    assert f"E-mails: written by the outbox worker as .eml files into {instance / 'mail'}" in output
    assert "Outbox worker stopped." in output  # it was sending: Ctrl-C ended its loop


def test_a_second_start_prints_only_where_things_are(tmp_path: Path, geo_cache: Path) -> None:
    port = units.free_port()
    instance = tmp_path / "instance"
    units.copy_router_index(geo_cache, instance)
    env = units.portal_env(INSTANCE_PATH=str(instance))
    flask = DEV[0]
    units.run([flask, "--app", "portal", "db", "upgrade"], env)
    units.run([flask, "--app", "portal", "portal", "seed", "--demo"], env)
    with units.processes(tmp_path) as procs:
        dev = procs.start("dev", [*DEV, "--port", str(port)], env)
        units.wait_for("answer", lambda: units.answers(f"http://127.0.0.1:{port}/fr/"), dev, procs)
        units.wait_for("outbox worker and minute job", lambda: len(children(dev.pid)) == 2, dev,
                       procs)
        assert procs.stop(dev, signal.SIGINT) == 0
    # Besides requests and what the minute job did (demo sessions may need it), only this; a
    # child stopped while it was still starting says "Aborted!" instead of its stop line.
    lines = [line for line in procs.log(dev).splitlines()
             if " portal.request " not in line and not line.startswith("Courses: ")
             and line not in ("Outbox worker stopped.", "Minute job stopped.", "Aborted!", "")]
    assert lines == [
        f"Serving http://127.0.0.1:{port}/ (staff: http://127.0.0.1:{port}/fr/manage/); "
        "Ctrl-C stops everything.",
        f"Demo accounts (e-mails and password): {instance / 'demo-accounts.txt'}",
        f"E-mails: written by the outbox worker as .eml files into {instance / 'mail'} "
        "(no PORTAL_MAIL_SERVER)",
        "Stopped: web server, outbox worker, minute job.",
    ]
