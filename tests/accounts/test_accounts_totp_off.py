"""With REQUIRE_TOTP off (development, tests, demo) staff sign in with a password, and may enrol by choice."""
from __future__ import annotations

import re

import pyotp

from civicwatch.accounts.models import Role
from tests.conftest import PASSWORD, csrf_token, csrf_token_from


def test_investigator_signs_in_with_password_only(client, make_user, login_as):
    login_as(make_user(Role.INVESTIGATOR))
    assert client.get("/staff/").status_code == 200


def test_voluntary_enrolment_is_then_used_at_sign_in(client, make_user, login_as, clock):
    user = make_user(Role.TRIAGE)
    login_as(user)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/account/two-factor", data={"csrf_token": csrf_token_from(page),
                                                        "current_password": PASSWORD,
                                                        "code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": PASSWORD})
    assert response.headers["Location"] == "/login/verify"
