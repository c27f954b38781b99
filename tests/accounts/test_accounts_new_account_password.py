"""A new staff member's first sign-in: the admin who created the account chose its first password and knows it, so
the first thing it opens is the page to choose one of their own, as after a reset; the admin's form says so, and
gives the rule for the password before it is refused."""
from __future__ import annotations

from civicwatch.accounts.models import Role, User
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import staff_client

FIRST = "given by the admin 2026"
OWN = "my own long passphrase"


def _create(admin, email: str = "newcomer@example.org", password: str = FIRST):
    return admin.post("/staff/users", data={"csrf_token": csrf_token(admin, "/staff/users"), "email": email,
                                            "name": "New Comer", "role": "triage", "body": "",
                                            "password": password})


def _sign_in(app, email: str, password: str):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})
    return client, response


def test_the_first_sign_in_asks_for_a_password_of_their_own(app, make_user):
    admin = staff_client(app, make_user(Role.ADMIN))
    assert _create(admin).status_code == 302

    newcomer, response = _sign_in(app, "newcomer@example.org", FIRST)

    assert response.status_code == 302
    dashboard = newcomer.get("/staff/")
    assert dashboard.status_code == 302 and dashboard.headers["Location"].endswith("/account/password")
    page = newcomer.get("/account/password").get_data(as_text=True)
    assert "temporary password" in page
    assert "Your password was reset" not in page
    changed = newcomer.post("/account/password", data={
        "csrf_token": csrf_token(newcomer, "/account/password"), "current_password": FIRST,
        "new_password": OWN, "confirm": OWN})
    assert changed.status_code == 302
    assert newcomer.get("/staff/").status_code == 200


def test_the_admin_is_told_the_rule_and_that_the_password_is_temporary(app, make_user):
    admin = staff_client(app, make_user(Role.ADMIN))

    page = admin.get("/staff/users").get_data(as_text=True)

    assert "At least 12 characters" in page
    assert "their first sign-in" in page


def test_demo_and_command_line_accounts_are_not_asked(app, make_user):
    member = make_user(Role.TRIAGE)

    assert db.session.get(User, member.id).password_must_change is False
