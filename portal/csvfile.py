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
from collections.abc import Iterable, Iterator

from flask import Response

#: What makes a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Spreadsheets read UTF-8 (accents, Dutch names) only when the file starts with this mark.
BOM = "\ufeff"


def cell(value: object) -> str:
    """The text of one cell, never a formula (``None`` is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def text(rows: Iterable[Iterable[object]], delimiter: str = ",") -> str:
    """The CSV text of ``rows`` (the header first), every cell through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def chunks(rows: Iterable[Iterable[object]], delimiter: str = ",", lines: int = 500) -> Iterator[str]:
    """``text`` in pieces of ``lines`` lines, the mark first: a file sent as it is written."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    yield BOM
    pending = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        pending += 1
        if pending == lines:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            pending = 0
    if pending:
        yield out.getvalue()


def _no_store(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def download(content: str, filename: str) -> Response:
    """The file as a download: UTF-8 with its mark, never kept in a (shared) browser's cache."""
    return _no_store(Response(BOM + content, mimetype="text/csv"), filename)


def stream(pieces: Iterator[str], filename: str) -> Response:
    """The pieces of ``chunks`` as a download sent while it is written (the caller keeps the
    request's context around the iterator: ``flask.stream_with_context``)."""
    return _no_store(Response(pieces, mimetype="text/csv"), filename)
