"""One stolen admin session must not become every admin account: the web resets the password or authenticator of
non-admin staff only. Another administrator's credentials are reset on the server, with a command, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.accounts.conftest import give_authenticator
from tests.conftest import PASSWORD, csrf_token
from tests.factories import staff_client

RESETS = {"password": ("password-reset", "reset-password"), "authenticator": ("two-factor-reset", "reset-two-factor")}


@pytest.mark.parametrize("what", RESETS)
@pytest.mark.parametrize("confirmed", [False, True])
def test_an_admin_cannot_reset_another_admins_credentials_from_the_web(app, make_user, what, confirmed):
    target = make_user(Role.ADMIN)
    give_authenticator(target)
    before = (target.password_hash, target.totp_secret_encrypted)
    admin = staff_client(app, make_user(Role.ADMIN))
    path, command = RESETS[what]
    data = {"csrf_token": csrf_token(admin, "/staff/users"), **({"confirmed": "yes"} if confirmed else {})}
    response = admin.post(f"/staff/users/{target.id}/{path}", data=data)
    assert response.status_code == 403
    assert f"flask civicwatch {command}" in response.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert (user.password_hash, user.totp_secret_encrypted) == before and not user.password_must_change
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action.in_(
        ["user.password_reset", "user.totp_reset"]))) is None


def test_the_staff_accounts_page_offers_no_reset_of_another_admin(app, make_user):
    other_admin = make_user(Role.ADMIN)
    give_authenticator(other_admin)
    triage = make_user(Role.TRIAGE)
    give_authenticator(triage)
    page = staff_client(app, make_user(Role.ADMIN)).get("/staff/users").get_data(as_text=True)
    assert f"/staff/users/{other_admin.id}/password-reset" not in page
    assert f"/staff/users/{other_admin.id}/two-factor-reset" not in page
    assert f"/staff/users/{triage.id}/password-reset" in page
    assert f"/staff/users/{triage.id}/two-factor-reset" in page


def test_an_admin_still_resets_the_authenticator_of_other_staff(app, make_user):
    target = make_user(Role.INVESTIGATOR)
    give_authenticator(target)
    admin = staff_client(app, make_user(Role.ADMIN))
    response = admin.post(f"/staff/users/{target.id}/two-factor-reset",
                          data={"csrf_token": csrf_token(admin, "/staff/users"), "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).totp_secret_encrypted is None


@pytest.mark.parametrize("known", [True, False])
def test_the_command_line_resets_an_admins_authenticator_audited(app, make_user, known):
    target = make_user(Role.ADMIN)
    give_authenticator(target)
    email = target.email if known else "nobody@example.org"
    result = app.test_cli_runner().invoke(args=["civicwatch", "reset-two-factor", "--email", email])
    if not known:
        assert result.exit_code != 0 and "no account with that email" in result.output
        return
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, target.id).totp_secret_encrypted is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.totp_reset"))
    assert entry is not None and entry.user_id is None
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": target.email,
                                           "password": PASSWORD})
    assert response.status_code == 302 and not response.location.endswith("/login/verify")  # no old code asked


@pytest.mark.parametrize("what", RESETS)
def test_an_admin_demoted_from_the_web_is_not_then_reset_from_the_web(app, make_user, what):
    """Demote, reset, promote back: the same takeover in three steps. An account that has been an admin keeps
    its credentials out of reach of the web."""
    target = make_user(Role.ADMIN)
    give_authenticator(target)
    before = (target.password_hash, target.totp_secret_encrypted)
    admin = staff_client(app, make_user(Role.ADMIN))
    role_page = f"/staff/users/{target.id}/role"
    demoted = admin.post(role_page, data={"csrf_token": csrf_token(admin, role_page), "role": "triage", "body": ""})
    assert demoted.status_code == 302  # taking power away stays possible from the web
    path, command = RESETS[what]
    response = admin.post(f"/staff/users/{target.id}/{path}",
                          data={"csrf_token": csrf_token(admin, "/staff/users"), "confirmed": "yes"})
    assert response.status_code == 403
    assert f"flask civicwatch {command}" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(User, target.id).password_hash,
            db.session.get(User, target.id).totp_secret_encrypted) == before


def test_an_admin_cannot_unlock_another_admins_second_factor_from_the_web(app, make_user, clock):
    """The lock is what stops guessing codes: someone holding another admin's password and an admin's session
    would otherwise unlock after every few wrong codes and guess on."""
    target = make_user(Role.ADMIN)
    give_authenticator(target)
    locked = db.session.get(User, target.id)
    locked.totp_failures, locked.totp_locked_at = app.config["TOTP_MAX_FAILURES"], clock.now
    db.session.commit()
    admin = staff_client(app, make_user(Role.ADMIN))
    assert f"/staff/users/{target.id}/two-factor-unlock" not in admin.get("/staff/users").get_data(as_text=True)
    response = admin.post(f"/staff/users/{target.id}/two-factor-unlock",
                          data={"csrf_token": csrf_token(admin, "/staff/users")})
    assert response.status_code == 403
    assert "flask civicwatch unlock-two-factor" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).totp_locked_at is not None
