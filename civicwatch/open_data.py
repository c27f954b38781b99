"""What the public statistics and the published answers share as open data: the licence, the words for
outcomes, downloads (CSV that spreadsheets cannot run, ISO dates) and the public pages' caching."""
from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import logging
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, current_app, g, jsonify, request, session
from flask_babel import gettext
from werkzeug.exceptions import ServiceUnavailable

from civicwatch.errors import NOT_RIGHT, RETRY_AFTER_SECONDS
from civicwatch.i18n import N_

log = logging.getLogger(__name__)

# A download is written whole before it is sent: in memory up to DOWNLOAD_IN_MEMORY_BYTES (config.py), in a
# temporary file beyond.
SEND_BLOCK_BYTES = 64 * 1024

# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

OUTCOME_LABELS = {
    "substantiated": N_("Substantiated: the complaint was found to be true"),
    "partly_substantiated": N_("Partly substantiated"),
    "not_substantiated": N_("Not substantiated: not enough evidence"),
    "unfounded": N_("Unfounded: the evidence showed it did not happen"),
    "policy_failure": N_("A failure of policy or procedure"),
    "no_jurisdiction": N_("Outside the body's powers"),
}


def outcome_label(outcome: enum.Enum | str | None) -> str:
    value = str(outcome.value) if isinstance(outcome, enum.Enum) else (outcome or "")
    return OUTCOME_LABELS.get(value, value.replace("_", " ").capitalize())


def outcome_words(outcome: enum.Enum | str | None) -> str:
    """The outcome's label in the reader's language: for pages (files and the Open311 API keep English)."""
    return gettext(outcome_label(outcome))


# ---------------------------------------------------------------- the licence and the public pages

def licence() -> dict[str, str]:
    return {"name": current_app.config["OPEN_DATA_LICENCE_NAME"], "url": current_app.config["OPEN_DATA_LICENCE_URL"]}


def licence_context() -> dict[str, Any]:
    """For the templates of the public blueprints: the licence line under every figure and answer."""
    name, url = licence()["name"], licence()["url"]
    return {"open_data_licence": {"name": name, "url": url, "line": gettext(
        "Published under the %(licence)s licence: free to reuse and republish if you credit CivicWatch.",
        licence=name)}}


def public_caching(response: Response) -> Response:
    """Public figures and answers may be kept by browsers and proxies for a minute (the rollup's own pace);
    staff pages are never cached (see security_headers). Nor is a page that holds this browser's token (the quick
    exit of a browser following a case carries it): it belongs to one session. Nor is any answer to a browser with a
    session (a followed case, a signed-in member of staff): its cookie goes back with the answer, and a shared cache
    would hand that key to the next reader."""
    if request.method != "GET" or response.status_code != 200 or request.path.startswith("/staff"):
        return response
    if "csrf_token" in g or session:
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


class DownloadSpaceUnavailable(ServiceUnavailable):
    """A download could not be written whole to the temporary folder (full, gone, unwritable): nothing of it is
    sent, and the same download may work shortly."""

    def __init__(self) -> None:
        super().__init__(gettext("This file cannot be prepared just now. Please try again in a few minutes."),
                         retry_after=RETRY_AFTER_SECONDS)


def download_limit() -> str:
    """How often a client may download a file of the open data (per file family, in the limiter's shared storage):
    each download reads a whole table."""
    return str(current_app.config["OPEN_DATA_DOWNLOAD_RATE_LIMIT"])


def download(body: Iterable[str], mimetype: str, filename: str) -> Response:
    """A file with its licence, written whole before a byte of it is sent. A database error while it is written
    is raised here, in the view, and becomes the 503 to try again (errors.database_unavailable), never a cut file
    under a 200 that a newsroom's script would take for the whole. And the request's database session ends when the
    view returns, before the file is sent: a client reading slowly holds no connection (on SQLite no read
    transaction) for as long as it reads. Content-Length lets a client tell a whole file from a cut connection."""
    spool = written(body)
    size = spool.tell()
    spool.seek(0)
    response = file_response(_sent(spool), size, mimetype, filename)
    response.call_on_close(spool.close)  # a HEAD, or a client gone before the end
    return response


def file_response(blocks: Iterator[bytes], size: int, mimetype: str, filename: str) -> Response:
    """The response sending a file already written whole, with its licence."""
    response = Response(blocks, mimetype=mimetype)
    response.content_length = size
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Link"] = f'<{licence()["url"]}>; rel="license"'
    return response


def written(body: Iterable[str]) -> tempfile.SpooledTemporaryFile[bytes]:
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(
        max_size=current_app.config["DOWNLOAD_IN_MEMORY_BYTES"])
    try:
        for part in body:
            spool.write(part.encode())
        spool.flush()  # what the file's buffer still holds, written out: a full disk may only say so here
    except OSError as error:
        spool.close()
        # The folder and why, never the file's content (nor the request's filters, which may name someone).
        log.error("an open data download could not be written to the temporary folder %s (%s): check that it "
                  "exists, can be written and has space", tempfile.gettempdir(), error.strerror or type(error).__name__)
        raise DownloadSpaceUnavailable() from None
    except BaseException:
        spool.close()
        raise
    return spool


def _sent(spool: tempfile.SpooledTemporaryFile[bytes]) -> Iterator[bytes]:
    with spool:
        while block := spool.read(SEND_BLOCK_BYTES):
            yield block


def filter_problem(form: Any) -> tuple[Response, int]:
    return jsonify(error={"status": 400, "title": str(NOT_RIGHT), "message": gettext("Check the filters."),
                          "fields": dict(form.errors)}), 400


# ---------------------------------------------------------------- formats

def csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def safe_text(value: str | None) -> str:
    """The text for a CSV cell, with a quote before it when a spreadsheet would read it as a formula: it starts
    with a formula sign, also after spaces or line breaks, or in the full-width forms spreadsheets take for them."""
    text = value or ""
    first = unicodedata.normalize("NFKC", text.lstrip()[:1])
    return "'" + text if text.startswith(FORMULA_STARTS) or first.startswith(FORMULA_STARTS) else text


def iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


# The months and years anyone may ask about. Each month in the range has a first day and a next month that
# datetime can hold (year 0 and year 10000 cannot), and a monthly trend over the whole range stays a few hundred
# rows. Public filters are checked against these before anything else reads them.
FIRST_YEAR = 2000
LAST_YEAR = 2099


def year_problem(value: str) -> str | None:
    """Why `value` is not a year from FIRST_YEAR to LAST_YEAR; None if it is."""
    if not (len(value) == 4 and value.isascii() and value.isdigit()):
        return gettext("Write a year, for example 2026.")
    if not FIRST_YEAR <= int(value) <= LAST_YEAR:
        return gettext("Choose a year from %(first)s to %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
    return None
