"""More than one host: two gunicorn instances of portal-web.service with the same settings
(PostgreSQL, Redis, one secret key), as two hosts behind one load balancer."""
from __future__ import annotations

import random
from pathlib import Path

import psycopg
import pytest
import requests

from tests.ops import units
from tests.reports.helpers import report_data
from tests.staff import action_fields

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("ops")]

STAFF, PASSWORD = "anna@ixelles.example.org", "a long password for anna"


def client(address: str) -> requests.Session:
    """A browser behind the proxy (PORTAL_TRUST_PROXY): its own address, whatever else runs."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    return session


def random_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def test_a_session_a_form_and_a_rate_limit_span_two_hosts(tmp_path: Path, geo_cache: Path) -> None:
    ports = [units.free_port(), units.free_port()]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    wait = units.PATIENCE_S
    with units.postgres_database() as database_url, units.processes(tmp_path) as procs:
        shared = units.production_env(database_url, tmp_path / "a", ports[0])
        hosts = []
        for name in "ab":  # the same settings (secret key too); each host its own disk
            units.copy_router_index(geo_cache, tmp_path / name)
            hosts.append({**shared, "PORTAL_INSTANCE_PATH": str(tmp_path / name)})
        units.migrate(hosts[0])
        units.run(units.command("/srv/portal/.venv/bin/flask --app portal portal user add "
                                f"{STAFF} --role staff --municipality 21009"),
                  hosts[0], stdin=PASSWORD + "\n")
        [serve] = units.unit("portal-web.service")["ExecStart"]
        servers = [procs.start(f"web-{name}", units.command(serve, bind=f"127.0.0.1:{port}",
                                                             workers="1"), env)
                   for name, port, env in zip("ab", ports, hosts, strict=True)]
        for base, server in zip((a, b), servers, strict=True):
            units.wait_for(f"answer from {base}", lambda base=base: units.answers(f"{base}/fr/"),
                           server, procs)

        # A resident's form, fetched from host A, is accepted by host B (CSRF, form signature).
        resident = client(random_address())
        form = resident.get(f"{a}/fr/report/new/vandalism", timeout=wait)
        filed = resident.post(f"{b}/fr/report/new/vandalism", timeout=wait, allow_redirects=False,
                              data={**units.hidden_fields(form.text), "website": "",
                                    **report_data(postal_code="1050", street="Place Flagey 1",
                                                  latitude="50.828", longitude="4.371")})
        assert filed.status_code == 303, filed.text[filed.text.find("<main"):][:3000]
        reference = filed.headers["Location"].rstrip("/").rsplit("/", 1)[1]
        assert reference.startswith("BX-")
        assert reference in resident.get(a + filed.headers["Location"], timeout=wait).text

        # Staff log in on A and act on B.
        staff = client(random_address())
        login = staff.get(f"{a}/fr/manage/login", timeout=wait)
        logged_in = staff.post(f"{a}/fr/manage/login", timeout=wait, allow_redirects=False,
                               data={**units.hidden_fields(login.text), "email": STAFF,
                                     "password": PASSWORD})
        assert logged_in.status_code == 303, logged_in.text[:2000]
        listing = staff.get(f"{b}/fr/manage/reports", timeout=wait, allow_redirects=False)
        assert listing.status_code == 200 and reference in listing.text
        page = staff.get(f"{a}/fr/manage/reports/{reference}", timeout=wait).text
        acted = staff.post(f"{b}/fr/manage/reports/{reference}/status", timeout=wait,
                           allow_redirects=False,
                           data={**action_fields(page, "status"), "status-status": "in_progress"})
        assert acted.status_code == 303, acted.text[:2000]
        with psycopg.connect(database_url, connect_timeout=30) as connection:
            status = connection.execute("SELECT status FROM report WHERE reference = %s",
                                        [reference]).fetchone()
        assert status == ("in_progress",)

        # One budget of code guesses per reference (10 per hour), counted across both hosts.
        guesser = client(random_address())
        page = guesser.get(f"{a}/nl/track/", timeout=wait).text
        statuses = [guesser.post(f"{(a, b)[i % 2]}/nl/track/", timeout=wait, data={
            **units.hidden_fields(page), "website": "", "reference": "BX-2222-2222",
            "code": "2222-2222-2222"}).status_code for i in range(11)]
        assert statuses == [422] * 10 + [429]
