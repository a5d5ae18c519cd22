"""CSV files for spreadsheets: every cell of every CSV the portal writes goes through here.

A cell that starts like a formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@``, a tab or a carriage
return: OWASP's list) is run by Excel and LibreOffice when the file is opened. Names typed by
residents, staff names and category names set by an administrator all reach these files, so
no cell is written as it came: each gets a leading apostrophe when it starts like a formula,
which spreadsheets show as text. There is no opt-in per cell to forget.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response

#: What makes a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Spreadsheets read UTF-8 (accents, Dutch names) only when the file starts with this mark.
BOM = "\ufeff"


def cell(value: object) -> str:
    """The text of one cell, never a formula (``None`` is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def text(rows: Iterable[Iterable[object]]) -> str:
    """The CSV text of ``rows`` (the header first), every cell through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def download(content: str, filename: str) -> Response:
    """The file as a download: UTF-8 with its mark, never kept in a (shared) browser's cache."""
    response = Response(BOM + content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
