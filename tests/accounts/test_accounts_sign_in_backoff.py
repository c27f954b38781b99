"""Wrong passwords slow down and then block the client that sends them (network and email typed), in the
database so every app instance agrees; the real user elsewhere still signs in; only failures from many
networks at once pause the account, and that is audited."""
from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import argon2
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from civicwatch import create_app
from civicwatch.accounts import throttle
from civicwatch.accounts.models import LoginFailure, Role
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.accounts.conftest import attempt_sign_in
from tests.conftest import PASSWORD, csrf_token, make_config

GUESSER = "203.0.113.7"
OWNER = "198.51.100.20"


def wrong(client, email: str, address: str = GUESSER):
    return attempt_sign_in(client, email, "not the password at all", address=address)


def test_a_client_is_slowed_down_then_blocked(app, client, make_user, clock):
    user = make_user(Role.ADMIN)
    assert [wrong(client, user.email).status_code for _ in range(3)] == [401, 401, 401]
    blocked = wrong(client, user.email)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "5"
    assert "Wait 5 seconds" in blocked.get_data(as_text=True)
    assert attempt_sign_in(client, user.email, address=GUESSER).status_code == 429  # not even checked

    waits = []
    for _ in range(4, app.config["LOGIN_LOCKOUT_AFTER"]):
        clock.advance(minutes=6)
        assert wrong(client, user.email).status_code == 401
        waits.append(int(wrong(client, user.email).headers["Retry-After"]))
    assert waits == [10, 20, 40, 80, 160, 320]
    clock.advance(minutes=6)
    assert wrong(client, user.email).status_code == 401  # the tenth failure blocks
    locked = attempt_sign_in(client, user.email, address=GUESSER)
    assert locked.status_code == 429 and "Wait 30 minutes" in locked.get_data(as_text=True)
    clock.advance(minutes=31)
    assert attempt_sign_in(client, user.email, address=GUESSER).status_code == 302


def test_the_real_user_signs_in_while_a_guesser_is_blocked(app, make_user, clock):
    user = make_user(Role.ADMIN)
    guesser, owner = app.test_client(), app.test_client()
    for _ in range(app.config["LOGIN_LOCKOUT_AFTER"]):
        wrong(guesser, user.email)
        clock.advance(minutes=6)
    assert attempt_sign_in(guesser, user.email, address=GUESSER).status_code == 429
    assert attempt_sign_in(owner, user.email, address=OWNER).status_code == 302


def test_a_right_password_forgives_that_clients_mistakes(app, client, make_user, clock):
    user = make_user(Role.TRIAGE)
    for _ in range(2):
        wrong(client, user.email)
    assert attempt_sign_in(client, user.email, address=GUESSER).status_code == 302
    client = app.test_client()
    assert [wrong(client, user.email).status_code for _ in range(3)] == [401, 401, 401]


def test_spelling_the_email_differently_is_the_same_client(app, client, make_user, clock):
    user = make_user(Role.TRIAGE)
    for spelling in (user.email, user.email.upper(), user.email.title()):
        assert wrong(client, spelling).status_code == 401
    assert wrong(client, user.email.swapcase()).status_code == 429


def test_an_unknown_email_is_slowed_down_the_same_way(app, client, make_user, clock):
    user = make_user(Role.TRIAGE)
    known = [wrong(client, user.email).status_code for _ in range(4)]
    unknown = [wrong(client, "nobody@example.org").status_code for _ in range(4)]
    assert known == unknown == [401, 401, 401, 429]


def test_failures_from_many_networks_pause_the_account_and_are_audited(app, make_user, clock):
    user = make_user(Role.ADMIN)
    ceiling = app.config["LOGIN_ACCOUNT_CEILING"] = 12  # a hundred in production
    for n in range(ceiling):
        assert wrong(app.test_client(), user.email, address=f"192.0.2.{n + 1}").status_code == 401
    paused = attempt_sign_in(app.test_client(), user.email, address=OWNER)
    assert paused.status_code == 429
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.sign_in_blocked",
                                                        AuditEntry.object_id == str(user.id))).one()
    assert entry.after["scope"] == "account"
    clock.advance(minutes=app.config["LOGIN_ACCOUNT_LOCK_MINUTES"] + 1)
    assert attempt_sign_in(app.test_client(), user.email, address=OWNER).status_code == 302


