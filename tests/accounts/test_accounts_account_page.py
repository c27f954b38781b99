"""The staff member's own account page, and sign-in fields that password managers and phones can fill."""
from __future__ import annotations

import re

from civicwatch.accounts.models import Role
from tests.accounts.conftest import attempt_sign_in, give_authenticator


def _autocomplete(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no input {name}"
    value = re.search(r'autocomplete="([^"]+)"', tag.group(0))
    return value.group(1) if value else None


def test_sign_in_fields_say_what_they_hold(client, make_user, login_as):
    html = client.get("/login").get_data(as_text=True)
    assert _autocomplete(html, "email") == "username"
    assert _autocomplete(html, "password") == "current-password"
    login_as(make_user(Role.TRIAGE))
    html = client.get("/account/password").get_data(as_text=True)
    assert _autocomplete(html, "current_password") == "current-password"
    assert _autocomplete(html, "new_password") == "new-password" and _autocomplete(html, "confirm") == "new-password"


def test_the_account_page_leads_to_two_factor_setup(client, make_user, login_as):
    user = make_user(Role.INVESTIGATOR)
    login_as(user)
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert '<a href="/account">Your account</a>' in dashboard
    html = client.get("/account").get_data(as_text=True)
    assert user.email in html and "Police" in html  # the body of the investigator
    assert '<a href="/account/two-factor">Set up two-factor sign-in</a>' in html
    assert '<a href="/account/password">Change your password</a>' in html
    assert client.get("/account/two-factor").status_code == 200

    give_authenticator(user)
    assert "Move two-factor sign-in to a new phone" in client.get("/account").get_data(as_text=True)


def test_the_code_field_asks_for_a_one_time_code(client, make_user):
    user = make_user(Role.TRIAGE)
    give_authenticator(user)
    assert attempt_sign_in(client, user.email).status_code == 302
    html = client.get("/login/verify").get_data(as_text=True)
    assert _autocomplete(html, "code") == "one-time-code"
