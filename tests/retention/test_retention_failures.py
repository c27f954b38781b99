"""An erasure is all or nothing per case, with real failures: the database refusing the case's transaction at
its last write leaves every part of the case as it was (files included), and a process killed between the commit
and the files' removal leaves files the next run finds and removes. The `deliver` worker runs the erasure when
the configuration enables it."""
from __future__ import annotations

import datetime as dt
import os
import pathlib
from pathlib import Path

import pytest
from sqlalchemy import text

from civicwatch.cases.models import Attachment, Case, CaseMessage, CaseStatus, ComplainantIdentity
from civicwatch.extensions import db
from civicwatch.retention.erasure import ERASED, apply_retention
from civicwatch.retention.models import CaseErasure, PendingFileRemoval
from civicwatch.sms.models import InboundSms
from tests.conftest import on_postgres
from tests.retention.conftest import NOTE, personal_case, run_cli, schedule

DUE_DAY = dt.datetime(2026, 9, 12, 12, 0, tzinfo=dt.UTC)


def stored_file(app, case: Case) -> Path:
    name = case.attachments[0].stored_name
    return Path(app.config["UPLOAD_DIR"]) / name[:2] / name


def sealed_file(app, case: Case) -> Path:
    """The original the complainant kept as evidence, encrypted."""
    name = case.attachments[0].original_stored_name
    return Path(app.config["UPLOAD_DIR"]) / name[:2] / name


def refuse_erasure_of(case_id: int) -> None:
    """A trigger that makes the database refuse the erasure record of one case: the last write of its
    transaction, after every delete and update."""
    if on_postgres():
        db.session.execute(text(
            "CREATE FUNCTION refuse_erasure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.case_id = {case_id} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$"))
        db.session.execute(text("CREATE TRIGGER refuse_erasure BEFORE INSERT ON case_erasures FOR EACH ROW "
                                "EXECUTE FUNCTION refuse_erasure()"))
    else:
        db.session.execute(text(f"CREATE TRIGGER refuse_erasure BEFORE INSERT ON case_erasures WHEN "
                                f"NEW.case_id = {case_id} BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    db.session.commit()


def allow_erasures() -> None:
    db.session.execute(text("DROP TRIGGER refuse_erasure ON case_erasures" if on_postgres()
                            else "DROP TRIGGER refuse_erasure"))
    db.session.commit()


def test_a_refused_transaction_leaves_the_whole_case_and_its_files_and_the_next_run_erases_it(app, clock, staff):
    refused, other = personal_case(staff), personal_case(staff, body="human_rights_commission", phone="+23276555124")
    refused_file, other_file = stored_file(app, refused), stored_file(app, other)
    refused_id, other_id = refused.id, other.id
    schedule(CaseStatus.CLOSED, 6)
    clock.now = DUE_DAY
    refuse_erasure_of(refused_id)

    run = apply_retention(None)

    assert (run.erased, run.failed) == (1, 1)
    db.session.expire_all()
    kept = db.session.get(Case, refused_id)
    assert kept.text != ERASED and kept.identity is not None and kept.contact_phone_hash is not None
    assert [m.body for m in kept.messages if m.body == NOTE] == [NOTE]
    assert len(kept.attachments) == 1 and refused_file.is_file()
    assert db.session.query(InboundSms).filter_by(case_id=refused_id).count() == 1
    assert db.session.query(PendingFileRemoval).count() == 0
    assert db.session.get(Case, other_id).text == ERASED and not other_file.exists()

    allow_erasures()
    run = apply_retention(None)
    assert (run.erased, run.failed, run.files_removed) == (1, 0, 2)
    assert not refused_file.exists()
    assert db.session.query(CaseMessage).count() == 0 and db.session.query(ComplainantIdentity).count() == 0


def test_a_process_killed_after_the_commit_leaves_files_the_next_run_removes(app, clock, staff):
    case = personal_case(staff)
    case_id, file, sealed = case.id, stored_file(app, case), sealed_file(app, case)
    schedule(CaseStatus.CLOSED, 6)
    clock.now = DUE_DAY
    db.session.close()

    pid = os.fork()
    if pid == 0:  # the child: erases, and dies the instant it first removes a file, after the case's commit
        try:
            db.engine.dispose(close=False)
            pathlib.Path.unlink = lambda self, missing_ok=False: os._exit(17)  # type: ignore[method-assign]
            apply_retention(None)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 17

    db.session.expire_all()
    assert db.session.get(Case, case_id).text == ERASED  # committed
    assert db.session.query(Attachment).count() == 0
    assert file.is_file() and sealed.is_file()  # left on the disk by the crash...
    assert {p.stored_name for p in db.session.query(PendingFileRemoval)} == {file.name, sealed.name}  # ...and known

    code, output = run_cli(app, "retention", "apply")  # nothing more is due; the file left is removed
    assert code == 0, output
    assert "0 cases erased" in output and "2 files removed" in output
    assert not file.exists() and not sealed.exists() and db.session.query(PendingFileRemoval).count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_the_delivery_worker_erases_when_enabled(app, clock, staff, enabled):
    app.config["RETENTION_APPLY_IN_WORKER"] = enabled
    case = personal_case(staff)
    case_id = case.id
    schedule(CaseStatus.CLOSED, 6)
    clock.now = DUE_DAY
    code, output = run_cli(app, "deliver", "--once")
    assert code == 0, output
    assert (db.session.get(Case, case_id).text == ERASED) is enabled
    assert db.session.query(CaseErasure).count() == int(enabled)
