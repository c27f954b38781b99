"""A temporary password (a new account's, or one an admin reset) is read out, written down or sent: it ends
TEMPORARY_PASSWORD_HOURS (72) after the admin set it, not whenever the member first signs in. Past that, the right
temporary password is refused with a message that says to ask an administrator for a new one (on the same sign-in
page, after the same password check, so a wrong password or an unknown email learns nothing new), and the admin's
accounts page says it expired. A new reset gives a password that works again."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from civicwatch.settings import SettingsError, check_settings
from tests.accounts.conftest import attempt_sign_in
from tests.conftest import csrf_token
from tests.factories import staff_client

FIRST = "given by the admin 2026"
TEMPORARY = re.compile(r'<code class="temporary-password">([^<]+)</code>')
ASK_FOR_A_NEW_ONE = "ask an administrator for a new one"
ORDINARY_REFUSAL = "Email or password is not correct"


def _create(admin, email: str = "newcomer@example.org"):
    return admin.post("/staff/users", data={"csrf_token": csrf_token(admin, "/staff/users"), "email": email,
                                            "name": "New Comer", "role": "triage", "body": "", "password": FIRST})


def _reset(admin, user_id: int) -> str:
    response = admin.post(f"/staff/users/{user_id}/password-reset",
                          data={"csrf_token": csrf_token(admin, "/staff/users"), "confirmed": "yes"})
    return TEMPORARY.search(response.get_data(as_text=True)).group(1)


def _newcomer_id() -> int:
    return db.session.scalar(select(User.id).where(User.email == "newcomer@example.org"))


def test_a_new_accounts_password_works_for_72_hours_then_asks_for_a_new_one(app, clock, make_user):
    admin_user = make_user(Role.ADMIN)
    assert _create(staff_client(app, admin_user)).status_code == 302
    clock.advance(hours=71, minutes=59)
    assert attempt_sign_in(app.test_client(), "newcomer@example.org", FIRST).status_code == 302
    clock.advance(minutes=1)

    refused = attempt_sign_in(app.test_client(), "newcomer@example.org", FIRST)

    assert refused.status_code == 401
    page = refused.get_data(as_text=True)
    assert ASK_FOR_A_NEW_ONE in page and 'name="email"' in page  # the sign-in page itself
    assert ORDINARY_REFUSAL not in page
    # A wrong password, or an unknown email, is told nothing about the temporary password.
    for email, password in (("newcomer@example.org", "not the password at all"), ("nobody@example.org", FIRST)):
        other = attempt_sign_in(app.test_client(), email, password)
        assert other.status_code == 401
        assert ORDINARY_REFUSAL in other.get_data(as_text=True) and ASK_FOR_A_NEW_ONE not in other.get_data(as_text=True)
    users_page = staff_client(app, admin_user).get("/staff/users").get_data(as_text=True)
    assert "Temporary password expired" in users_page
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "user.temporary_password_expired")).all()


def test_a_reset_password_expires_and_a_new_reset_gives_one_that_works(app, clock, make_user):
    forgetful = make_user(Role.TRIAGE)
    admin_user = make_user(Role.ADMIN)
    temporary = _reset(staff_client(app, admin_user), forgetful.id)
    clock.advance(hours=72)
    assert attempt_sign_in(app.test_client(), forgetful.email, temporary).status_code == 401

    again = _reset(staff_client(app, admin_user), forgetful.id)
    member = app.test_client()
    signed_in = attempt_sign_in(member, forgetful.email, again)

    assert signed_in.status_code == 302
    assert member.get("/staff/").location.endswith("/account/password")
    users_page = staff_client(app, admin_user).get("/staff/users").get_data(as_text=True)
    assert "Temporary password expired" not in users_page


def test_a_password_of_their_own_never_expires(app, clock, make_user):
    admin_user = make_user(Role.ADMIN)
    _create(staff_client(app, admin_user))
    member = app.test_client()
    attempt_sign_in(member, "newcomer@example.org", FIRST)
    changed = member.post("/account/password", data={
        "csrf_token": csrf_token(member, "/account/password"), "current_password": FIRST,
        "new_password": "my own long passphrase", "confirm": "my own long passphrase"})
    assert changed.status_code == 302
    clock.advance(days=400)
    assert attempt_sign_in(app.test_client(), "newcomer@example.org", "my own long passphrase").status_code == 302
    assert db.session.get(User, _newcomer_id()).password_must_change is False


def test_the_lifetime_is_a_setting(app, clock, make_user):
    app.config["TEMPORARY_PASSWORD_HOURS"] = 4
    _create(staff_client(app, make_user(Role.ADMIN)))
    clock.advance(hours=4)
    refused = attempt_sign_in(app.test_client(), "newcomer@example.org", FIRST)
    assert refused.status_code == 401 and ASK_FOR_A_NEW_ONE in refused.get_data(as_text=True)


@pytest.mark.parametrize("hours", [0, -1, 721, True, "72"])
def test_a_lifetime_that_makes_no_sense_is_refused_at_start(app, hours):
    with pytest.raises(SettingsError, match="CIVICWATCH_TEMPORARY_PASSWORD_HOURS"):
        check_settings({**app.config, "TEMPORARY_PASSWORD_HOURS": hours})


def test_the_admin_is_told_how_long_the_temporary_password_works(app, make_user):
    forgetful = make_user(Role.TRIAGE)
    admin = staff_client(app, make_user(Role.ADMIN))
    page = admin.post(f"/staff/users/{forgetful.id}/password-reset",
                      data={"csrf_token": csrf_token(admin, "/staff/users"), "confirmed": "yes"})
    assert "It works for 72 hours" in page.get_data(as_text=True)
    assert "works for 72 hours" in admin.get("/staff/users").get_data(as_text=True)  # the form's first password
    result = app.test_cli_runner().invoke(args=["civicwatch", "reset-password", "--email", forgetful.email])
    assert "works for 72 hours" in result.output
