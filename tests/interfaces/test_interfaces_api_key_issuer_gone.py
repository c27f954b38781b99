"""A key belongs to the client system it was issued to, not to the administrator who issued it: when that
administrator is deactivated (they left, or were suspended) the key keeps working, so that a partner's app does not
stop at someone's departure. The keys page says who issued each key and that the (account deactivated),
so that the remaining administrators can review it, and any of them can revoke it: the key stops at once, and the
audit log names the administrator who revoked it."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from tests.conftest import csrf_token_from
from tests.interfaces.conftest import COMPLAINT


def _send(client, secret: str):
    return client.post("/open311/v2/requests.json", data={**COMPLAINT, "api_key": secret})


def test_a_key_outlives_its_issuer_and_another_admin_revokes_it(client, make_user, browser_for):
    leaving_user = make_user(Role.ADMIN, name="Aminata Leaving")
    staying_user = make_user(Role.ADMIN, name="Bockarie Staying")
    leaving, staying = browser_for(leaving_user), browser_for(staying_user)
    page = leaving.get("/staff/api-keys").get_data(as_text=True)
    issued = leaving.post("/staff/api-keys", data={"csrf_token": csrf_token_from(page), "name": "Radio app"})
    secret = re.search(r'class="totp-secret">(cw311_[^<]+)<', issued.get_data(as_text=True)).group(1)
    confirm = staying.get(f"/staff/users/{leaving_user.id}/active").get_data(as_text=True)
    deactivated = staying.post(f"/staff/users/{leaving_user.id}/active",
                               data={"csrf_token": csrf_token_from(confirm), "active": "0", "confirmed": "yes"})
    assert deactivated.status_code == 302

    assert _send(client, secret).status_code == 200  # the client's system goes on
    keys_page = staying.get("/staff/api-keys").get_data(as_text=True)
    assert "by Aminata Leaving" in keys_page
    assert "(account deactivated)" in keys_page

    key = db.session.scalar(select(ApiKey))
    revoked = staying.post(f"/staff/api-keys/{key.id}/revoke",
                           data={"csrf_token": csrf_token_from(keys_page), "confirmed": "yes"})
    assert revoked.status_code == 302
    refused = _send(client, secret)
    assert refused.status_code == 403 and refused.get_json()[0]["error_code"] == "api_key_invalid"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key.revoke"))
    assert entry.user_id == staying_user.id and entry.object_id == str(key.id)
    assert "(account deactivated)" not in staying.get("/staff/api-keys").get_data(as_text=True)


def test_a_key_issued_from_the_command_line_names_no_issuer(app, make_user, browser_for):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["civicwatch", "api-key", "issue", "Radio app"]).exit_code == 0
    page = browser_for(make_user(Role.ADMIN)).get("/staff/api-keys").get_data(as_text=True)
    assert "Radio app" in page and "(account deactivated)" not in page


def test_the_command_line_list_marks_a_key_whose_issuer_is_deactivated(app, make_user, browser_for):
    leaving_user = make_user(Role.ADMIN, name="Aminata Leaving")
    staying = browser_for(make_user(Role.ADMIN))
    leaving = browser_for(leaving_user)
    page = leaving.get("/staff/api-keys").get_data(as_text=True)
    leaving.post("/staff/api-keys", data={"csrf_token": csrf_token_from(page), "name": "Radio app"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["civicwatch", "api-key", "issue", "Clinic app"]).exit_code == 0
    assert "deactivated" not in runner.invoke(args=["civicwatch", "api-key", "list"]).output
    confirm = staying.get(f"/staff/users/{leaving_user.id}/active").get_data(as_text=True)
    staying.post(f"/staff/users/{leaving_user.id}/active",
                 data={"csrf_token": csrf_token_from(confirm), "active": "0", "confirmed": "yes"})
    lines = runner.invoke(args=["civicwatch", "api-key", "list"]).output.splitlines()
    radio = next(line for line in lines if "Radio app" in line)
    clinic = next(line for line in lines if "Clinic app" in line)
    assert "by Aminata Leaving (account deactivated)" in radio
    assert "deactivated" not in clinic
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == "Radio app"))
    assert runner.invoke(args=["civicwatch", "api-key", "revoke", str(key.id)]).exit_code == 0
    radio = next(line for line in runner.invoke(args=["civicwatch", "api-key", "list"]).output.splitlines()
                 if "Radio app" in line)
    assert "deactivated" not in radio  # revoked: nothing left to review