def test_a_blocked_client_is_audited_for_a_real_account(app, client, make_user, clock):
    user = make_user(Role.ADMIN)
    for _ in range(app.config["LOGIN_LOCKOUT_AFTER"]):
        wrong(client, user.email)
        clock.advance(minutes=6)
    scopes = [e.after["scope"] for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.sign_in_blocked"))]
    assert scopes == ["client"]


def test_the_counts_are_shared_by_every_app_instance(app, client, make_user, database_url, tmp_path, clock):
    """Another worker or server on the same database sees the same failures."""
    email = make_user(Role.TRIAGE).email  # read here: inside the other app it would load through that app
    second_app = create_app(make_config(database_url, tmp_path))
    second = second_app.test_client()
    with second_app.app_context():
        for _ in range(3):
            assert wrong(second, email).status_code == 401
        db.session.remove()
    assert attempt_sign_in(client, email, address=GUESSER).status_code == 429
    with second_app.app_context():
        db.engine.dispose()


def test_neither_address_nor_email_is_stored(app, client, make_user):
    user = make_user(Role.TRIAGE)
    wrong(client, user.email, address="192.0.2.55")
    keys = db.session.scalars(select(LoginFailure.key_hash)).all()
    assert len(keys) == 2 and all(len(k) == 64 and "192.0.2.55" not in k and "@" not in k for k in keys)


def test_ipv6_clients_are_counted_per_64_network(app):
    assert throttle.client_network("2001:db8:1:2::1") == throttle.client_network("2001:db8:1:2:ffff::9")
    assert throttle.client_network("2001:db8:1:2::1") != throttle.client_network("2001:db8:1:3::1")
    assert throttle.client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert throttle.client_network(None) == throttle.client_network("not an address")


def test_parallel_guesses_from_one_client_get_no_more_tries(app, make_user, clock):
    """Sent at the same moment, the guesses are checked one after the other: only the free ones are answered."""
    email = make_user(Role.TRIAGE).email
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_token(c) for c in clients]
    barrier = threading.Barrier(len(clients))

    def guess(index: int) -> int:
        with app.app_context():  # this thread's own context and database session
            barrier.wait()
            response = clients[index].post("/login", data={"csrf_token": tokens[index], "email": email,
                                                           "password": f"guess {index}"},
                                           environ_base={"REMOTE_ADDR": GUESSER})
            db.session.remove()
            return response.status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(guess, range(len(clients))))
    assert statuses == [401] * app.config["LOGIN_SLOWDOWN_AFTER"] + [429] * (8 - app.config["LOGIN_SLOWDOWN_AFTER"])


def held_elsewhere(database_url: tuple[str, dict]) -> bool:
    """Whether another connection would have to wait to write: for SQLite's one write lock (every report, text and
    note waits behind it), or on PostgreSQL for any row of the sign-in counts."""
    url = database_url[0]
    try:
        if url.startswith("sqlite"):
            with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)) as other:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
        else:
            with db.engine.connect() as other:
                other.execute(text("SELECT key_hash FROM login_failures FOR UPDATE NOWAIT")).all()
                other.rollback()
    except (sqlite3.OperationalError, OperationalError):
        return True
    return False


def test_no_lock_is_held_while_the_password_is_checked(app, client, make_user, database_url, monkeypatch, clock):
    """Checking a password takes most of a second on a loaded server. A flood of sign-in attempts, each holding
    the database's write lock meanwhile, would stall every citizen's report on SQLite."""
    user = make_user(Role.TRIAGE)
    wrong(client, user.email, address=OWNER)  # the counts' rows exist: a lock on them would show
    original = argon2.PasswordHasher.verify
    for password in ("a wrong password", PASSWORD):
        seen = []

        def watching(self, hash_, given, seen=seen):
            seen.append(held_elsewhere(database_url))
            return original(self, hash_, given)

        monkeypatch.setattr(argon2.PasswordHasher, "verify", watching)
        attempt_sign_in(client, user.email, password, address=OWNER)
        assert seen == [False], f"a lock was held while {password!r} was checked"
