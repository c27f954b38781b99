"""Response headers on every page an attacker or a victim's browser could load: a strict CSP (no inline
script or style), no framing, no sniffing, and nothing about a person's case kept in any cache.
"""
from __future__ import annotations

import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Attachment, CaseStatus
from civicwatch.extensions import db
from tests.factories import png_bytes, staff_client
from tests.security.conftest import build_path, place_case, send_report, track

PRIVATE = ("/staff", "/track", "/report", "/account", "/login", "/sms/simulator")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


@pytest.fixture
def browsers(app, make_user):
    reported = send_report(app, "headers", files=[(png_bytes(), "a.png")])
    place_case(reported.case_id, "police_oversight", CaseStatus.INVESTIGATING)
    admin = staff_client(app, make_user(Role.ADMIN))
    complainant = app.test_client()
    assert track(complainant, reported.code).status_code == 303
    attachment = db.session.query(Attachment).one()
    values = {"case_id": reported.case_id, "attachment_id": attachment.id, "user_id": 1, "body_id": 1}
    return {"anonymous": app.test_client(), "admin": admin, "complainant": complainant}, values


def every_get_path(app, values):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint != "static":
            yield build_path(rule, values)
    yield "/no-such-page"


def check_headers(path: str, response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert "frame-ancestors 'none'" in csp or "sandbox" in csp, path
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "no-referrer", path
    if path.startswith(PRIVATE):
        assert "no-store" in response.headers.get("Cache-Control", ""), path


@pytest.mark.parametrize("who", ["anonymous", "admin", "complainant"])
def test_every_page_has_the_security_headers(app, browsers, who):
    clients, values = browsers
    client = clients[who]
    checked = 0
    for path in every_get_path(app, values):
        response = client.get(path)
        response.close()
        check_headers(path, response)
        checked += 1
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html), path
            assert not INLINE_HANDLER.search(html), path
            assert not INLINE_STYLE.search(html), path
    assert checked >= 10


def test_error_pages_have_the_headers_too(app, client):
    for path, method in (("/staff/cases/1", "GET"), ("/login", "POST"), ("/track", "POST")):
        response = client.open(path, method=method)
        check_headers(path, response)


def test_the_session_cookie_is_httponly_and_same_site(app, make_user):
    client = app.test_client()
    response = client.get("/login")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_hsts_is_sent():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert ProductionConfig.REQUIRED_SECRETS
    assert not ProductionConfig.SMS_SIMULATOR and not ProductionConfig.TESTING
