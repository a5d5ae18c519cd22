"""The coordinators' comparison of municipalities, the period chooser and durations in words,
on SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal.extensions import db
from portal.reports.models import Report, Status
from tests.reports.helpers import post_report
from tests.staff import login, make_user

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PERIOD_START = date(2026, 11, 1)


def _report(app: Flask, postal_code: str, municipality: str | None = None, **values: object) -> str:
    """A report sent through the form, then moved in time as the test needs."""
    fields = {"postal_code": postal_code, **({"municipality": municipality} if municipality else {})}
    response = post_report(app.test_client(), "fr", "vandalism", **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        report = db.session.scalars(select(Report).order_by(Report.id.desc())).first()
        assert report is not None
        db.session.execute(update(Report).where(Report.id == report.id).values(**values))
        db.session.commit()
        return report.reference


def _made(day: int, hours_to_ack: float | None = None, hours_to_close: float | None = None,
          **extra: object) -> dict[str, object]:
    created = datetime(2026, 11, day, 9, 0, tzinfo=UTC)
    values: dict[str, object] = {"created_at": created, **extra}
    if hours_to_ack is not None:
        values["acknowledged_at"] = created + timedelta(hours=hours_to_ack)
        values["status"] = Status.ACKNOWLEDGED
    if hours_to_close is not None:
        values["closed_at"] = created + timedelta(hours=hours_to_close)
        values["status"] = Status.CLOSED
    return values


@pytest.fixture
def dataset(app: Flask) -> None:
    """Ixelles: acknowledged after 1, 2 and 10 hours (median 2), closed after 24 and 72 hours
    (median 48), one overdue new report, one spam and one before the period (both left out).
    Saint-Gilles: acknowledged after 4 and 6 hours (median 5, the mean of the middle two)."""
    make_user(app, "coord@region.example", "coordinator")
    make_user(app, "own@ixelles.example", "staff", ("21009",))
    ixelles = ("1050", "21009")
    _report(app, *ixelles, **_made(2, 1))
    _report(app, *ixelles, **_made(3, 2, 24))
    _report(app, *ixelles, **_made(4, 10, 72))
    _report(app, *ixelles, **_made(5, status=Status.NEW,
                                     acknowledge_due_at=NOW - timedelta(days=3)))
    _report(app, *ixelles, **_made(6, 0.5, spam=True))
    _report(app, *ixelles, created_at=datetime(2026, 10, 20, 9, 0, tzinfo=UTC),
            acknowledged_at=datetime(2026, 10, 25, 9, 0, tzinfo=UTC), status=Status.ACKNOWLEDGED)
    _report(app, "1060", **_made(7, 4))
    _report(app, "1060", **_made(8, 6))


def test_medians_counts_and_every_municipality(app: Flask, dataset: None) -> None:
    from portal.accounts.models import StaffUser
    from portal.reports.comparison import compare
    from portal.reports.periods import Period

    with app.app_context():
        coordinator = db.session.scalar(select(StaffUser).where(StaffUser.email == "coord@region.example"))
        assert coordinator is not None
        rows = {row.nis: row for row in compare(coordinator, Period(PERIOD_START, date(2026, 11, 30)), NOW)}
    assert sorted(rows) == [f"210{n:02d}" for n in range(1, 20)]
    ixelles, saint_gilles, evere = rows["21009"], rows["21013"], rows["21006"]
    assert (ixelles.reports, ixelles.overdue) == (4, 1)
    assert ixelles.median_acknowledge_hours == pytest.approx(2)
    assert ixelles.median_close_hours == pytest.approx(48)
    assert (saint_gilles.reports, saint_gilles.overdue) == (2, 0)
    assert saint_gilles.median_acknowledge_hours == pytest.approx(5)
    assert saint_gilles.median_close_hours is None
    assert (evere.reports, evere.overdue, evere.median_acknowledge_hours) == (0, 0, None)


def test_comparison_only_for_coordinators(app: Flask, dataset: None) -> None:
    from portal.accounts.models import StaffUser
    from portal.reports.comparison import compare
    from portal.reports.periods import Period
    from portal.reports.triage import NotStaff

    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "own@ixelles.example"))
        assert staff is not None
        with pytest.raises(NotStaff):
            compare(staff, Period(PERIOD_START, date(2026, 11, 30)), NOW)
    client = app.test_client()
    assert login(client, "own@ixelles.example").status_code == 303
    html = client.get("/fr/manage/statistics?preset=custom&first=2026-11-01&last=2026-11-30").get_data(as_text=True)
    assert 'class="comparison"' not in html


def test_the_table_on_the_statistics_page(app: Flask, dataset: None) -> None:
    client = app.test_client()
    assert login(client, "coord@region.example").status_code == 303
    html = client.get("/fr/manage/statistics?preset=custom&first=2026-11-01&last=2026-11-30").get_data(as_text=True)
    # (the table's explicit roles keep it a table on a phone, where CSS lays it out as a grid)
    html = re.sub(r' role="[a-z]+"', "", html)
    table = re.sub(r"\s*\n\s*", "", html[html.index('class="comparison"'):html.index("</table>")])
    assert table.count('<th scope="row">') == 19
    assert "<th scope=\"row\">Ixelles</th><td>4</td><td>1</td><td>2 heures</td><td>2 jours</td>" in table
    assert "<th scope=\"row\">Evere</th><td>0</td><td>0</td><td>—</td><td>—</td>" in table
    assert "Du 1er novembre 2026 au 30 novembre 2026\u00a0: 6 signalements." in html
    dutch = client.get("/nl/manage/statistics?preset=custom&first=2026-11-01&last=2026-11-30").get_data(as_text=True)
    dutch = re.sub(r"\s*\n\s*", "", re.sub(r' role="[a-z]+"', "", dutch))
    assert "<th scope=\"row\">Sint-Gillis</th><td>2</td><td>0</td><td>5 uur</td><td>—</td>" in dutch


def test_a_wrong_period_comes_back_with_its_message(app: Flask, dataset: None) -> None:
    client = app.test_client()
    assert login(client, "coord@region.example").status_code == 303
    response = client.get("/fr/manage/statistics?preset=custom&first=2026-11-30&last=2026-11-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Le dernier jour précède le premier." in html and 'value="2026-11-01"' in html
    response = client.get("/nl/manage/statistics?preset=custom&first=31-02-2026&last=9999-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="31-02-2026"' in html
    assert html.count('class="error"') == 2


@pytest.mark.parametrize(("lang", "hours", "expected"), [
    ("fr", 0.1, "0,1 heure"), ("fr", 1.5, "1,5 heure"), ("fr", 5, "5 heures"),
    ("fr", 72, "3 jours"), ("nl", 0.1, "0,1 uur"), ("nl", 36, "36 uur"), ("nl", 60, "2,5 dagen"),
    ("en", 0.1, "0.1 hours"), ("en", 1, "1 hour"), ("en", 24 * 1234.5, "1,234.5 days"),
])
def test_durations_in_each_language(app: Flask, lang: str, hours: float, expected: str) -> None:
    from portal.i18n import speaking
    from portal.reports.durations import duration

    with app.app_context(), speaking(lang):
        assert duration(hours) == expected


def test_the_coordinators_list_names_the_municipality_and_how_late(app: Flask, dataset: None) -> None:
    client = app.test_client()
    assert login(client, "coord@region.example").status_code == 303
    html = client.get("/fr/manage/reports?overdue=1").get_data(as_text=True)
    assert re.search(r"Ixelles\s+1050", html)
    assert re.search(r"En retard de \d+ jours", html)
