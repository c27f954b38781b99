"""Staff sessions end on the server: sign-out, password, authenticator, activation, role or body changes end
every copy of the cookie, and a session idle for STAFF_IDLE_MINUTES ends."""
from __future__ import annotations

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.accounts.conftest import attempt_sign_in
from tests.conftest import PASSWORD, body_by_code, csrf_token, csrf_token_from
from tests.security.test_security_receipts import decode_session_cookie


def copy_of(app, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie (same address and user agent)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(app, user: User) -> FlaskClient:
    client = app.test_client()
    assert attempt_sign_in(client, user.email).status_code == 302
    return client


def test_a_copied_cookie_stops_working_at_sign_out(app, make_user):
    browser = signed_in(app, make_user(Role.TRIAGE))
    thief = copy_of(app, browser)
    assert thief.get("/staff/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/staff/")})
    replay = thief.get("/staff/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")


def test_a_copied_cookie_stops_working_after_a_password_change(app, make_user):
    browser = signed_in(app, make_user(Role.TRIAGE))
    thief = copy_of(app, browser)
    new = "a completely different passphrase"
    response = browser.post("/account/password", data={
        "csrf_token": csrf_token(browser, "/account/password"), "current_password": PASSWORD,
        "new_password": new, "confirm": new})
    assert response.status_code == 302
    assert browser.get("/staff/").status_code == 200  # the browser that changed it stays signed in
    assert thief.get("/staff/").status_code == 302


def test_a_copied_cookie_stops_working_after_an_authenticator_change(app, make_user, clock):
    browser = signed_in(app, make_user(Role.TRIAGE))
    thief = copy_of(app, browser)
    page = browser.get("/account/two-factor").get_data(as_text=True)
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    response = browser.post("/account/two-factor", data={
        "csrf_token": csrf_token_from(page), "current_password": PASSWORD,
        "code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 302
    assert browser.get("/staff/").status_code == 200
    assert thief.get("/staff/").status_code == 302


@pytest.mark.parametrize("change", ["role", "body"])
def test_a_change_of_role_or_body_ends_the_sessions(app, make_user, change):
    """Even when made directly in the database (there is no page for it): the session is bound to both."""
    user = make_user(Role.INVESTIGATOR, body="police_oversight")
    browser = signed_in(app, user)
    assert browser.get("/staff/").status_code == 200
    row = db.session.get(User, user.id)
    if change == "role":
        row.role, row.body = Role.TRIAGE, None
    else:
        row.body = body_by_code("anti_corruption_commission")
    db.session.commit()
    assert browser.get("/staff/").status_code == 302


def test_the_cookie_does_not_carry_the_session_token(app, make_user):
    user = make_user(Role.TRIAGE)
    browser = signed_in(app, user)
    token = db.session.get(User, user.id).session_token
    assert token not in decode_session_cookie(browser.get_cookie("session").value)
    assert browser.get_cookie("remember_token") is None


def test_an_idle_session_ends(app, make_user, clock):
    idle = app.config["STAFF_IDLE_MINUTES"] = 30
    browser = signed_in(app, make_user(Role.ADMIN))
    clock.advance(minutes=idle - 1)
    assert browser.get("/staff/").status_code == 200
    clock.advance(minutes=idle - 1)  # activity keeps the session going
    assert browser.get("/staff/").status_code == 200
    thief = copy_of(app, browser)
    clock.advance(minutes=idle + 1)
    for client in (browser, thief):
        response = client.get("/staff/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = browser.get("/login").get_data(as_text=True)
    assert f"after {idle} minutes without activity" in page


def test_the_idle_time_is_a_setting(app, make_user, clock):
    app.config["STAFF_IDLE_MINUTES"] = 5
    browser = signed_in(app, make_user(Role.TRIAGE))
    clock.advance(minutes=6)
    assert browser.get("/staff/").status_code == 302


def test_sign_out_is_audited(app, make_user):
    user = make_user(Role.TRIAGE)
    browser = signed_in(app, user)
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/staff/")})
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "user.logout",
                                                         AuditEntry.user_id == user.id)) is not None
