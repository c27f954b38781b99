"""Web reports sent at the same moment from several browsers: every one stored once, each with its audit
entries, in one unbroken audit chain (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.queries import verify_chain
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.intake.conftest import post_report
from tests.threads import run_together

BROWSERS = 6
REPORTS = 2


def _browser(app: Flask, start: threading.Barrier, statuses: list[int], failures: list[BaseException]) -> None:
    try:
        with app.app_context():
            client = app.test_client()
            tokens = [csrf_token(client, "/report") for _ in range(REPORTS)]
            start.wait()
            for token in tokens:
                statuses.append(post_report(client, token=token).status_code)
    except BaseException as exc:  # shown by the test's assertion
        failures.append(exc)


def test_concurrent_reports_are_all_stored_in_one_unbroken_chain(app: Flask):
    cases_before = db.session.scalar(select(func.count(Case.id)))
    start = threading.Barrier(BROWSERS, timeout=30)
    statuses: list[int] = []
    failures: list[BaseException] = []
    run_together(_browser, [(app, start, statuses, failures)] * BROWSERS, timeout=120)
    assert failures == [] and statuses == [303] * (BROWSERS * REPORTS)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Case.id))) == cases_before + BROWSERS * REPORTS
    submitted = db.session.scalar(select(func.count()).where(AuditEntry.action == "case.submit"))
    assert submitted == BROWSERS * REPORTS
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    checked, broken = verify_chain()
    assert broken is None and checked == total
