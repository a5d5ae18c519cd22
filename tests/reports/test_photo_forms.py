"""Photos sent with forms: nothing decoded for a form that fails its checks, rate limits on every
route that takes a file, and kept photos that belong to the form that sent them."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import Report
from portal.reports.photos import reencode
from tests.accounts.served import TIMEOUT_S, Browser, race
from tests.api.conftest import live_server  # noqa: F401 - a fixture
from tests.conftest import Database, csrf_token, portal_on
from tests.reports.helpers import hidden, jpeg_with_gps, open_form, post_report, report_data


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the photos the portal decodes."""
    from portal.reports import uploads

    calls: list[int] = []

    def counted(stream):  # type: ignore[no-untyped-def]
        calls.append(1)
        return reencode(stream)

    monkeypatch.setattr(uploads, "reencode", counted)
    return calls


def photo_file(name: str = "a.jpg") -> tuple[io.BytesIO, str]:
    return io.BytesIO(jpeg_with_gps()), name


def photos_of(app: Flask, reference: str | None = None) -> list[str]:
    with app.app_context():
        query = select(Report).order_by(Report.id)
        if reference:
            query = query.where(Report.reference == reference)
        return [p.filename for report in db.session.scalars(query) for p in report.photos]


def file_with_photo(client: FlaskClient) -> str:
    """A filed report with one photo; returns its reference."""
    response = post_report(client, photos=photo_file())
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[1]


def follow(client: FlaskClient, reference: str) -> str:
    """Open the report's tracking page through the private link of its confirmation."""
    page = client.get(f"/fr/report/done/{reference}").get_data(as_text=True)
    link = re.search(r'href="http://[^/"]+(/fr/track/[^"]+)"', page).group(1)
    return client.get(link, follow_redirects=True).get_data(as_text=True)


# Nothing is decoded before the form is right ---------------------------------------------------

@pytest.mark.parametrize("change", [
    {"csrf_token": None},              # no token: the attack
    {"csrf_token": "forged"},
    {"website": "http://spam.example"},  # the honeypot
    {"description": None},             # a required field
])
def test_the_report_form_decodes_nothing_before_it_is_right(app: Flask, client: FlaskClient,
                                                             decoded: list[int], change) -> None:
    html, hidden_fields = open_form(client, "fr", "vandalism")
    data = {**hidden_fields, **report_data(), "photos": [photo_file(), photo_file("b.png")]}
    data.update(change)
    response = client.post("/fr/report/new/vandalism", content_type="multipart/form-data",
                           data={k: v for k, v in data.items() if v is not None})
    assert response.status_code in (400, 422)
    assert decoded == []
    assert "Corrigez les autres champs, puis ajoutez à nouveau vos photos." in response.get_data(as_text=True)
    assert photos_of(app) == []


def test_a_right_form_still_decodes_its_photos(app: Flask, client: FlaskClient, decoded: list[int]) -> None:
    reference = file_with_photo(client)
    assert decoded == [1] and len(photos_of(app, reference)) == 1


def test_adding_to_a_report_decodes_nothing_without_the_token(app: Flask, client: FlaskClient,
                                                              decoded: list[int]) -> None:
    reference = file_with_photo(client)
    page = follow(client, reference)
    for data in ({"text": "Encore"},
                 {"csrf_token": csrf_token(page), "text": "Encore", "website": "robot"}):
        response = client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                               data={**data, "photos": photo_file()})
        assert response.status_code == 422
    assert decoded == [1]  # the report's own photo only
    assert len(photos_of(app, reference)) == 1


# Rate limits -----------------------------------------------------------------------------------

@pytest.fixture
def limited(database: Database, tmp_path: Path, geo_cache: Path) -> Iterator[Flask]:
    """The portal with its rate limits on."""
    with portal_on(database, tmp_path, geo_cache, RATELIMIT_ENABLED=True) as application:
        yield application


def test_adding_to_a_report_is_rate_limited(limited: Flask, decoded: list[int]) -> None:
    """Refused additions cost nothing; ten accepted ones an hour per browser session, as for
    reports; the next gets the 429 page, and decodes nothing."""
    client = limited.test_client()
    reference = file_with_photo(client)
    page = follow(client, reference)
    refused = [client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(page), "text": "",
                                 "website": "robot"}).status_code
               for _ in range(21)]
    assert refused == [422] * 21
    added = [client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                         data={"csrf_token": csrf_token(page), "text": f"Encore {n}"}).status_code
             for n in range(11)]
    assert added == [303] * 10 + [429]
    limited_page = client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                               data={"csrf_token": csrf_token(page), "text": "Encore",
                                     "photos": photo_file()})
    assert limited_page.status_code == 429
    assert "Trop de tentatives" in limited_page.get_data(as_text=True)
    assert decoded == [1]
    assert client.get(f"/fr/track/report/{reference}").status_code == 200  # reading is not limited


def test_a_form_that_comes_back_with_errors_costs_nothing(limited: Flask, decoded: list[int]) -> None:
    client = limited.test_client()
    statuses = [post_report(client, description=None, photos=photo_file()).status_code
                for _ in range(25)]
    assert statuses == [422] * 25
    assert decoded == []


# Kept photos belong to their form --------------------------------------------------------------

