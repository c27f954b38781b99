"""Staff sign-in under attack: password guessing, finding out which emails have accounts, the second factor,
open redirects after sign-in, and what a copy of the database reveals about passwords and authenticators.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from urllib.parse import urljoin, urlsplit

import argon2
import pyotp
import pytest
from sqlalchemy import text

from civicwatch.accounts.models import Role, User
from civicwatch.crypto import decrypt_json
from civicwatch.extensions import db
from tests.conftest import PASSWORD, ManualClock, csrf_token, csrf_token_from
from tests.factories import staff_client
from tests.security.conftest import stored_strings
from tests.security.test_security_receipts import decode_session_cookie


def attempt(client, email: str, password: str, next_url: str | None = None, address: str = "127.0.0.1"):
    path = "/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(path, data={"csrf_token": csrf_token(client), "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


# Wrong guesses an attacker makes below: twice the default limit of codes, enough to block one network by
# default. Written out, not read from the settings, so that the attacks also run against older code.
GUESSES = 10


def without_tokens(body: str) -> str:
    return re.sub(r'value="[A-Za-z0-9._-]{40,}"', "", body)


# ---------------------------------------------------------------- guessing

def test_a_stranger_cannot_lock_the_real_user_out(app, make_user, clock):
    """Wrong passwords from one network block that network, not the account's owner elsewhere."""
    user = make_user(Role.ADMIN)
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(GUESSES):  # refused, then slowed down (the clock stands still)
        assert attempt(attacker, user.email, "not the password at all", address="203.0.113.66").status_code in (401, 429)
    assert attempt(owner, user.email, PASSWORD, address="198.51.100.7").status_code == 302, \
        "a stranger's wrong passwords locked the owner out"
    assert owner.get("/staff/", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
    assert attempt(attacker, user.email, PASSWORD, address="203.0.113.66").status_code == 429


def test_wrong_password_unknown_email_and_deactivated_account_look_the_same(app, make_user):
    user = make_user(Role.TRIAGE)
    inactive = make_user(Role.TRIAGE)
    db.session.get(User, inactive.id).active = False
    db.session.commit()
    answers = []
    for email, password in ((user.email, "wrong password here"), ("nobody@example.org", "wrong password here"),
                            (inactive.email, PASSWORD)):
        response = attempt(app.test_client(), email, password)
        answers.append((response.status_code, without_tokens(response.get_data(as_text=True)).replace(email, "E")))
    assert answers[0] == answers[1] == answers[2]


def test_every_sign_in_attempt_costs_one_argon2_verification(app, make_user, monkeypatch):
    """Timing: an unknown email must cost the same password hashing as a known one."""
    user = make_user(Role.TRIAGE)
    calls = []
    original = argon2.PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    for email in (user.email, "nobody@example.org", "NOBODY@EXAMPLE.ORG"):
        calls.clear()
        attempt(app.test_client(), email, "wrong password here")
        assert len(calls) == 1, email


def test_the_lockout_does_not_reveal_which_emails_have_accounts(app, make_user, clock):
    user = make_user(Role.ADMIN)
    answers = {}
    for email in (user.email, "nobody@example.org"):
        client = app.test_client()
        for _ in range(6):
            response = attempt(client, email, "wrong password here")
        answers[email] = (response.status_code, without_tokens(response.get_data(as_text=True)).replace(email, "E"))
    assert answers[user.email] == answers["nobody@example.org"]


# ---------------------------------------------------------------- open redirects

REDIRECT_PAYLOADS = [
    "https://evil.example/", "//evil.example/", "///evil.example/", "////evil.example",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "/%5Cevil.example", "/%2F%2Fevil.example",
    "/%09/evil.example",
    "/%0d%0a/evil.example",
    "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)",
    " //evil.example", "https:evil.example", "/.//evil.example", "http://localhost@evil.example/",
    "%2F%2Fevil.example", "/%E3%80%82/evil.example", "//[evil.example", "https://[evil.example/",
]


def browser_target(location: str) -> str:
    """Where a browser would go: it drops tabs and line breaks and reads backslashes as slashes."""
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").strip()
    return urljoin("http://localhost/login", cleaned)


@pytest.mark.parametrize("payload", REDIRECT_PAYLOADS)
def test_sign_in_never_redirects_off_site(app, make_user, payload):
    user = make_user(Role.TRIAGE)
    response = attempt(app.test_client(), user.email, PASSWORD, next_url=payload)
    assert response.status_code == 302
    target = urlsplit(browser_target(response.headers["Location"]))
    assert target.scheme in ("http", "https") and target.hostname == "localhost", response.headers["Location"]


def test_a_local_next_page_is_honoured(app, make_user):
    user = make_user(Role.TRIAGE)
    response = attempt(app.test_client(), user.email, PASSWORD, next_url="/staff/cases")
    assert response.headers["Location"].endswith("/staff/cases")


# ---------------------------------------------------------------- what the database gives away

def test_passwords_are_stored_as_argon2id_hashes_only(app, make_user):
    make_user(Role.ADMIN, password="a very particular passphrase")
    with db.engine.connect() as conn:
        hashes = [row[0] for row in conn.execute(text("SELECT password_hash FROM users"))]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("particular" in value for _, _, value in stored_strings())


@pytest.fixture
def clock(clock: ManualClock):
    """The shared clock, moved by `clock(seconds)`, which returns the new time."""
    def advance(seconds: int) -> dt.datetime:
        clock.advance(seconds=seconds)
        return clock.now

    advance.now = lambda: clock.now
    return advance


@pytest.fixture
def enrolled(app, make_user, clock):
    """An admin who set up an authenticator through the web pages; returns (user, secret)."""
    user = make_user(Role.ADMIN)
    client = staff_client(app, user)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    cookie = client.get_cookie("session").value
    assert secret not in decode_session_cookie(cookie), "the pending secret is readable in the cookie"
    response = client.post("/account/two-factor", data={"csrf_token": csrf_token_from(page),
                                                        "current_password": PASSWORD,
                                                        "code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 302
    return db.session.get(User, user.id), secret


def test_authenticator_secrets_are_encrypted_at_rest(app, enrolled):
    user, secret = enrolled
    with db.engine.connect() as conn:
        blob = bytes(conn.execute(text("SELECT totp_secret_encrypted FROM users WHERE id = :id"),
                                  {"id": user.id}).scalar_one())
    assert secret.encode() not in blob and blob.startswith(b"gAAAAA")
    assert not any(secret in value for _, _, value in stored_strings())


def _second_factor_page(app, user):
    client = app.test_client()
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 302 and "/login/verify" in response.headers["Location"]
    return client


def test_a_used_code_cannot_be_replayed(app, enrolled, clock):
    user, secret = enrolled
    code = pyotp.TOTP(secret).at(clock(90))  # a new time step, not the one used at enrolment
    client = _second_factor_page(app, user)
    first = client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"), "code": code})
    assert first.status_code == 302
    other = _second_factor_page(app, user)
    again = other.post("/login/verify", data={"csrf_token": csrf_token(other, "/login/verify"), "code": code})
    assert again.status_code == 401


def test_guessing_authenticator_codes_locks_the_account(app, enrolled, clock):
    user, secret = enrolled
    now = clock(90)  # a fresh time step, so the right code below is not refused as a replay
    totp = pyotp.TOTP(secret)
    valid = {totp.at(now.timestamp() + delta) for delta in (-30, 0, 30)}
    client = _second_factor_page(app, user)
    token = csrf_token(client, "/login/verify")
    wrong = [f"{n:06d}" for n in range(100_000, 100_100) if f"{n:06d}" not in valid]
    for code in wrong[:GUESSES]:
        response = client.post("/login/verify", data={"csrf_token": token, "code": code})
        assert response.status_code in (401, 403) or response.headers["Location"] == "/login"
    response = client.post("/login/verify", data={"csrf_token": token, "code": totp.at(now)})
    assert "/staff" not in response.headers.get("Location", ""), \
        "a right code was accepted after many wrong ones: guessing is unlimited"
    assert client.get("/staff/").status_code == 302


def test_the_page_asked_for_is_checked_before_the_code_is_asked(app, enrolled, clock):
    """The page to go to after the code waits in the session cookie: one that is no address (a broken host) or too
    long for a cookie (a browser drops a cookie over 4 KB, and the sign-in with it) is dropped at the password
    step, and the right code signs in all the same."""
    user, secret = enrolled
    for next_url in ("//[evil.example", "/staff/cases?q=" + secrets.token_urlsafe(6000)):
        client = app.test_client()
        response = attempt(client, user.email, PASSWORD, next_url=next_url)
        assert response.status_code == 302
        assert all(len(cookie) < 4093 for cookie in response.headers.getlist("Set-Cookie"))
        response = client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"),
                                                      "code": pyotp.TOTP(secret).at(clock(90))})
        assert response.status_code == 302 and response.headers["Location"] == "/staff/"


def test_a_stolen_password_does_not_buy_more_code_guesses(app, enrolled, clock):
    """The attacker knows the password and enters it again before every guess: the count must not reset."""
    user, secret = enrolled
    now = clock(90)
    totp = pyotp.TOTP(secret)
    valid = {totp.at(now.timestamp() + delta) for delta in (-30, 0, 30)}
    wrong = [f"{n:06d}" for n in range(200_000, 200_100) if f"{n:06d}" not in valid]
    for code in wrong[:GUESSES]:
        client = _second_factor_page(app, user)
        client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"), "code": code})
    client = _second_factor_page(app, user)
    response = client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"),
                                                  "code": totp.at(now)})
    assert "/staff" not in response.headers.get("Location", ""), "each right password reset the count of wrong codes"
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_no_role_reads_cases_with_a_password_alone(app, make_user, role):
    app.config["REQUIRE_TOTP"] = True
    client = app.test_client()
    response = attempt(client, make_user(role).email, PASSWORD)
    assert response.status_code == 302 and "/staff" not in response.headers["Location"]
    assert client.get("/staff/cases").status_code == 302


