"""What an attacker tries against the sign-in, checked: an unknown email, a wrong password and a deactivated account
with its right password get the same answer after the same work (one argon2 verification each); a sign-in waiting
for its second factor ends when the account is deactivated or its password reset meanwhile."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import reset_password, set_user_active
from civicwatch.extensions import db
from tests.accounts.conftest import attempt_sign_in, code_now, give_authenticator
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    """The argon2 verifications made (the library's, counted where it is called)."""
    made: list[str] = []
    verify = PasswordHasher.verify

    def counted(self, hash, password):  # noqa: A002 - the library's own parameter name
        made.append(hash)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return made


def _answer(response) -> tuple[int, str]:
    # The page as the attacker reads it, but for the form's token and the email typed back into the form.
    text = re.sub(r'(name="(?:csrf_token|email)"[^>]*value=")[^"]*"', r'\1"', response.get_data(as_text=True))
    return response.status_code, text[text.index("<main"):]


def test_nothing_tells_an_unknown_email_from_a_wrong_password_or_a_deactivated_account(
        app, client, make_user, verifications):
    admin, member, gone = make_user(Role.ADMIN), make_user(Role.TRIAGE), make_user(Role.TRIAGE)
    set_user_active(db.session.get(User, gone.id), False, db.session.get(User, admin.id))
    db.session.commit()
    answers = []
    for email, password, address in ((member.email, "wrong password here", "192.0.2.1"),
                                     ("nobody-here@example.org", "wrong password here", "192.0.2.2"),
                                     (gone.email, PASSWORD, "192.0.2.3")):
        before = len(verifications)
        answers.append(_answer(attempt_sign_in(client, email, password, address)))
        assert len(verifications) - before == 1, email
    assert answers[0][0] == 401 and answers[0] == answers[1] == answers[2]


@pytest.mark.parametrize("meanwhile", ["deactivated", "password reset"])
def test_a_sign_in_waiting_for_its_code_ends_when_the_account_changes(app, client, make_user, meanwhile):
    app.config["REQUIRE_TOTP"] = True
    admin, member = make_user(Role.ADMIN), make_user(Role.TRIAGE)
    secret = give_authenticator(member)
    response = attempt_sign_in(client, member.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    row, actor = db.session.get(User, member.id), db.session.get(User, admin.id)
    if meanwhile == "deactivated":
        set_user_active(row, False, actor)
    else:
        reset_password(row, actor)
    db.session.commit()
    page = client.get("/login/verify")
    assert page.status_code == 302 and page.headers["Location"].endswith("/login")
    refused = client.post("/login/verify", data={"csrf_token": csrf_token(client), "code": code_now(secret)})
    assert refused.status_code in (302, 400) and "/staff" not in refused.headers.get("Location", "")
    assert client.get("/staff/").status_code == 302
