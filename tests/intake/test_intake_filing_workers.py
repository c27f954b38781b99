"""WEB_REPORTS_QUEUED "auto", the default: a web report without files is queued while a long-running `deliver`
worker runs (the worker says so every few seconds) and filed by its own request otherwise; the real command says it
runs, files what was queued, and takes its word back when it stops."""
from __future__ import annotations

import os
import signal
import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from civicwatch import create_app
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.intake.filing_workers import (
    PRESENCE_READ_EVERY,
    WORKER_GONE_AFTER,
    note_worker_present,
    reports_queued_now,
)
from civicwatch.intake.models import FilingWorker, QueuedReport
from civicwatch.settings import SettingsError
from tests.conftest import make_config
from tests.factories import png_bytes, post_multipart
from tests.intake.conftest import valid_report
from tests.intake.test_intake_idempotency import open_form, send
from tests.sms.test_sms_set_aside_expiry import deliver_once_ok

WORKER = "reports-host:4242"


def counts() -> tuple[int, int]:
    """(cases, reports waiting in the queue)"""
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(Case)),
            db.session.scalar(select(func.count()).select_from(QueuedReport).where(QueuedReport.filed_at.is_(None))))


def report(client) -> None:
    assert send(client, open_form(client)).status_code == 303


def test_the_default_is_auto(app: Flask):
    assert app.config["WEB_REPORTS_QUEUED"] == "auto"


def test_with_no_worker_the_request_files_the_report_itself(client):
    report(client)
    assert counts() == (1, 0)


def test_while_a_worker_says_it_runs_reports_are_queued_for_it(client, clock):
    note_worker_present(WORKER)
    report(client)
    assert counts() == (0, 1)
    deliver_once_ok()
    assert counts() == (1, 0)


def test_a_worker_not_heard_from_for_half_a_minute_counts_as_gone(client, clock):
    note_worker_present(WORKER)
    clock.advance(seconds=WORKER_GONE_AFTER.total_seconds() - 1)
    report(client)
    assert counts() == (0, 1)
    clock.advance(seconds=PRESENCE_READ_EVERY.total_seconds())  # past its last word, and what the app read of it
    report(client)
    assert counts() == (1, 1)


def test_a_web_process_reads_the_workers_again_only_every_few_seconds(app, client, clock):
    report(client)  # no worker: read, and kept
    note_worker_present(WORKER)
    report(client)
    assert counts() == (2, 0)
    clock.advance(seconds=PRESENCE_READ_EVERY.total_seconds())
    report(client)
    assert counts() == (2, 1)


def test_on_and_off_do_not_look_at_the_workers(app, client, clock):
    note_worker_present(WORKER)
    app.config["WEB_REPORTS_QUEUED"] = False
    report(client)
    assert counts() == (1, 0)
    db.session.execute(FilingWorker.__table__.delete())
    db.session.commit()
    app.config["WEB_REPORTS_QUEUED"] = True
    report(client)
    assert counts() == (1, 1)


def test_a_report_with_files_is_filed_at_once_while_a_worker_runs(client, clock):
    note_worker_present(WORKER)
    response = post_multipart(client, "/report", {**valid_report(), **open_form(client)}, [(png_bytes(), "photo.png")])
    assert response.status_code == 303
    assert counts() == (1, 0)


def test_a_run_with_once_does_not_say_a_worker_runs(app, clock):
    deliver_once_ok()
    assert db.session.scalar(select(func.count()).select_from(FilingWorker)) == 0
    assert not reports_queued_now()


def test_rows_of_workers_killed_long_ago_are_deleted_by_the_next_that_says_it_runs(app, clock):
    note_worker_present("killed-host:1")
    clock.advance(days=2)
    note_worker_present(WORKER)
    assert list(db.session.scalars(select(FilingWorker.name))) == [WORKER]


def test_an_unreadable_presence_files_the_report_at_once(app, client, clock):
    """With the table gone (a schema out of step), the request files the report itself rather than failing."""
    db.session.execute(db.text("ALTER TABLE filing_workers RENAME TO filing_workers_gone"))
    db.session.commit()
    try:
        report(client)
        assert counts() == (1, 0)
    finally:
        db.session.rollback()
        db.session.execute(db.text("ALTER TABLE filing_workers_gone RENAME TO filing_workers"))
        db.session.commit()


def test_a_setting_that_is_neither_switch_nor_auto_stops_the_start(database_url, tmp_path):
    with pytest.raises(SettingsError, match="WEB_REPORTS_QUEUED"):
        create_app(make_config(database_url, tmp_path, WEB_REPORTS_QUEUED="sometimes"))


def test_the_real_worker_says_it_runs_files_what_was_queued_and_takes_its_word_back(app: Flask, client, clock):
    """The long-running command, in this process: a report sent while it runs is queued and filed by it; once it
    has stopped (SIGTERM), the next report is filed by its request."""
    seen: dict[str, object] = {}

    def while_the_worker_runs() -> None:
        try:
            with app.app_context():
                seen["present"] = _wait_for(lambda: db.session.scalar(select(func.count()).select_from(FilingWorker)))
                report(client)
                seen["filed"] = _wait_for(lambda: counts() == (1, 0))
                # Through the queue: its row stays a while, emptied, once filed.
                seen["tombstones"] = db.session.scalar(
                    select(func.count()).select_from(QueuedReport).where(QueuedReport.filed_at.is_not(None)))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=while_the_worker_runs)
    helper.start()
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", "0.1"])
    helper.join(timeout=60)
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert seen.get("present") and seen.get("filed") and seen.get("tombstones") == 1, seen
    assert db.session.scalar(select(func.count()).select_from(FilingWorker)) == 0
    clock.advance(seconds=PRESENCE_READ_EVERY.total_seconds())  # what the app read while the worker ran has aged
    report(client)
    assert counts() == (2, 0)


def _wait_for(condition, seconds: float = 20.0) -> object:
    pause = threading.Event()
    for _ in range(int(seconds / 0.05)):
        value = condition()
        if value:
            return value
        pause.wait(0.05)
    return None