def kept_token(client: FlaskClient) -> tuple[str, dict[str, str]]:
    """A form sent with a photo that comes back asking for the municipality (1050 is shared)."""
    html, hidden_fields = open_form(client, "fr", "burglary")
    data = {**hidden_fields, **report_data("burglary", postal_code="1050")}
    page = client.post("/fr/report/new/burglary", content_type="multipart/form-data",
                       data={**data, "photos": photo_file()}).get_data(as_text=True)
    assert "1 photo déjà ajoutée" in page
    return hidden(page, "kept_photos"), data


def test_a_kept_photo_cannot_move_to_another_form(app: Flask, client: FlaskClient) -> None:
    token, _first = kept_token(client)
    response = post_report(client, kept_photos=token)  # another form, its own submission key
    assert response.status_code == 303
    assert photos_of(app) == []


def test_a_filed_reports_photo_is_never_reused_nor_deleted(app: Flask, client: FlaskClient) -> None:
    from portal.reports.uploads import store

    token, first = kept_token(client)
    filed = client.post("/fr/report/new/burglary",
                        data={**first, "kept_photos": token, "municipality": "21009"})
    assert filed.status_code == 303
    reference = filed.headers["Location"].rsplit("/", 1)[1]
    [name] = photos_of(app, reference)
    # Today's token of that form, and a name typed in: with another form (reuse), and with the
    # same form sent again for a place outside the Region (which removes the form's photos).
    for kept in (token, name):
        assert post_report(client, kept_photos=kept).status_code == 303
        outside = client.post("/fr/report/new/burglary", content_type="multipart/form-data",
                              data={**first, "kept_photos": kept, "postal_code": "1300"})
        assert outside.status_code == 200 and "1300" in outside.get_data(as_text=True)
    assert photos_of(app) == [name]
    with app.app_context():
        assert store().exists(name)


def test_a_form_keeps_its_own_photos_through_its_questions(app: Flask, client: FlaskClient,
                                                           decoded: list[int]) -> None:
    token, first = kept_token(client)
    again = client.post("/fr/report/new/burglary", content_type="multipart/form-data",
                        data={**first, "kept_photos": token, "description": ""})
    assert again.status_code == 422
    assert "1 photo déjà ajoutée" in again.get_data(as_text=True)
    token = hidden(again.get_data(as_text=True), "kept_photos")
    filed = client.post("/fr/report/new/burglary",
                        data={**first, "kept_photos": token, "municipality": "21009"})
    assert filed.status_code == 303
    assert decoded == [1] and len(photos_of(app)) == 1


# One lifecycle: what a submission stored and no report holds is removed -----------------------

def upload_files(app: Flask) -> list[str]:
    return sorted(path.name for path in Path(app.config["UPLOAD_DIR"]).glob("*.jpg"))


def test_a_form_sent_twice_keeps_only_the_first_reports_photos(app: Flask,
                                                              client: FlaskClient) -> None:
    """A reloaded POST gives back the first report; the photos it sent again are removed."""
    _html, hidden_fields = open_form(client, "fr", "vandalism")
    data = {**hidden_fields, **report_data()}
    sent = [client.post("/fr/report/new/vandalism", content_type="multipart/form-data",
                        data={**data, "photos": photo_file()}) for _ in range(2)]
    assert [response.status_code for response in sent] == [303, 303]
    assert sent[0].headers["Location"] == sent[1].headers["Location"]
    [name] = photos_of(app)
    assert upload_files(app) == [name]


def test_a_kept_photo_holds_its_size(app: Flask, client: FlaskClient, decoded: list[int]) -> None:
    """The page carries each kept photo's size with its name: the file is not read again."""
    token, first = kept_token(client)
    filed = client.post("/fr/report/new/burglary",
                        data={**first, "kept_photos": token, "municipality": "21009"})
    assert filed.status_code == 303
    with app.app_context():
        [photo] = db.session.scalars(select(Report)).one().photos
        assert (photo.width, photo.height) == (64, 48)
    assert decoded == [1]


@pytest.mark.parametrize("path", ["report", "tracking"])
def test_photos_of_a_submission_that_fails_are_removed(app: Flask, client: FlaskClient,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       path: str) -> None:
    """Even an unexpected error leaves no photo behind (the 500 page is the app's)."""
    from portal.reports import services

    reference = file_with_photo(client) if path == "tracking" else None
    filed = upload_files(app)

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "submit_report", broken)
    monkeypatch.setattr(services, "add_reporter_information", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    if reference is None:
        response = post_report(client, photos=photo_file())
    else:
        page = follow(client, reference)
        response = client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                               data={"csrf_token": csrf_token(page), "text": "Encore",
                                     "photos": photo_file()})
    assert response.status_code == 500
    assert upload_files(app) == filed


def test_the_same_form_sent_at_once_files_one_report_and_keeps_its_photos(
        app: Flask, live_server: str) -> None:
    """Four clicks that overlap: one report, its photo kept, the others' photos removed."""
    browser = Browser(live_server)
    page = browser.get("/fr/report/new/vandalism").text
    data = {"csrf_token": csrf_token(page), "submission_key": hidden(page, "submission_key"),
            **report_data()}

    def click() -> requests.Response:
        return browser.http.post(f"{live_server}/fr/report/new/vandalism", data=data,
                                 files={"photos": ("a.jpg", jpeg_with_gps(), "image/jpeg")},
                                 allow_redirects=False, timeout=TIMEOUT_S)

    answers = race([click] * 4)
    assert {response.status_code for response in answers} == {303}
    assert len({response.headers["Location"] for response in answers}) == 1
    [name] = photos_of(app)
    assert upload_files(app) == [name]
