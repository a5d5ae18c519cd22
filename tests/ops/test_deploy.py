"""The production shape of deploy/: its units' commands, on PostgreSQL and Redis, end to end."""
from __future__ import annotations

import email
import email.policy
import re
import signal
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask.cli import cli as flask_cli

from portal.config import SETTINGS
from tests.ops import units
from tests.reports.helpers import report_data

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("ops")]

SERVICES = ["portal-web.service", "portal-outbox.service", "portal-minute.service",
            "portal-daily.service", "portal-migrate.service"]


def test_every_unit_runs_a_command_of_the_portal(tmp_path: Path) -> None:
    """Each flask command of the units exists with those options (a typo fails here)."""
    runner = CliRunner()
    for name in SERVICES:
        service = units.unit(name)
        lines = [*service.get("ExecStartPre", []), *service["ExecStart"]]
        assert service["EnvironmentFile"] == ["/etc/portal/portal.env"], name
        for line in lines:
            argv = units.command(line)
            if Path(argv[0]).name != "flask":
                continue
            assert argv[1:3] == ["--app", "portal"], line
            result = runner.invoke(flask_cli, [*argv[1:], "--help"],
                                   env={"PORTAL_INSTANCE_PATH": str(tmp_path)})
            assert result.exit_code == 0, f"{name}: {line}\n{result.output}"
    for timer in ("portal-minute.timer", "portal-daily.timer"):
        assert (units.DEPLOY / timer.replace(".timer", ".service")).exists()
        assert units.unit(timer)["OnCalendar"]
    assert units.unit("portal-minute.timer")["OnCalendar"] == ["*-*-* *:*:00"]


def test_the_proxy_matches_the_settings() -> None:
    nginx = (units.DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    env = units.env_example()
    [body] = re.findall(r"client_max_body_size (\d+)m;", nginx)
    assert int(body) == int(env["PORTAL_MAX_UPLOAD_MB"]) == SETTINGS["MAX_UPLOAD_MB"][0]
    [static] = re.findall(r"location /static/ \{\s*alias /srv/portal/(\S+);", nginx)
    assert (units.REPO / static / "css" / "portal.css").exists()
    assert re.search(r"location /static/ \{[^}]*expires \d+d;", nginx)
    assert "ssl_certificate " in nginx and "X-Forwarded-Proto $scheme" in nginx
    assert env["PORTAL_TRUST_PROXY"] == "true" and env["PORTAL_SESSION_COOKIE_SECURE"] == "true"
    web = units.unit("portal-web.service")["ExecStart"][0]
    assert "--bind 127.0.0.1:8000" in web and "server 127.0.0.1:8000" in nginx


def test_a_report_filed_over_http_ends_as_an_eml_file(tmp_path: Path, geo_cache: Path) -> None:
    """Migrate, web (gunicorn), outbox worker and minute job, started from their units."""
    port = units.free_port()
    instance = tmp_path / "instance"
    units.copy_router_index(geo_cache, instance)
    with units.postgres_database() as database_url, units.processes(tmp_path) as procs:
        env = units.production_env(database_url, instance, port)
        units.migrate(env)
        web_unit = units.unit("portal-web.service")
        [prepare] = web_unit["ExecStartPre"]
        assert "up to date" in units.run(units.command(prepare), env)
        [serve] = web_unit["ExecStart"]
        [send] = units.unit("portal-outbox.service")["ExecStart"]
        worker = procs.start("outbox", units.command(send), env)
        web = procs.start("web", units.command(serve, bind=f"127.0.0.1:{port}", workers="2"), env)
        base = f"http://127.0.0.1:{port}"
        units.wait_for("answer from gunicorn", lambda: units.answers(f"{base}/en/"), web, procs)

        browser = requests.Session()
        form = browser.get(f"{base}/en/report/new/vandalism", timeout=units.PATIENCE_S)
        assert form.status_code == 200
        filed = browser.post(
            f"{base}/en/report/new/vandalism", timeout=units.PATIENCE_S, allow_redirects=False,
            data={**units.hidden_fields(form.text), "website": "",
                  **report_data(email="resident@example.org")})
        assert filed.status_code == 303, filed.text[:2000]
        done = browser.get(base + filed.headers["Location"], timeout=units.PATIENCE_S).text
        [link] = set(re.findall(rf"{re.escape(base)}/en/track/[A-Za-z0-9_-]+", done))

        mail = instance / "mail"

        def reporters_message() -> email.message.EmailMessage | None:
            for path in sorted(mail.glob("*.eml")) if mail.exists() else []:
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if message["To"] == "resident@example.org":
                    return message  # type: ignore[return-value]
            return None

        message = units.wait_for("e-mail to the reporter", reporters_message, worker, procs)
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert link in body

        [tick] = units.unit("portal-minute.service")["ExecStart"]
        assert units.run(units.command(tick), env).startswith("Courses: 0 offers expired")

        assert "KillSignal" not in units.unit("portal-outbox.service")  # systemd's SIGTERM
        assert procs.stop(worker, signal.SIGTERM) == 0
        assert "Outbox worker stopped." in procs.log(worker)
        assert procs.stop(web) == 0
