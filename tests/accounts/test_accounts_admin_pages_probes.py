"""The admin-only pages about one staff account, probed by someone who is not an admin: the answer is the same
for an account that exists and for one that does not (no list of staff ids, and nothing changed), whatever the
method; signed out, the same redirect to sign in."""
from __future__ import annotations

import pytest
from flask import Flask

from civicwatch.accounts.models import Role, User
from civicwatch.extensions import db
from tests.conftest import PASSWORD, csrf_token
from tests.factories import staff_client

MISSING = 987_654


def _user_pages(app: Flask) -> list[tuple[str, str]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.arguments == {"user_id"} and str(rule).startswith("/staff/users/"):
            pages += [(method, str(rule)) for method in sorted(rule.methods & {"GET", "POST"})]
    return pages


def _answer(browser, method: str, rule: str, user_id: int, form_page: str = "/account/password"
            ) -> tuple[int, str | None]:
    path = rule.replace("<int:user_id>", str(user_id))
    if method == "GET":
        response = browser.get(path)
    else:
        response = browser.post(path, data={"csrf_token": csrf_token(browser, form_page), "confirmed": "yes",
                                            "active": "0", "role": "admin", "body": ""})
    return response.status_code, response.headers.get("Location")


@pytest.mark.parametrize("role", [Role.TRIAGE, Role.INVESTIGATOR, Role.AUDITOR, Role.COMMUNITY])
def test_no_one_but_an_admin_tells_an_account_that_exists_from_one_that_does_not(app, make_user, role):
    target = make_user(Role.ADMIN)
    prober_user = make_user(role)
    prober = staff_client(app, prober_user)
    pages = _user_pages(app)
    assert len(pages) >= 6  # password and authenticator resets, unlock, role, activation, cases to give back
    for method, rule in pages:
        existing, missing = _answer(prober, method, rule, target.id), _answer(prober, method, rule, MISSING)
        assert existing == missing, (method, rule)
        assert existing[0] in (302, 403), (method, rule, existing)
    db.session.expire_all()
    stored = db.session.get(User, target.id)
    assert stored.active and stored.role is Role.ADMIN and not stored.password_must_change
    assert db.session.get(User, prober_user.id).role is role


def test_signed_out_every_page_about_an_account_sends_to_sign_in_alike(app, make_user):
    target = make_user(Role.TRIAGE)
    for method, rule in _user_pages(app):
        existing = _answer(app.test_client(), method, rule, target.id, "/login")
        missing = _answer(app.test_client(), method, rule, MISSING, "/login")
        assert existing[0] == missing[0] and existing[0] in (302, 400), (method, rule, existing)
        if existing[0] == 302:
            assert "/login" in existing[1] and "/login" in missing[1]
    assert staff_client(app, target, PASSWORD)  # nothing was reset
