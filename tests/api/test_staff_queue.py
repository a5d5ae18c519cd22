"""The issue's proof: a partner posts a report with a photo; it appears, routed to the right
municipality, in that municipality's staff queue — and nowhere else."""
from __future__ import annotations

import io
import json

from flask import Flask

from tests.api.conftest import API, FLAGEY_IXELLES, Key
from tests.reports.helpers import jpeg_with_gps
from tests.staff import login, make_user


def test_partner_report_with_photo_reaches_the_ixelles_queue(app: Flask, submitter: Key) -> None:
    partner = app.test_client()
    response = partner.post(f"{API}/requests.json", content_type="multipart/form-data", data={
        "api_key": submitter.raw, "service_code": "vandalism",
        "description": "Abribus vandalisé", **FLAGEY_IXELLES,
        "media": (io.BytesIO(jpeg_with_gps()), "abribus.jpg")})
    assert response.status_code == 200, response.data
    [answer] = json.loads(response.data)
    reference = answer["service_request_id"]

    make_user(app, "own@ixelles.example", "staff", ("21009",))
    make_user(app, "other@bruxelles.example", "staff", ("21004",))
    ixelles = app.test_client()
    login(ixelles, "own@ixelles.example")
    queue = ixelles.get("/fr/manage/reports").get_data(as_text=True)
    assert f'/manage/reports/{reference}"' in queue
    page = ixelles.get(f"/fr/manage/reports/{reference}").get_data(as_text=True)
    assert "Abribus vandalisé" in page and "/photos/" in page
    photo_url = page.split('<img src="')[1].split('"')[0]
    photo = ixelles.get(photo_url)
    assert photo.status_code == 200 and photo.data.startswith(b"\xff\xd8") and b"PhoneMaker" not in photo.data

    brussels = app.test_client()
    login(brussels, "other@bruxelles.example")
    assert f'/manage/reports/{reference}"' not in brussels.get("/fr/manage/reports").get_data(as_text=True)
    assert brussels.get(f"/fr/manage/reports/{reference}").status_code == 404
