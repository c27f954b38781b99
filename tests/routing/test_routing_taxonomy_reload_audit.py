"""Reloading the taxonomy file replaces the routing rules admins edited and can rename bodies and themes the public
reads: the audit log keeps what was there before and what came after, as it does for an admin's own edits."""
from __future__ import annotations

import json

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.values import fingerprint
from civicwatch.extensions import db
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY
from tests.conftest import csrf_token

PAGE = "/staff/routing/"


def reload(app, data: dict, tmp_path) -> None:
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])
    assert result.exit_code == 0, result.output


def last_entry(action: str) -> AuditEntry:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
                              ).first()


def test_a_reload_audits_the_rules_it_replaced_and_the_ones_it_wrote(app, make_user, login_as, tmp_path) -> None:
    client = login_as(make_user(Role.ADMIN))
    response = client.post(PAGE + "rules", data={
        "csrf_token": csrf_token(client, PAGE), "priority": "1", "theme": "corruption", "actor": "", "region": "",
        "body": "auditor_general", "active": "y"})
    assert response.status_code == 302
    reload(app, json.loads(DEFAULT_TAXONOMY.read_text()), tmp_path)
    entry = last_entry("taxonomy.load_rules")
    admins_rule = {"priority": 1, "theme": "corruption", "actor": None, "region": None, "body": "auditor_general",
                   "active": True}
    assert admins_rule in (entry.before or {}).get("rules", []), "the replaced rules are not in the audit log"
    written = entry.after["rules"]
    assert admins_rule not in written
    assert {"priority": 10, "theme": "abuse_of_force", "actor": None, "region": None,
            "body": "human_rights_commission", "active": True} in written


def test_a_reload_audits_a_renamed_body_before_and_after(app, tmp_path) -> None:
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    body = next(spec for spec in data["bodies"] if spec["code"] == "police_oversight")
    old_name = body["name"]
    body["name"] = "Police Complaints Authority"
    reload(app, data, tmp_path)
    entry = last_entry("taxonomy.load")
    assert (entry.before or {}).get("bodies:police_oversight") == {"name": fingerprint(old_name)}
    assert entry.after.get("bodies:police_oversight") == {"name": fingerprint("Police Complaints Authority")}
    assert "bodies:auditor_general" not in entry.after  # unchanged entries are not listed
