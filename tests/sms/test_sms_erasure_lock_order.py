"""The SMS worker answers a text of a case's number (it holds the number's conversation, then locks the case) while
the retention run erases that case (it locks the case, then deletes the number's conversation). Both must take the
two locks in one order: otherwise each waits for the other, and PostgreSQL breaks the deadlock by failing one of
them. The text is answered before the erasure or refused after it; nothing of it outlives the erasure."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, func, select

from civicwatch.cases.models import Case, CaseMessage
from civicwatch.extensions import db
from civicwatch.retention.erasure import RetentionRun, apply_retention
from civicwatch.sms.inbox import InboxReport, process_inbox
from civicwatch.sms.models import InboundSms, SmsConversation
from tests.conftest import on_postgres
from tests.intake.conftest import publish_answer
from tests.sms.conftest import acknowledged
from tests.sms.test_sms_conversation import REPORT, cases, opened
from tests.sms.test_sms_erasure import close_until_due


def _locks_the_case(sql: str) -> bool:
    words = " ".join(sql.upper().split())
    return words.startswith("SELECT CASES.") and words.endswith("FOR NO KEY UPDATE")  # lock_case's statement


def _touches_the_conversation(sql: str) -> bool:
    words = " ".join(sql.upper().split())
    return "SMS_CONVERSATIONS" in words and (words.startswith("DELETE") or "FOR UPDATE" in words)


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and their deadlocks are PostgreSQL's")
def test_a_text_answered_while_its_case_is_erased_does_not_deadlock(app, text, send_text, clock, make_user):
    opened(text(REPORT))
    (case,) = cases()
    publish_answer(case, make_user)
    close_until_due(clock, case)
    case_id = case.id
    acknowledged(send_text("4"))  # a rating of the answer, waiting in the inbox
    runs: list[RetentionRun] = []
    reports: list[InboxReport] = []
    errors: list[str] = []
    erasure_waits = threading.Event()

    def erase() -> None:
        threading.current_thread().name = "erasure"
        with app.app_context():
            runs.append(apply_retention(None))

    def before(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        name = threading.current_thread().name
        if name == "erasure" and _touches_the_conversation(sql):
            erasure_waits.set()
        elif name == "worker" and _locks_the_case(sql) and not erasure_waits.is_set():
            # The worker holds the conversation: the erasure starts now, and the worker goes on once the erasure
            # has reached the conversation (and waits for it, or holds the case and then waits for it).
            threading.Thread(target=erase).start()
            erasure_waits.wait(10)
            time.sleep(0.5)

    def failed(context: Any) -> None:
        errors.append(str(context.original_exception))

    def work() -> None:
        threading.current_thread().name = "worker"
        with app.app_context():
            reports.append(process_inbox())

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "handle_error", failed)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        worker.join(60)
        for _ in range(120):
            if runs:
                break
            time.sleep(0.5)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "handle_error", failed)

    assert erasure_waits.is_set(), "the erasure did not run while the worker held the conversation"
    assert not [error for error in errors if "deadlock" in error.lower()], errors
    assert [(run.erased, run.failed) for run in runs] == [(1, 0)]
    assert [(report.answered, report.failed) for report in reports] == [(1, 0)]
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    assert db.session.scalar(select(func.count()).select_from(InboundSms).where(InboundSms.case_id == case_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseMessage).where(CaseMessage.case_id == case_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(SmsConversation).where(
        SmsConversation.case_id == case_id)) == 0
