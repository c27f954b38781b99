"""The migration chain: one head, and `upgrade head` builds exactly the schema the models describe."""
import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from civicwatch.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def include_object(obj, name, type_, reflected, compare_to):
    # Full-text search structures are created by raw DDL, not by the models.
    return not (name and ("_fts" in name or name.endswith("_search")))


def test_single_head():
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_head_matches_models(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
    _check_constraints_hold()


def _check_constraints_hold():
    """compare_metadata leaves CHECK constraints out: the ones a migration rewrote are tried on the data."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    insert = text("INSERT INTO users (email, name, password_hash, role, body_id, active, session_token, created_at, "
                  "totp_failures, identity_custodian) VALUES (:email, 'M', 'x', :role, :body, true, 't', "
                  "CURRENT_TIMESTAMP, 0, false)")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO bodies (id, code, name, active, acknowledge_days, "
                                "acknowledge_days_urgent, respond_days, respond_days_urgent, "
                                "target_acknowledged_share, target_closed_within_days) VALUES "
                                "(1, 'community_bo', 'Committee', true, 5, 1, 60, 20, 0.9, 90)"))
        connection.execute(insert, {"email": "member@example.org", "role": "community", "body": 1})
    for email, role, body in (("a@example.org", "community", None), ("b@example.org", "auditor", 1),
                              ("c@example.org", "chief", None)):
        try:
            with db.engine.begin() as connection:
                connection.execute(insert, {"email": email, "role": role, "body": body})
        except IntegrityError:
            continue
        raise AssertionError(f"the database accepted a {role} with body {body}")


def test_downgrade_to_base_and_up_again(empty_app):
    upgrade()
    downgrade(revision="base")
    upgrade()
    result = empty_app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy"])
    assert result.exit_code == 0, result.output


def test_upgrade_creates_full_text_search(empty_app):
    from sqlalchemy import inspect, text

    upgrade()
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            names = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master"))}
            assert {"cases_fts", "cases_fts_after_insert", "cases_fts_after_update"} <= names
            assert {"case_messages_fts", "case_messages_fts_after_insert", "case_messages_fts_after_update"} <= names
        else:
            indexes = {index["name"] for index in inspect(connection).get_indexes("cases")}
            assert "ix_cases_fts_document" in indexes
            assert "ix_case_messages_fts_body" in {
                index["name"] for index in inspect(connection).get_indexes("case_messages")}


def test_outbox_texts_are_encrypted_on_the_way_up_and_restored_on_the_way_down(empty_app, clock):
    """Rows from before the inbox migration get their text encrypted; going back restores every text."""
    from sqlalchemy import text

    from civicwatch.crypto import decrypt_text
    from civicwatch.messaging.operations import queue_sms

    upgrade(revision="98bacf744698")
    now = clock.now
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbound_messages (channel, to_encrypted, to_hash, body, purpose, status, attempts, "
            "next_attempt_at, created_at) VALUES ('sms', :to, 'h', 'CivicWatch CW-2026-000001: answered.', "
            "'answer', 'sent', 1, :now, :now)"), {"to": b"x", "now": now.isoformat(" ")})
    upgrade()
    with db.engine.connect() as connection:
        body, encrypted = connection.execute(text("SELECT body, body_encrypted FROM outbound_messages")).one()
    assert body is None and decrypt_text(encrypted) == "CivicWatch CW-2026-000001: answered."
    queue_sms("+23276123456", "CivicWatch: your receipt code is 1234 5678 9012 3456.", "text_reply")
    db.session.commit()
    downgrade(revision="98bacf744698")
    with db.engine.connect() as connection:
        bodies = connection.execute(text("SELECT body FROM outbound_messages ORDER BY id")).scalars().all()
    assert bodies == ["CivicWatch CW-2026-000001: answered.", "CivicWatch: your receipt code is 1234 5678 9012 3456."]
    upgrade()


def test_downgrade_refuses_to_drop_data_unless_forced(empty_app, capfd):
    from sqlalchemy import func, inspect, select

    from civicwatch.audit.models import AuditEntry
    from civicwatch.audit.operations import record_audit

    upgrade()
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["civicwatch", "load-taxonomy"]).exit_code == 0
    record_audit(None, "test.kept")
    db.session.commit()
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code != 0
    message = result.output + capfd.readouterr().err
    assert "Refusing to downgrade" in message and "audit_entries" in message and "force=yes" in message
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) >= 1  # nothing was dropped
    db.session.remove()  # PostgreSQL: no open transaction may hold a lock on the tables the downgrade drops
    with db.engine.connect() as connection:  # refused before the first step: still at the head
        assert "sms_inbox" in inspect(connection).get_table_names()
    result = runner.invoke(args=["db", "downgrade", "--x-arg", "force=yes", "base"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        assert "audit_entries" not in inspect(connection).get_table_names()


def test_default_terms_become_capitals_and_a_deployments_own_stay(empty_app):
    """The default "nia" and "luc" become "NIA" and "LUC"; a deployment that wrote its own terms keeps them."""
    upgrade(revision="a4d9c2e7f1b3")
    with db.engine.begin() as connection:
        for code, terms in (("intelligence", ["intelligence", "nia", "NIA"]), ("police", ["police", "luc"]),
                            ("military", ["army", "nia"])):
            connection.execute(text("INSERT INTO actors (code, name, terms) VALUES (:code, :code, :terms)"),
                               {"code": code, "terms": json.dumps(terms)})
        connection.execute(text("INSERT INTO settings (key, value) VALUES ('taxonomy_version', '\"old\"')"))
    upgrade(revision="c5e1a9d3f7b2")
    with db.engine.connect() as connection:
        terms = dict(connection.execute(text("SELECT code, terms FROM actors")).all())
        version = connection.execute(text("SELECT value FROM settings WHERE key = 'taxonomy_version'")).scalar()
    as_lists = {code: json.loads(value) if isinstance(value, str) else value for code, value in terms.items()}
    assert as_lists == {"intelligence": ["intelligence", "NIA"], "police": ["police", "LUC"],
                        "military": ["army", "nia"]}
    assert version not in ('"old"', "old")
    downgrade(revision="a4d9c2e7f1b3")
    with db.engine.connect() as connection:
        police = connection.execute(text("SELECT terms FROM actors WHERE code = 'police'")).scalar()
    assert (json.loads(police) if isinstance(police, str) else police) == ["police", "luc"]
    upgrade()
