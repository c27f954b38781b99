"""Wrong authenticator codes have their own count, which a right password never clears: at TOTP_MAX_FAILURES
the second factor locks until an admin (or the command line) unlocks it."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.accounts.conftest import attempt_sign_in, code_now, give_authenticator, verify_code, wrong_codes
from tests.conftest import csrf_token


@pytest.fixture
def app_config(app_config):
    app_config["REQUIRE_TOTP"] = True
    return app_config


@pytest.fixture
def enrolled(make_user, clock):
    user = make_user(Role.INVESTIGATOR)
    return user, give_authenticator(user)


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def audit_actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "users",
                                                                  AuditEntry.object_id == str(user.id))
                                   .order_by(AuditEntry.seq)))


def test_a_right_password_does_not_clear_wrong_codes(app, client, enrolled):
    user, secret = enrolled
    limit = app.config["TOTP_MAX_FAILURES"]
    for code in wrong_codes(secret, limit - 1):
        assert attempt_sign_in(client, user.email).headers["Location"] == "/login/verify"
        assert verify_code(client, code).status_code == 401
    assert fresh(user).totp_failures == limit - 1
    attempt_sign_in(client, user.email)
    assert fresh(user).totp_failures == limit - 1


def test_the_second_factor_locks_at_the_limit_and_stays_locked(app, client, enrolled, clock):
    user, secret = enrolled
    attempt_sign_in(client, user.email)
    codes = wrong_codes(secret, app.config["TOTP_MAX_FAILURES"])
    for code in codes[:-1]:
        assert verify_code(client, code).status_code == 401
    last = verify_code(client, codes[-1])
    assert last.status_code == 403 and "locked" in last.get_data(as_text=True)
    assert fresh(user).totp_locked_at is not None
    assert "user.totp_locked" in audit_actions(user)

    clock.advance(days=3)  # no time limit: only an admin ends the lock
    assert attempt_sign_in(client, user.email).headers["Location"] == "/login/verify"
    locked = verify_code(client, code_now(secret))
    assert locked.status_code == 403 and "Ask an administrator" in locked.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_only_a_right_code_clears_the_count(app, client, enrolled, clock):
    user, secret = enrolled
    attempt_sign_in(client, user.email)
    for code in wrong_codes(secret, 2):
        verify_code(client, code)
    assert verify_code(client, code_now(secret)).status_code == 302
    assert fresh(user).totp_failures == 0


def test_an_admin_unlocks_and_the_user_signs_in(app, client, enrolled, make_user, login_as, clock):
    user, secret = enrolled
    attempt_sign_in(client, user.email)
    for code in wrong_codes(secret, app.config["TOTP_MAX_FAILURES"]):
        verify_code(client, code)
    app.config["REQUIRE_TOTP"] = False  # the admin's own second factor is not under test here
    admin = app.test_client()
    assert attempt_sign_in(admin, make_user(Role.ADMIN).email).status_code == 302
    page = admin.get("/staff/users").get_data(as_text=True)
    assert "Two-factor locked" in page and f"/staff/users/{user.id}/two-factor-unlock" in page
    response = admin.post(f"/staff/users/{user.id}/two-factor-unlock",
                          data={"csrf_token": csrf_token(admin, "/staff/users")})
    assert response.status_code == 302
    assert fresh(user).totp_locked_at is None and fresh(user).totp_failures == 0
    assert "user.totp_unlock" in audit_actions(user)
    app.config["REQUIRE_TOTP"] = True
    clock.advance(seconds=30)
    attempt_sign_in(client, user.email)
    assert verify_code(client, code_now(secret)).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_only_admins_may_unlock(app, enrolled, make_user):
    user, _ = enrolled
    app.config["REQUIRE_TOTP"] = False
    for role in (Role.TRIAGE, Role.AUDITOR, Role.INVESTIGATOR):
        other = app.test_client()
        attempt_sign_in(other, make_user(role).email)
        response = other.post(f"/staff/users/{user.id}/two-factor-unlock",
                              data={"csrf_token": csrf_token(other, "/staff/")})
        assert response.status_code == 403


def test_the_command_line_unlocks_the_last_admin(app, client, make_user, clock):
    admin = make_user(Role.ADMIN)
    secret = give_authenticator(admin)
    attempt_sign_in(client, admin.email)
    for code in wrong_codes(secret, app.config["TOTP_MAX_FAILURES"]):
        verify_code(client, code)
    assert fresh(admin).totp_locked_at is not None
    result = app.test_cli_runner().invoke(args=["civicwatch", "unlock-two-factor", "--email", admin.email])
    assert result.exit_code == 0 and "Unlocked" in result.output
    assert fresh(admin).totp_locked_at is None
    unknown = app.test_cli_runner().invoke(args=["civicwatch", "unlock-two-factor", "--email", "x@example.org"])
    assert unknown.exit_code != 0


def test_a_reset_authenticator_starts_without_a_lock(app, client, enrolled, make_user):
    user, secret = enrolled
    attempt_sign_in(client, user.email)
    for code in wrong_codes(secret, app.config["TOTP_MAX_FAILURES"]):
        verify_code(client, code)
    app.config["REQUIRE_TOTP"] = False
    admin = app.test_client()
    attempt_sign_in(admin, make_user(Role.ADMIN).email)
    admin.post(f"/staff/users/{user.id}/two-factor-reset", data={"csrf_token": csrf_token(admin, "/staff/users"),
                                                               "confirmed": "yes"})
    user = fresh(user)
    assert user.totp_secret_encrypted is None and user.totp_locked_at is None and user.totp_failures == 0


def test_parallel_code_guesses_are_all_counted(app, enrolled):
    """Guesses sent at the same moment from many sign-ins cannot slip past the limit between reads and writes."""
    user, secret = enrolled
    email, limit = user.email, app.config["TOTP_MAX_FAILURES"]
    clients = [app.test_client() for _ in range(limit + 3)]
    for client in clients:
        assert attempt_sign_in(client, email).headers["Location"] == "/login/verify"
    tokens = [csrf_token(client, "/login/verify") for client in clients]
    codes = wrong_codes(secret, len(clients))
    barrier = threading.Barrier(len(clients))

    def guess(index: int) -> int:
        with app.app_context():  # this thread's own context and database session
            barrier.wait()
            response = clients[index].post("/login/verify", data={"csrf_token": tokens[index], "code": codes[index]})
            db.session.remove()
            return response.status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(guess, range(len(clients))))
    assert statuses.count(401) == limit - 1, statuses
    user = fresh(user)
    assert user.totp_failures == limit and user.totp_locked_at is not None
