"""Queued web reports are filed several to a transaction, each in a savepoint of its own: one commit, one link
of the audit chain and one count of the dashboard's figures for them all. A report that fails is rolled back
alone; the others of its batch are filed."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select, text, update

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.queries import verify_chain
from civicwatch.cases.models import Case, CaseCount
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from civicwatch.intake import queue
from civicwatch.intake.models import QueuedReport
from tests.conftest import on_postgres
from tests.intake.conftest import WHAT_HAPPENED
from tests.intake.test_intake_idempotency import open_form, send
from tests.intake.test_intake_queued_reports import cases, queued
from tests.routing.conftest import FakeClassifier
from tests.sms.conftest import statements_during
from tests.sms.test_sms_inbox_batches import commits_during, waiting_for


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["WEB_REPORTS_QUEUED"] = True
    return app_config


@pytest.fixture
def unhurried(monkeypatch):
    """No batch ended by its time: what a batch holds does not depend on how fast the machine files."""
    monkeypatch.setattr(queue, "FILE_BATCH_SECONDS", 3600.0)


def queue_reports(client, count: int) -> list[str]:
    texts = [f"{WHAT_HAPPENED} Report number {number}." for number in range(count)]
    for words in texts:
        send(client, open_form(client), text=words)
    assert len(queued()) == count
    return texts


def counted() -> int:
    """The cases the dashboard's maintained counts hold."""
    db.session.rollback()
    return int(db.session.scalar(select(func.coalesce(func.sum(CaseCount.cases), 0))))


def submitted_cases() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "case.submit"))


def test_reports_waiting_together_are_filed_in_one_transaction(client, unhurried):
    texts = queue_reports(client, 5)
    commits, filed = commits_during(queue.file_queued_reports)
    assert filed.filed == 5 and filed.failed == 0
    assert commits == 1 + 1  # the reports said urgent found none (its read ended), then the five together
    assert [case.text for case in cases()] == texts and queued() == []
    assert submitted_cases() == 5 and verify_chain()[1] is None
    assert counted() == 5  # the dashboard's counts moved once for all five


def test_a_batch_is_no_larger_than_its_count(client, unhurried, monkeypatch):
    monkeypatch.setattr(queue, "FILE_BATCH", 2)
    queue_reports(client, 5)
    commits, filed = commits_during(queue.file_queued_reports)
    assert filed.filed == 5 and commits == 1 + 3  # 2, 2 and the last one
    assert len(cases()) == 5 and verify_chain()[1] is None


def test_a_batch_that_has_taken_its_time_is_committed(client, monkeypatch):
    """On SQLite a web report's INSERT waits for the worker's whole transaction: past its time, a batch ends."""
    monkeypatch.setattr(queue, "FILE_BATCH_SECONDS", 0.0)
    queue_reports(client, 3)
    commits, filed = commits_during(queue.file_queued_reports)
    assert filed.filed == 3 and commits == 1 + 3 + 1  # and the read that found no more
    assert len(cases()) == 3


def test_a_report_that_fails_half_filed_is_rolled_back_alone(client, unhurried, monkeypatch):
    """Its case, routing and audit entry were written in its savepoint, then it raised: they are gone, its try is
    counted, and the reports before and after it in the batch are filed, committed together."""
    texts = queue_reports(client, 3)
    real_file = queue.file_queued_complaint

    def fail_after_writing(submission, key_row, reading):
        case_id = real_file(submission, key_row, reading)
        if submission.text == texts[1]:
            db.session.flush()
            assert db.session.get(Case, case_id) is not None  # written, in the savepoint
            raise RuntimeError("the routing rules are being replaced")
        return case_id

    monkeypatch.setattr(queue, "file_queued_complaint", fail_after_writing)
    commits, filed = commits_during(queue.file_queued_reports)
    assert filed.filed == 2 and filed.failed == 1 and commits == 1 + 1
    assert [case.text for case in cases()] == [texts[0], texts[2]]
    [left] = queued()
    assert left.attempts == 1 and left.last_error == "RuntimeError"
    assert submitted_cases() == 2 and verify_chain()[1] is None
    assert counted() == 2

    monkeypatch.setattr(queue, "file_queued_complaint", real_file)
    assert queue.file_queued_reports().filed == 1
    assert sorted(case.text for case in cases()) == sorted(texts) and queued() == []
    assert verify_chain()[1] is None


def queue_reads_during(action) -> tuple[list[str], object]:
    """The statements that read the queue for reports to file (the worker's claims) while `action` runs."""
    statements, result = statements_during(action)
    return [sql for sql in statements if sql.upper().startswith("SELECT") and "web_report_queue" in sql], result


def test_a_batch_is_claimed_and_read_by_the_model_together(app, client, unhurried):
    """One claim for the five, and the model reads their texts in one call before any is filed; each case is
    routed by its own reading."""
    model = FakeClassifier(theme="corruption", confidence=0.95)
    use_classifier(app, model)
    texts = queue_reports(client, 5)
    claims, filed = queue_reads_during(queue.file_queued_reports)
    assert filed.filed == 5 and filed.failed == 0
    assert len(claims) == 1 + 1 + 1  # none said urgent; the five; none left
    assert model.batches == [5] and model.seen == texts
    assert [case.text for case in cases()] == texts
    assert {case.body.code for case in cases()} == {"anti_corruption_commission"}
    assert verify_chain()[1] is None


