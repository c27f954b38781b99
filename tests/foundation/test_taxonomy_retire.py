"""A deployment retires a theme or closes a body with its taxonomy file ("active": false), without SQL; the load
says which themes and bodies the file does not mention, which it leaves as they are."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Theme
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY


def load(app, tmp_path: Path, change) -> str:
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    change(data)
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])
    db.session.expire_all()
    return result


def entry(data: dict, key: str, code: str) -> dict:
    return next(item for item in data[key] if item["code"] == code)


def test_a_theme_retired_and_a_body_closed_in_the_file_are_retired_and_closed_and_come_back(app, tmp_path):
    def retire(data):
        entry(data, "themes", "personnel_welfare")["active"] = False
        entry(data, "bodies", "auditor_general")["active"] = False

    result = load(app, tmp_path, retire)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Theme.active).where(Theme.code == "personnel_welfare")) is False
    assert db.session.scalar(select(Body.active).where(Body.code == "auditor_general")) is False
    assert db.session.scalar(select(Theme.active).where(Theme.code == "corruption")) is True
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "taxonomy.load")
                               .order_by(AuditEntry.seq.desc())).first()
    assert audit.before["themes:personnel_welfare"] == {"active": True}
    assert audit.after["themes:personnel_welfare"] == {"active": False}
    assert audit.before["bodies:auditor_general"] == {"active": True}

    result = load(app, tmp_path, lambda data: None)
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Theme.active).where(Theme.code == "personnel_welfare")) is True
    assert db.session.scalar(select(Body.active).where(Body.code == "auditor_general")) is True


def test_a_per_region_body_closed_in_the_file_is_closed_in_every_region(app, tmp_path):
    def close(data):
        next(item for item in data["bodies"] if item.get("per_region"))["active"] = False

    assert load(app, tmp_path, close).exit_code == 0
    assert set(db.session.scalars(select(Body.active).where(Body.code.like("community_%")))) == {False}


def test_active_must_be_true_or_false(app, tmp_path):
    result = load(app, tmp_path, lambda data: entry(data, "themes", "corruption").update(active="no"))
    assert result.exit_code != 0
    assert "themes[2].active: must be true or false" in result.output
    assert db.session.scalar(select(Theme.active).where(Theme.code == "corruption")) is True


def test_themes_and_bodies_the_file_leaves_out_are_named_and_left_as_they_are(app, tmp_path):
    def leave_out(data):
        data["themes"] = [t for t in data["themes"] if t["code"] != "personnel_welfare"]
        data["routing_rules"] = [r for r in data["routing_rules"] if r["theme"] != "personnel_welfare"]
        data["bodies"] = [b for b in data["bodies"] if b["code"] != "auditor_general"]
        data["routing_rules"] = [r for r in data["routing_rules"] if r["body"] != "auditor_general"]

    result = load(app, tmp_path, leave_out)
    assert result.exit_code == 0, result.output
    assert "Not in the file, left as they are: themes personnel_welfare; bodies auditor_general" in result.output
    assert '"active": false' in result.output
    assert db.session.scalar(select(Theme.active).where(Theme.code == "personnel_welfare")) is True
