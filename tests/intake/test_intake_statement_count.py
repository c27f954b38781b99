"""What one web report costs the database: a budget of SQL statements and exactly one commit, so that a change
that adds queries to the path every citizen takes shows here."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from civicwatch.extensions import db
from civicwatch.intake.models import QueuedReport
from tests.conftest import csrf_token_from, on_postgres
from tests.factories import post_multipart
from tests.intake.conftest import valid_report

FORM_KEY_RE = re.compile(r'name="form_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_key"')
# SQLite, 16: the taxonomy version, the form key looked up, the receipt code checked, the case (insert, then its
# reference), the staff dashboard's count of cases by body and status (one upsert), its event, the audit entry (tip and insert), expired receipts erased, the key stored, a savepoint
# around routing (decision, case, audit entry); then, in a second savepoint, what patterns does with a new case
# (its first allegation and that allegation's audit entry, the case queued for its
# related cases, which a `deliver` worker proposes): 6 more. Naming the district adds nothing: the form's and the
# case's district and region come from the taxonomy cache (4 look-ups before). PostgreSQL takes the audit chain's lock once: the chain's tip, read once per transaction, is
# kept through a released savepoint (before that, each savepoint read the tip and took the lock again); the lock and
# the tip are one round trip (one more statement on PostgreSQL before). Before the related-case
# proposals moved to the worker: 24 and 32 statements (the district makes them compare the earlier report). The
# working-day deadlines read the holidays through the taxonomy cache (taxonomy/cache.py): no statement of their own.
# The transaction's audit entries (the case's, its routing's, its allegation's) are one INSERT, not three: 23 and 27
# before. A case stored in the transaction is known to have no allegation yet: patterns does not ask (21 and 25 before).
# The subject register is kept per process through the taxonomy cache (a change to it is a change of the
# taxonomy's version): no look-up of its own (18 and 22 before).
# Expired receipts are erased at most once a minute per process, not by every report: this second report does not
# (17 before). A new case's planned route is written by its own INSERT, and its decision, events and patterns' rows
# by plain INSERTs: no savepoint, no routing UPDATE, no release (16 before); with a body, its "received" and "routed"
# events are one INSERT. A report's first receipt code is not looked up before its case is written: the unique
# column refuses a taken one, and the report is stored again with a code looked up (13 before). The taxonomy's
# version is read by the statement that looks the form's key up, not by one of its own (12 before).
BUDGETS = {"": 11, "district:kenema": 11}


def _open_form(client: FlaskClient, area: str) -> dict[str, str]:
    page = client.get("/report").get_data(as_text=True)
    key = FORM_KEY_RE.search(page)
    assert key is not None, "the report form has no key"
    return {**valid_report(area=area), "csrf_token": csrf_token_from(page), "form_key": key.group(1) or key.group(2)}


def _post_counted(app: Flask, client: FlaskClient, fields: dict[str, str]) -> tuple[int, list[str], list[object]]:
    """POST the report form: its status, the SQL statements run through the engine and its commits."""
    statements: list[str] = []
    commits: list[object] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    def commit(conn: object) -> None:
        commits.append(conn)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "commit", commit)
    try:
        response = post_multipart(client, "/report", fields)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "commit", commit)
    return response.status_code, statements, commits


@pytest.mark.parametrize("area", BUDGETS)
def test_one_web_report_stays_within_its_statement_budget(app: Flask, client: FlaskClient, area: str):
    app.config["AUDIT_ANCHOR_INTERVAL_SECONDS"] = 60  # as deployed: this report is not the one that anchors
    assert post_multipart(client, "/report", _open_form(client, area)).status_code == 303  # fills the caches, anchors
    status, statements, commits = _post_counted(app, client, _open_form(client, area))
    assert status == 303
    assert len(commits) == 1
    assert len(statements) <= BUDGETS[area], "\n".join(statements)


def test_a_queued_report_opens_no_transaction_of_the_session(app: Flask, client: FlaskClient):
    """WEB_REPORTS_QUEUED: the form key looked up (with the taxonomy's version) and the one-row INSERT, each in
    autocommit outside the engine's events; the session's connection is never used (on PostgreSQL, no ping, BEGIN
    or ROLLBACK). The classifier, routing and the case's writes are the worker's."""
    app.config["WEB_REPORTS_QUEUED"] = True
    fields = _open_form(client, "")
    begun: list[object] = []

    def begin(connection: object) -> None:
        begun.append(connection)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "begin", begin)
    try:
        status, statements, commits = _post_counted(app, client, fields)
    finally:
        event.remove(engine, "begin", begin)
    assert status == 303
    assert statements == [] and commits == [] and begun == []
    assert db.session.scalar(select(func.count()).select_from(QueuedReport)) == 1


def test_a_queued_report_runs_two_statements_on_sqlite(app: Flask, client: FlaskClient):
    """What the database itself is asked (SQLite's trace of every statement it runs): the look-up and the INSERT."""
    if on_postgres():
        pytest.skip("SQLite's statement trace")
    app.config["WEB_REPORTS_QUEUED"] = True
    fields = _open_form(client, "")
    traced: list[str] = []

    def trace(connection: Any, _record: object) -> None:
        connection.set_trace_callback(traced.append)

    with app.app_context():
        engine = db.engine
        engine.dispose()  # every connection from here on is traced
    event.listen(engine.pool, "connect", trace)
    try:
        assert post_multipart(client, "/report", fields).status_code == 303
    finally:
        event.remove(engine.pool, "connect", trace)
        with app.app_context():
            db.engine.dispose()
    # The pool's ping of a connection it hands out again ("SELECT 1", pool_pre_ping) is SQLite's, in-process.
    run = [statement.split()[0].upper() for statement in traced
           if not statement.startswith("PRAGMA") and statement != "SELECT 1"]
    assert run == ["SELECT", "BEGIN", "INSERT", "COMMIT"], "\n".join(traced)
