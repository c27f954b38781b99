"""A flood of wrong passwords from many networks pauses an account, but not for the networks its owner signed
in from (password and second factor) within LOGIN_KNOWN_NETWORK_DAYS: an attacker cannot keep the owner out."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from civicwatch.accounts.models import KnownSignInNetwork, Role
from civicwatch.extensions import db
from tests.accounts.conftest import attempt_sign_in, code_now, give_authenticator
from tests.conftest import csrf_token

OWNER = "198.51.100.20"
OWNER_V6 = "2001:db8:7:1::10"
OWNER_V6_NEXT = "2001:db8:7:1:9::3"  # the same /64: the same network to the throttle
ELSEWHERE = "192.0.2.250"


def flood(app: Flask, email: str) -> None:
    """Wrong passwords from as many networks as it takes to pause the account (none of them the owner's)."""
    ceiling = app.config["LOGIN_ACCOUNT_CEILING"] = 12  # a hundred in production
    for n in range(ceiling):
        response = attempt_sign_in(app.test_client(), email, "not the password at all", address=f"203.0.{n}.9")
        assert response.status_code == 401


def test_a_paused_account_still_signs_in_from_its_owners_network(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER).status_code == 302
    assert attempt_sign_in(app.test_client(), user.email.upper(), address=OWNER_V6).status_code == 302
    clock.advance(days=30)
    flood(app, user.email)
    assert attempt_sign_in(app.test_client(), user.email, address=ELSEWHERE).status_code == 429
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER).status_code == 302
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER_V6_NEXT).status_code == 302
    # Spared from the pause only: the password is still checked there.
    wrong = attempt_sign_in(app.test_client(), user.email, "not the password at all", address=OWNER)
    assert wrong.status_code == 401


def test_a_network_not_used_for_the_days_is_forgotten(app, make_user, clock):
    user = make_user(Role.TRIAGE)
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER).status_code == 302
    clock.advance(days=app.config["LOGIN_KNOWN_NETWORK_DAYS"] + 1)
    flood(app, user.email)
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER).status_code == 429


def test_the_password_alone_does_not_make_a_network_known(app, make_user, clock):
    """Someone who stole the password but not the authenticator gains nothing from the owner's exemption."""
    app.config["REQUIRE_TOTP"] = True
    user = make_user(Role.INVESTIGATOR)
    secret = give_authenticator(user)
    thief = app.test_client()
    response = attempt_sign_in(thief, user.email, address=ELSEWHERE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    owner = app.test_client()
    assert attempt_sign_in(owner, user.email, address=OWNER).status_code == 302
    verified = owner.post("/login/verify", data={"csrf_token": csrf_token(owner, "/login/verify"),
                                                 "code": code_now(secret)}, environ_base={"REMOTE_ADDR": OWNER})
    assert verified.status_code == 302 and "/login" not in verified.headers["Location"]
    flood(app, user.email)
    assert attempt_sign_in(app.test_client(), user.email, address=ELSEWHERE).status_code == 429
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER).status_code == 302


def test_neither_the_network_nor_the_email_is_stored(app, make_user):
    user = make_user(Role.TRIAGE)
    assert attempt_sign_in(app.test_client(), user.email, address="192.0.2.55").status_code == 302
    keys = db.session.scalars(select(KnownSignInNetwork.key_hash)).all()
    assert len(keys) == 1 and len(keys[0]) == 64 and "192.0.2" not in keys[0] and "@" not in keys[0]
