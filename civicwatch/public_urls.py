"""Absolute addresses of the app's pages, always built from PUBLIC_BASE_URL.

Never from the request's Host header (or X-Forwarded-Host): anyone can forge it, and a public document that
repeats it (open data, feeds) is kept by browsers and shared caches and served to everyone else.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for


def public_url_for(endpoint: str, **values: Any) -> str:
    """The public address of `endpoint`: PUBLIC_BASE_URL (which may carry a path prefix) and the route."""
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