def test_a_copied_session_cookie_dies_at_sign_out(app, make_user):
    user = make_user(Role.AUDITOR)
    browser = staff_client(app, user)
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/staff/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/staff/")})
    assert thief.get("/staff/").status_code == 302, "the copied cookie outlived the sign-out"


def test_a_stolen_session_cannot_move_the_authenticator(app, enrolled, clock):
    """Someone at an unlocked screen tries to bind their own phone, without the password or current code."""
    user, secret = enrolled
    browser = _second_factor_page(app, user)
    assert browser.post("/login/verify", data={"csrf_token": csrf_token(browser, "/login/verify"),
                                               "code": pyotp.TOTP(secret).at(clock(90))}).status_code == 302
    page = browser.get("/account/two-factor").get_data(as_text=True)
    theirs = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = browser.post("/account/two-factor", data={"csrf_token": csrf_token_from(page),
                                                         "code": pyotp.TOTP(theirs).at(clock(60))})
    assert response.status_code == 400
    response = browser.post("/account/two-factor", data={"csrf_token": csrf_token_from(page),
                                                         "current_password": PASSWORD,
                                                         "code": pyotp.TOTP(theirs).at(clock(0))})
    assert response.status_code == 400, "bound without a code from the current authenticator"
    db.session.expire_all()
    assert decrypt_json(db.session.get(User, user.id).totp_secret_encrypted)["secret"] == secret


def test_a_stolen_session_cannot_guess_the_password_freely(app, make_user, clock):
    browser = staff_client(app, make_user(Role.TRIAGE))
    token = csrf_token(browser, "/account/password")
    statuses = [browser.post("/account/password", data={
        "csrf_token": token, "current_password": f"guess number {n}", "new_password": "x" * 14,
        "confirm": "x" * 14}).status_code for n in range(4)]
    assert statuses[-1] == 429, "wrong current passwords are answered without any backoff"
