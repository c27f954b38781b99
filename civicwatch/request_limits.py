"""Bounds on a request's form, applied before the form is parsed.

werkzeug bounds a multipart form (MAX_FORM_MEMORY_SIZE per field, MAX_FORM_PARTS) but reads an urlencoded
body whole and splits it into as many fields as it holds: up to MAX_CONTENT_LENGTH and millions of fields,
before a CSRF token or a webhook signature is even looked at. Here an urlencoded body gets the same two
bounds as a whole, and a view can tighten them for its own request before anything reads the body. A form whose
files cannot be spooled to the temporary folder (full or gone) is answered 503, not 500.

A multipart part whose headers are not UTF-8 (a file name in a phone's 8-bit encoding) makes werkzeug drop the
whole form, which then reads as an expired one: it is refused here as what it is (UnreadableFileName).
"""
from __future__ import annotations

import logging
import tempfile
from io import BytesIO
from typing import IO

from flask import Flask, Request, request
from flask_babel import gettext
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, ServiceUnavailable
from werkzeug.formparser import FormDataParser

from civicwatch.errors import RETRY_AFTER_SECONDS

ParseResult = tuple[IO[bytes], MultiDict[str, str], MultiDict[str, FileStorage]]

URLENCODED = "application/x-www-form-urlencoded"
log = logging.getLogger(__name__)


class UnreadableFileName(BadRequest):
    """A multipart form whose part headers (a file's or a field's name) are not UTF-8."""

    def __init__(self) -> None:
        super().__init__(gettext("The name of a file you chose could not be read, so nothing was sent. Go back, "
                                 "rename the file with plain letters and numbers (or take the photo again), and send "
                                 "it again, or send your report without it."))


class BoundedFormDataParser(FormDataParser):
    """An urlencoded body larger than max_form_memory_size, or with more than max_form_parts fields, is
    refused (413) before it is split into fields; a multipart form with unreadable part headers is refused
    (UnreadableFileName) instead of being read as empty."""

    def parse(self, stream: IO[bytes], mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> ParseResult:
        if mimetype == URLENCODED:
            stream = BytesIO(self._bounded_body(stream, content_length))
        return super().parse(stream, mimetype, content_length, options)

    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                         options: dict[str, str]) -> ParseResult:
        try:
            return super()._parse_multipart(stream, mimetype, content_length, options)
        except UnicodeDecodeError:  # only part headers are decoded strictly; values are decoded with "replace"
            raise UnreadableFileName() from None

    def _bounded_body(self, stream: IO[bytes], content_length: int | None) -> bytes:
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        body = _read_at_most(stream, limit)
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        return body


def _read_at_most(stream: IO[bytes], limit: int | None) -> bytes:
    """The whole stream, or RequestEntityTooLarge as soon as it holds more than `limit` bytes (a chunked body
    has no length to check first)."""
    if limit is None:
        return stream.read()
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
    return b"".join(chunks)


class TemporarySpaceUnavailable(ServiceUnavailable):
    """The form's files could not be spooled to the temporary folder (full, gone, unwritable): nothing was read,
    so nothing was sent; the same form may be sent again shortly."""

    def __init__(self) -> None:
        super().__init__(gettext("Nothing was sent: we could not take in your files just now. Go back and try again "
                                 "in a few minutes, or send it without the files."),
                         retry_after=RETRY_AFTER_SECONDS)


class BoundedRequest(Request):
    form_data_parser_class = BoundedFormDataParser

    def _load_form_data(self) -> None:
        # werkzeug spools each file over 500 kB to the temporary folder while it parses the form.
        self._spooled: list[IO[bytes]] = []
        try:
            super()._load_form_data()
        except OSError as error:
            for stream in self._spooled:
                stream.close()
            log.error("a form's files could not be spooled to the temporary folder %s (%s): check that it exists, "
                      "can be written and has space", tempfile.gettempdir(), error.strerror or type(error).__name__)
            raise TemporarySpaceUnavailable() from None

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self._spooled.append(stream)
        return stream


def bound_request_bodies(app: Flask) -> None:
    app.request_class = BoundedRequest


def limit_request_body(max_bytes: int, max_fields: int) -> None:
    """Tighter bounds for the current request, before its body is read: a larger body is refused (413) unread,
    a chunked one as soon as it passes `max_bytes`."""
    request.max_content_length = max_bytes
    request.max_form_memory_size = max_bytes
    request.max_form_parts = max_fields
