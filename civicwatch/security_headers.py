"""Security headers on every response, and no caching of private pages."""
from __future__ import annotations

from flask import Flask, Response, request, session

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# Pages about a person's case: never kept by the browser or a shared proxy.
PRIVATE_PREFIXES = ("/staff", "/track", "/report", "/account", "/sms/simulator")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path.startswith(PRIVATE_PREFIXES) or request.path.startswith("/login"):
            response.headers["Cache-Control"] = "no-store"
        elif session and "Cache-Control" not in response.headers:
            # The session cookie goes back with the page (for a followed case, the key that opens it): a page
            # with no caching rule of its own is not left to a cache's judgement.
            response.headers["Cache-Control"] = "private, no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