def test_reports_a_batch_leaves_to_the_next_are_claimed_again_not_read_again(app, client, monkeypatch):
    monkeypatch.setattr(queue, "FILE_BATCH_SECONDS", 0.0)  # each batch ends after its first report
    model = FakeClassifier(theme="corruption", confidence=0.95)
    use_classifier(app, model)
    texts = queue_reports(client, 3)
    commits, filed = commits_during(queue.file_queued_reports)
    assert filed.filed == 3 and commits == 1 + 3 + 1
    assert model.batches == [3] and model.seen == texts  # the three read once, together
    assert [case.text for case in cases()] == texts and queued() == []
    assert {case.body.code for case in cases()} == {"anti_corruption_commission"}


def test_a_report_whose_words_cannot_be_read_fails_alone_and_the_batch_is_read_without_it(app, client, unhurried):
    model = FakeClassifier(theme="corruption", confidence=0.95)
    use_classifier(app, model)
    texts = queue_reports(client, 3)
    damaged = queued()[1]
    db.session.execute(update(QueuedReport).where(QueuedReport.id == damaged.id)
                       .values(payload_encrypted=b"not what was sealed"))
    db.session.commit()
    filed = queue.file_queued_reports()
    assert filed.filed == 2 and filed.failed == 1
    assert model.batches == [2] and model.seen == [texts[0], texts[2]]
    assert [case.text for case in cases()] == [texts[0], texts[2]]
    [left] = queued()
    assert left.id == damaged.id and left.attempts == 1 and left.last_error == "DecryptionError"


def test_a_model_that_fails_on_the_batch_leaves_each_report_filed_for_triage(app, client, unhurried):
    use_classifier(app, FakeClassifier(error=RuntimeError("the model's files are damaged")))
    texts = queue_reports(client, 3)
    filed = queue.file_queued_reports()
    assert filed.filed == 3 and filed.failed == 0 and queued() == []
    assert [case.text for case in cases()] == texts
    assert [case.body_id for case in cases()] == [None, None, None]  # in the triage queue, with the reason
    assert verify_chain()[1] is None


CHAIN_LOCK = 727_011  # the audit chain's advisory lock (civicwatch.audit.operations), taken at commit after the counts


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and deadlock detection are PostgreSQL's")
def test_a_batch_that_loses_a_deadlock_is_filed_again_one_report_at_a_time(app, client, unhurried):
    """A real deadlock: at its commit the batch holds the second report's form key and waits for the audit chain's
    lock, which another transaction holds while it waits for that key. PostgreSQL fails the batch; its reports
    are filed again, one per transaction, each once. (The second report's key, not the first's: filed again alone,
    the first waits only for the chain's lock, which the other transaction gives up once its INSERT is done; the
    worker comes to the second after that, so the two cannot meet again.)"""
    send(client, open_form(client), text=WHAT_HAPPENED + " The first one, filed before.")
    assert queue.file_queued_reports().filed == 1  # its case's count is the row the holder locks below
    [earlier] = cases()
    texts = queue_reports(client, 2)
    second_key = queued()[1].key_hash
    errors: list[str | None] = []
    event.listen(db.engine, "handle_error",
                 lambda context: errors.append(getattr(context.original_exception, "sqlstate", None)))

    def work():
        with app.app_context():
            commits, report = commits_during(queue.file_queued_reports)
            db.session.remove()
            return report, commits

    with (db.engine.connect() as holder, db.engine.connect() as other,
          db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher,
          ThreadPoolExecutor(2) as pool):
        other.execute(text("SET LOCAL deadlock_timeout = '10s'"))  # so that the batch's check finds the deadlock
        other.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": CHAIN_LOCK})
        holder.execute(text("SELECT cases FROM case_counts FOR UPDATE"))  # keeps the batch from its commit
        worker = pool.submit(work)
        batch = waiting_for(watcher, holder.scalar(text("SELECT pg_backend_pid()")))
        key_taken = pool.submit(other.execute, text(
            "INSERT INTO submission_keys (key_hash, case_id, created_at, receipt_encrypted, receipt_until) "
            "VALUES (:key, :case_id, now(), '', now())"), {"key": second_key, "case_id": earlier.id})
        waiting_for(watcher, batch)  # the other transaction waits for the batch's second report
        holder.rollback()  # the batch goes on to the chain's lock: a deadlock
        key_taken.result(timeout=30)  # inserted once the batch was rolled back
        other.rollback()  # the chain's lock, which the first report filed again alone waits for, and the key
        report, commits = worker.result(timeout=30)
    assert errors == ["40P01"]  # deadlock_detected, raised in the batch
    assert report.filed == 2 and report.failed == 0
    assert commits == 1 + 2 + 1  # no urgent report; then one a report; then the read that found no more
    assert sorted(case.text for case in cases()[1:]) == sorted(texts) and queued() == []
    assert counted() == 3 and submitted_cases() == 3 and verify_chain()[1] is None
