"""The signed session cookie, read only when the request carries cookies.

Flask builds the cookie's signing serializer and parses the Cookie header on every request; a request with
no cookies at all (Twilio's webhooks, API clients, a first visit) gets the empty session it would have got
anyway, without that work.
"""
from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def register_session_cookies(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
