"""Attacks on staff sign-in and sessions: keeping an account paused for good, a stolen session kept busy, an
account made in a closed body."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.accounts.conftest import attempt_sign_in

OWNER = "198.51.100.20"


def wrong(app, email: str, address: str):
    return attempt_sign_in(app.test_client(), email, "not the password at all", address=address)


def test_one_wrong_guess_after_an_account_pause_locks_the_owner_out_again(app, make_user, clock):
    """An attacker holding one IPv6 /48 (65,536 "networks" to the throttle) pauses an admin's account, then
    keeps it paused with a single wrong password each time the pause ends: the owner never gets in."""
    admin = make_user(Role.ADMIN)
    ceiling = app.config["LOGIN_ACCOUNT_CEILING"] = 12  # a hundred in production: the same with more /64s
    lock = app.config["LOGIN_ACCOUNT_LOCK_MINUTES"]
    for n in range(ceiling):
        assert wrong(app, admin.email, f"2001:db8:66:{n:x}::1").status_code == 401
    assert attempt_sign_in(app.test_client(), admin.email, address=OWNER).status_code == 429  # paused (by design)
    outcomes = []
    for round_ in range(3):  # an hour of lockout for three wrong passwords
        clock.advance(minutes=lock + 0.1)
        wrong(app, admin.email, f"2001:db8:66:{0x100 + round_:x}::1")  # one more guess from a fresh /64
        outcomes.append(attempt_sign_in(app.test_client(), admin.email, address=OWNER).status_code)
    assert outcomes == [302, 302, 302], (
        f"after each pause ended, one wrong guess paused the account again: the owner got {outcomes}")


def test_a_session_kept_busy_never_ends(app, make_user, clock):
    """A session (or a stolen copy of its cookie) that sends a request every 20 minutes ends STAFF_SESSION_HOURS
    after sign-in all the same."""
    client = app.test_client()
    assert attempt_sign_in(client, make_user(Role.TRIAGE).email).status_code == 302
    lifetime_hours = app.config["STAFF_SESSION_HOURS"]
    statuses = []
    for _ in range(int(lifetime_hours * 3) + 6):  # 2 hours past the lifetime
        clock.advance(minutes=20)
        statuses.append(client.get("/staff/").status_code)
    assert statuses[-1] == 302, f"still signed in {len(statuses) * 20 / 60:.0f} hours after signing in"


def test_create_user_cli_refuses_an_inactive_body(app):
    body = db.session.scalar(select(Body).where(Body.code == "auditor_general"))
    body.active = False
    db.session.commit()
    result = app.test_cli_runner().invoke(args=[
        "civicwatch", "create-user", "--email", "late@example.org", "--role", "investigator",
        "--body", "auditor_general", "--password", "cli password long"])
    created = db.session.scalar(select(User).where(User.email == "late@example.org"))
    assert result.exit_code != 0 and created is None, "an investigator was created in a deactivated body"
