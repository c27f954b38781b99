"""A staff member who forgot their password: an admin (or, when no admin can sign in, the command line) gives them
a temporary password, shown once. The old password and every session stop working, and the first thing the
temporary password opens is the page to choose a new one. The temporary password is never stored in clear,
audited or logged."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.accounts.conftest import give_authenticator
from tests.conftest import PASSWORD, csrf_token
from tests.factories import staff_client

TEMPORARY = re.compile(r'<code class="temporary-password">([^<]+)</code>')


def _reset(admin, user: User):
    return admin.post(f"/staff/users/{user.id}/password-reset",
                      data={"csrf_token": csrf_token(admin, "/staff/users"), "confirmed": "yes"})


def _sign_in(app, email: str, password: str):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})
    return client, response


def test_a_temporary_password_replaces_the_old_one_and_must_be_changed_first(app, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    forgetful = make_user(Role.TRIAGE)
    their_old_session = staff_client(app, forgetful)
    admin = staff_client(app, make_user(Role.ADMIN))
    users_page = admin.get("/staff/users").get_data(as_text=True)
    assert f"/staff/users/{forgetful.id}/password-reset" in users_page

    response = _reset(admin, forgetful)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    temporary = TEMPORARY.search(response.get_data(as_text=True)).group(1)
    assert len(temporary) >= 12
    assert their_old_session.get("/staff/").status_code == 302  # every session ended
    assert _sign_in(app, forgetful.email, PASSWORD)[1].status_code == 401  # the old password no longer works
    client, signed_in = _sign_in(app, forgetful.email, temporary)
    assert signed_in.status_code == 302
    # Every staff page leads to choosing a new password first.
    for path in ("/staff/", "/staff/cases", "/account"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.location.endswith("/account/password"), path
    assert "choose a new password" in client.get("/account/password").get_data(as_text=True).lower()
    changed = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": temporary,
        "new_password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert changed.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert _sign_in(app, forgetful.email, temporary)[1].status_code == 401
    # Never in clear: not in the database, the audit log or the logs.
    db.session.expire_all()
    stored = db.session.get(User, forgetful.id)
    assert temporary not in stored.password_hash and stored.password_must_change is False
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password_reset")).all()
    assert len(entries) == 1 and entries[0].object_id == str(forgetful.id)
    assert temporary not in str(entries[0].before) + str(entries[0].after)
    assert temporary not in caplog.text


def test_only_admins_reset_and_never_their_own(app, make_user):
    target = make_user(Role.INVESTIGATOR, body="police_oversight")
    for role in (Role.TRIAGE, Role.AUDITOR, Role.INVESTIGATOR):
        browser = staff_client(app, make_user(role))
        response = browser.post(f"/staff/users/{target.id}/password-reset",
                                data={"csrf_token": csrf_token(browser, "/staff/"), "confirmed": "yes"})
        assert response.status_code == 403
    admin_user = make_user(Role.ADMIN)
    admin = staff_client(app, admin_user)
    own = _reset(admin, admin_user)
    assert own.status_code == 400 and "/account/password" in own.get_data(as_text=True)
    assert f"/staff/users/{admin_user.id}/password-reset" not in admin.get("/staff/users").get_data(as_text=True)
    assert admin.post(f"/staff/users/{target.id}/password-reset",
                      data={"confirmed": "yes"}).status_code == 400  # no CSRF token
    assert admin.post("/staff/users/987654/password-reset",
                      data={"csrf_token": csrf_token(admin, "/staff/users"), "confirmed": "yes"}).status_code == 404
    assert admin.get(f"/staff/users/{target.id}/password-reset").status_code == 200  # the confirmation page
    db.session.expire_all()
    assert db.session.get(User, target.id).password_must_change is False
    assert _sign_in(app, target.email, PASSWORD)[1].status_code == 302


def test_the_authenticator_is_still_asked_after_a_reset(app, make_user):
    """A reset gives a password, not the account: whoever holds it still needs the owner's authenticator."""
    target = make_user(Role.TRIAGE)
    give_authenticator(target)
    admin = staff_client(app, make_user(Role.ADMIN))
    temporary = TEMPORARY.search(_reset(admin, target).get_data(as_text=True)).group(1)
    client, response = _sign_in(app, target.email, temporary)
    assert response.status_code == 302 and response.location.endswith("/login/verify")
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("known", [True, False])
def test_the_command_line_resets_when_no_admin_can(app, make_user, known):
    target = make_user(Role.ADMIN)
    email = target.email if known else "nobody@example.org"
    result = app.test_cli_runner().invoke(args=["civicwatch", "reset-password", "--email", email])
    if not known:
        assert result.exit_code != 0 and "no account with that email" in result.output
        return
    assert result.exit_code == 0, result.output
    temporary = re.search(r"Temporary password: (\S+)", result.output).group(1)
    client, response = _sign_in(app, target.email, temporary)
    assert response.status_code == 302
    assert client.get("/staff/users").location.endswith("/account/password")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
    assert entry is not None and entry.user_id is None
