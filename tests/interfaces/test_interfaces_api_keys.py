"""API keys for Open311 clients: issued by administrators (page or command), stored as a keyed hash."""
import re

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import fingerprint
from civicwatch.crypto import keyed_hash
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from civicwatch.interfaces.operations import authenticate_api_key
from tests.conftest import csrf_token_from


def test_an_admin_issues_a_key_that_is_shown_once(make_user, browser_for):
    admin = browser_for(make_user(Role.ADMIN))
    page = admin.get("/staff/api-keys").get_data(as_text=True)
    response = admin.post("/staff/api-keys", data={"csrf_token": csrf_token_from(page), "name": "Youth network app"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'class="totp-secret">(cw311_[^<]+)<', html).group(1)
    key = db.session.scalar(select(ApiKey))
    assert key.name == "Youth network app" and key.key_hash == keyed_hash("api_key", secret)
    assert secret not in key.key_hash and key.prefix == secret[:12]
    assert secret not in admin.get("/staff/api-keys").get_data(as_text=True)  # never shown again
    assert authenticate_api_key(secret).id == key.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key.issue")).after == {
        "name": fingerprint("Youth network app"), "prefix": fingerprint(key.prefix),
        "expires_at": key.expires_at.isoformat()}


def test_an_admin_revokes_a_key(make_user, browser_for):
    admin = browser_for(make_user(Role.ADMIN))
    page = admin.get("/staff/api-keys").get_data(as_text=True)
    html = admin.post("/staff/api-keys", data={"csrf_token": csrf_token_from(page), "name": "Old app"}).get_data(as_text=True)
    secret = re.search(r'class="totp-secret">(cw311_[^<]+)<', html).group(1)
    key = db.session.scalar(select(ApiKey))
    response = admin.post(f"/staff/api-keys/{key.id}/revoke", data={"csrf_token": csrf_token_from(html),
                                                                     "confirmed": "yes"})
    assert response.status_code == 302
    assert authenticate_api_key(secret) is None
    assert "Revoked" in admin.get("/staff/api-keys").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.TRIAGE, Role.INVESTIGATOR, Role.AUDITOR])
def test_only_admins_manage_keys(make_user, browser_for, role):
    browser = browser_for(make_user(role))
    assert browser.get("/staff/api-keys").status_code == 403


def test_the_command_line_issues_lists_and_revokes(app):
    runner = app.test_cli_runner()
    assert "No API keys. Issue one with" in runner.invoke(args=["civicwatch", "api-key", "list"]).output
    issued = runner.invoke(args=["civicwatch", "api-key", "issue", "Radio station app"])
    assert issued.exit_code == 0, issued.output
    secret = issued.output.strip().splitlines()[-1]
    assert secret.startswith("cw311_") and authenticate_api_key(secret) is not None
    listed = runner.invoke(args=["civicwatch", "api-key", "list"])
    assert "Radio station app" in listed.output and secret not in listed.output
    key = db.session.scalar(select(ApiKey))
    revoked = runner.invoke(args=["civicwatch", "api-key", "revoke", str(key.id)])
    assert revoked.exit_code == 0, revoked.output
    db.session.expire_all()
    assert authenticate_api_key(secret) is None
    again = runner.invoke(args=["civicwatch", "api-key", "revoke", str(key.id)])
    assert again.exit_code != 0 and "already revoked" in again.output


@pytest.mark.parametrize("given", [str(2**31), "9" * 25, "9" * 5000])
def test_revoking_a_key_by_an_id_no_key_can_have_says_so(app, given):
    """An id past what the column holds (a prefix pasted without its letters, a typo) finds no key."""
    result = app.test_cli_runner().invoke(args=["civicwatch", "api-key", "revoke", given])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "No single key matches" in result.output


def test_a_key_name_is_kept_as_one_line_of_visible_text(app, make_user, browser_for):
    """Terminal escapes, a bell, a line break and right-to-left overrides leave the name, on the page and on the
    command line; a name of nothing else is refused as an empty one is."""
    admin = browser_for(make_user(Role.ADMIN))
    page = admin.get("/staff/api-keys").get_data(as_text=True)
    name = "\x1b[31m\x07Youth\r\nnetwork\u202e app\u202c\x1b"
    assert admin.post("/staff/api-keys", data={"csrf_token": csrf_token_from(page), "name": name}).status_code == 200
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["civicwatch", "api-key", "issue", "Radio\n\u2066station\u2069\x07 app"])
    assert issued.exit_code == 0, issued.output
    assert sorted(db.session.scalars(select(ApiKey.name))) == ["Radio station app", "[31mYouth network app"]
    only_controls = "\x1b\x07\u202e\r\n\u2066"
    refused = admin.post("/staff/api-keys", data={"csrf_token": csrf_token_from(page), "name": only_controls})
    assert refused.status_code == 400 and "Name the client." in refused.get_data(as_text=True)
    failed = runner.invoke(args=["civicwatch", "api-key", "issue", only_controls])
    assert failed.exit_code != 0 and "Name the client" in failed.output
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 2
