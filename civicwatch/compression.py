"""Gzip for text responses, and long-lived caching of static files under versioned URLs.

Static files are linked as /static/<file>?v=<content hash> (any `url_for("static", ...)` gets the hash), so a
browser may keep them for a year: a changed file has a new URL. Only responses that carry no secret are
compressed: static files and public pages for visitors who are not signed in. A page holding a CSRF token
or a receipt code is never compressed, as compressing a secret next to text an attacker can put in the
page lets them guess the secret from the response sizes (BREACH).
"""
from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask_login import current_user

from civicwatch.security_headers import PRIVATE_PREFIXES

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml", "application/atom+xml",
                "image/svg+xml", "application/geo+json")
MIN_SIZE = 500
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _content_hash(path: str, modified: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_version(app: Flask, filename: str) -> str | None:
    """A short hash of the static file's content; None when there is no such file."""
    folder = app.static_folder
    if not folder:
        return None
    path = (Path(folder) / filename).resolve()
    if not path.is_file() or Path(folder).resolve() not in path.parents:
        return None
    return _content_hash(str(path), path.stat().st_mtime)


def _may_compress(response: Response) -> bool:
    if response.status_code != 200 or response.is_streamed and not response.direct_passthrough:
        return False
    if "Content-Encoding" in response.headers or "gzip" not in request.headers.get("Accept-Encoding", ""):
        return False
    if not (response.mimetype or "").startswith(COMPRESSIBLE):
        return False
    if request.endpoint == "static":
        return True
    private = request.path.startswith(PRIVATE_PREFIXES) or request.path.startswith("/login")
    holds_token = "csrf_token" in g  # the page rendered a CSRF token
    return not private and not holds_token and not current_user.is_authenticated


def register_compression(app: Flask) -> None:
    @app.url_defaults
    def version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(app, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def cache_and_compress(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            versioned = request.args.get("v") and request.args.get("v") == static_version(app, filename)
            response.cache_control.no_cache = None
            response.cache_control.max_age = YEAR if versioned else 300
            response.cache_control.public = True
            if versioned:
                response.cache_control.immutable = True
        response.vary.add("Accept-Encoding")
        if _may_compress(response):
            response.direct_passthrough = False
            source = response.response
            data = response.get_data()
            if hasattr(source, "close"):
                source.close()  # a static file's handle: its bytes are read
            if len(data) >= MIN_SIZE:
                response.set_data(gzip.compress(data, compresslevel=6))
                response.headers["Content-Encoding"] = "gzip"
        return response
