"""The baseline for ``benchmarks/page_speed.py``: a bare Flask app that answers ``Hello``.

It runs under the same gunicorn settings as the portal, so the ratio of a portal page's
requests/s to this app's is what the portal's own work costs on top of Flask and gunicorn.
Every path answers, so that the same URLs can be asked of it as of the portal.
"""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def hello(path: str) -> str:
    return "Hello"
