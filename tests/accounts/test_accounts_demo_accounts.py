"""The demo's staff accounts (admin@example.org and the others, on the domains reserved for examples, with one
known or printed password) sign in only where demo mode is on. A production database that once had the demo
loaded into it (before it was a production database, or by hand) must not keep a known door open."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["DEMO_MODE"] = False
    return app_config


def post_login(client, email, password=PASSWORD):
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})


@pytest.mark.parametrize("email", ["admin@example.org", "police_oversight@example.org", "Triage@Example.COM",
                                   "someone@example.net", "x@sub.example.org"])
def test_an_account_on_an_example_domain_cannot_sign_in_outside_demo_mode(client, make_user, email):
    make_user(Role.ADMIN, email=email)
    response = post_login(client, email)
    assert response.status_code == 401
    assert "demo" in response.get_data(as_text=True).lower()
    assert client.get("/staff/").status_code == 302  # not signed in


def test_an_account_on_a_real_domain_signs_in(client, make_user):
    make_user(Role.ADMIN, email="registrar@oversight.gov.sl")
    assert post_login(client, "registrar@oversight.gov.sl").status_code == 302
    assert client.get("/staff/").status_code == 200


def test_a_look_alike_domain_is_not_mistaken_for_an_example(client, make_user):
    make_user(Role.ADMIN, email="desk@myexample.org")
    assert post_login(client, "desk@myexample.org").status_code == 302
