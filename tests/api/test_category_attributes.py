"""Open311 POST: the transport and vehicle questions of the registry as ``attribute[…]``."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import Key
from tests.api.test_submit import errors_of, post, stored


def test_transport_window_line_and_stop_are_accepted(app: Flask, client: FlaskClient,
                                                     submitter: Key) -> None:
    response = post(client, submitter, service_code="transport-pickpocketing",
                    occurred_on="2026-11-20T18:00:00+01:00", **{
                        "attribute[time_from]": "17:45", "attribute[time_to]": "18:20",
                        "attribute[line_type]": "metro", "attribute[line]": "2",
                        "attribute[stop]": "Porte de Namur", "attribute[plate]": "not asked here"})
    assert response.status_code == 200, response.get_data(as_text=True)
    [report] = stored(app)
    assert report.details == {"time_from": "17:45", "time_to": "18:20", "line_type": "metro",
                              "line": "2", "stop": "Porte de Namur"}


def test_an_inverted_window_is_an_open311_error(app: Flask, client: FlaskClient, submitter: Key) -> None:
    response = post(client, submitter, service_code="transport-pickpocketing", locale="en",
                    occurred_on="2026-11-20T18:00:00+01:00", **{
                        "attribute[time_from]": "18:45", "attribute[time_to]": "18:20"})
    assert response.status_code == 400
    assert errors_of(response) == [(
        "attribute[time_to]: The end of the period cannot be before its start. If it went past "
        "midnight, give the day it began and 23:59.")]
    assert stored(app) == []


def test_vehicle_theft_kind_and_kind_of_vehicle_are_accepted(app: Flask, client: FlaskClient,
                                                            submitter: Key) -> None:
    response = post(client, submitter, service_code="vehicle-theft", **{
        "attribute[theft_kind]": "of", "attribute[vehicle_kind]": "motorbike",
        "attribute[plate]": "1 xyz 987"})
    assert response.status_code == 200
    [report] = stored(app)
    assert report.details == {"theft_kind": "of", "vehicle_kind": "motorbike", "plate": "1-XYZ-987"}
    response = post(client, submitter, service_code="vehicle-theft", **{"attribute[vehicle_kind]": "boat"})
    assert response.status_code == 400
    assert errors_of(response)[0].startswith("attribute[vehicle_kind]: ")
