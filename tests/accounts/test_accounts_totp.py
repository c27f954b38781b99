"""TOTP two-factor sign-in: enrolment, verification, replay refused, secret encrypted, enforcement by role."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import segno
from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.crypto import decrypt_json
from civicwatch.extensions import db
from tests.conftest import PASSWORD, csrf_token, csrf_token_from


@pytest.fixture
def app_config(app_config):
    app_config["REQUIRE_TOTP"] = True
    return app_config


def password_step(client, user):
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email, "password": PASSWORD})


def code_for(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def enrol(client, user, clock) -> str:
    response = password_step(client, user)
    assert response.headers["Location"] == "/login/two-factor-setup"
    page = client.get("/login/two-factor-setup").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert f"otpauth://totp/CivicWatch:{user.email.replace('@', '%40')}?secret={secret}" in page
    response = client.post("/login/two-factor-setup", data={"csrf_token": csrf_token_from(page),
                                                            "code": code_for(secret, clock.now)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    return secret


def test_the_setup_page_shows_the_key_as_a_qr_code_to_scan(client, make_user, clock):
    user = make_user(Role.INVESTIGATOR)
    password_step(client, user)
    page = client.get("/login/two-factor-setup").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="CivicWatch")
    figure = re.search(r'<figure class="totp-qr" id="totp-qr">(<svg .*?</svg>)</figure>', page, re.S)
    assert figure is not None and "<title>QR code of the setup link</title>" in figure.group(1)

    def modules(svg: str) -> str:
        return re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)

    # The same modules as a QR code of the setup link made independently: the phone scans this very key.
    assert modules(figure.group(1)) == modules(segno.make(uri, error="m").svg_inline())
    assert modules(figure.group(1)) != modules(segno.make(uri.replace(secret, secret[::-1]), error="m").svg_inline())


def test_investigator_enrols_then_needs_a_fresh_code_every_time(app, client, make_user, clock):
    user = make_user(Role.INVESTIGATOR)
    secret = enrol(client, user, clock)
    assert client.get("/staff/").status_code == 200
    stored = db.session.get(User, user.id).totp_secret_encrypted
    assert stored and secret.encode() not in stored
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})

    clock.advance(minutes=2)
    assert password_step(client, user).headers["Location"] == "/login/verify"
    assert client.get("/staff/").status_code == 302  # the password alone does not sign in
    token = csrf_token(client, "/login/verify")
    wrong = client.post("/login/verify", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401 and "That code is not right" in wrong.get_data(as_text=True)
    code = code_for(secret, clock.now)
    assert client.post("/login/verify", data={"csrf_token": token, "code": code}).status_code == 302
    assert client.get("/staff/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})

    # The same code again, within its 30 seconds, is refused (RFC 6238 section 5.2).
    password_step(client, user)
    replay = client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"), "code": code})
    assert replay.status_code == 401


def test_password_step_expires(app, client, make_user, clock):
    user = make_user(Role.ADMIN)
    enrol(client, user, clock)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    password_step(client, user)
    clock.advance(minutes=10)
    assert client.get("/login/verify").headers["Location"] == "/login"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_must_set_up_the_second_factor(app, client, make_user, role):
    """Triage officers and auditors read every case: no role signs in with a password alone."""
    response = password_step(client, make_user(role))
    assert response.headers["Location"] == "/login/two-factor-setup"
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_a_session_without_the_second_factor_ends_when_enforcement_starts(app, client, make_user, role):
    user = make_user(role)
    start = "/staff/assisted/" if role is Role.COMMUNITY else "/staff/"  # a committee member's only page
    app.config["REQUIRE_TOTP"] = False
    assert password_step(client, user).headers["Location"] == start
    assert client.get(start).status_code == 200
    app.config["REQUIRE_TOTP"] = True
    response = client.get(start)
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_admin_resets_a_lost_authenticator(app, client, make_user, clock):
    user = make_user(Role.INVESTIGATOR)
    enrol(client, user, clock)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    enrol(admin_client, admin, clock)
    response = admin_client.post(f"/staff/users/{user.id}/two-factor-reset",
                                 data={"csrf_token": csrf_token(admin_client, "/staff/users"), "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret_encrypted is None
    assert password_step(client, user).headers["Location"] == "/login/two-factor-setup"


def test_an_admin_cannot_reset_their_own_authenticator_without_password_or_code(app, client, make_user, clock):
    """Someone at an admin's open session who knows the password but has not the phone must not swap in their
    own authenticator: the account page asks for the password and a current code, and the staff accounts page
    must not be a way round it."""
    admin = make_user(Role.ADMIN)
    secret = enrol(client, admin, clock)
    response = client.post(f"/staff/users/{admin.id}/two-factor-reset",
                           data={"csrf_token": csrf_token(client, "/staff/users")})
    assert response.status_code == 400
    assert "account page" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret_encrypted is not None
    clock.advance(seconds=30)
    other = app.test_client()
    assert password_step(other, admin).headers["Location"] == "/login/verify"  # the owner's app still counts
    assert other.post("/login/verify", data={"csrf_token": csrf_token(other, "/login/verify"),
                                             "code": code_for(secret, clock.now)}).status_code == 302


# A phone keyboard set to Arabic or full-width digits sends those characters for the digits of the code.
OTHER_DIGITS = {"arabic-indic": "٠١٢٣٤٥٦٧٨٩", "full-width": "０１２３４５６７８９"}


def in_digits(code: str, digits: str) -> str:
    return "".join(digits[int(ch)] for ch in code)


@pytest.mark.parametrize("digits", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
def test_a_code_typed_in_other_digits_is_that_code(app, client, make_user, clock, digits):
    """Set up, sign in and move the authenticator with codes typed in other digits: a wrong one is a wrong code,
    the right one works, never a server error."""
    user = make_user(Role.TRIAGE)
    password_step(client, user)
    page = client.get("/login/two-factor-setup").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/login/two-factor-setup", data={"csrf_token": csrf_token_from(page),
                                                            "code": in_digits(code_for(secret, clock.now), digits)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})

    clock.advance(seconds=30)
    password_step(client, user)
    token = csrf_token(client, "/login/verify")
    wrong = client.post("/login/verify", data={"csrf_token": token, "code": in_digits("000000", digits)})
    assert wrong.status_code == 401 and "That code is not right" in wrong.get_data(as_text=True)
    right = client.post("/login/verify", data={"csrf_token": token,
                                               "code": in_digits(code_for(secret, clock.now), digits)})
    assert right.status_code == 302 and client.get("/staff/").status_code == 200

    clock.advance(seconds=30)
    page = client.get("/account/two-factor").get_data(as_text=True)
    new_secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    moved = client.post("/account/two-factor", data={
        "csrf_token": csrf_token_from(page), "current_password": PASSWORD,
        "current_code": in_digits(code_for(secret, clock.now), digits),
        "code": in_digits(code_for(new_secret, clock.now), digits)})
    assert moved.status_code == 302
    db.session.expire_all()
    assert decrypt_json(db.session.get(User, user.id).totp_secret_encrypted)["secret"] == new_secret


def test_a_password_without_the_code_is_not_recorded_as_a_sign_in(app, client, make_user, clock):
    """Someone with the password but not the phone: the audit log says the password was right, not that the
    member signed in (whoever reads it in an investigation would take the account as used)."""
    user = make_user(Role.INVESTIGATOR)
    secret = enrol(client, user, clock)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    signed_in_at = db.session.get(User, user.id).last_login_at
    start = db.session.scalar(select(func.max(AuditEntry.seq)))

    def recorded() -> list[str]:
        return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.seq > start)
                                       .where(AuditEntry.object_id == str(user.id)).order_by(AuditEntry.seq)))

    clock.advance(minutes=5)
    assert password_step(client, user).headers["Location"] == "/login/verify"
    assert recorded() == ["user.password_ok"]
    assert db.session.get(User, user.id).last_login_at == signed_in_at
    token = csrf_token(client, "/login/verify")
    assert client.post("/login/verify", data={"csrf_token": token, "code": "000000"}).status_code == 401
    assert recorded() == ["user.password_ok", "user.totp_failed"]

    assert client.post("/login/verify", data={"csrf_token": token,
                                              "code": code_for(secret, clock.now)}).status_code == 302
    assert recorded() == ["user.password_ok", "user.totp_failed", "user.totp_verify", "user.login"]
    assert db.session.get(User, user.id).last_login_at == clock.now
