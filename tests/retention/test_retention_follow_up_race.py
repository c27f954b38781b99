"""The complainant sends a follow-up from the case page while the retention run erases the case: the page was read
before the erasure, the message is written after it. Nothing the complainant sent may outlive the erasure (kept for
ever, as no run erases a case twice); they are told the case's content was erased and what they wrote was not kept."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from civicwatch.cases.models import Attachment, Case, CaseMessage, CaseStatus, MessageKind
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.extensions import db
from civicwatch.retention.erasure import RetentionRun, apply_retention
from tests.factories import png_bytes, post_multipart
from tests.intake.conftest import case_page_token, open_case
from tests.retention.conftest import personal_case, schedule
from tests.threads import before_the_first_write_of_this_thread

FOLLOW_UP = "Zebulon again: the sergeant came to my house last night, my new number is 076 999 111"


def test_a_follow_up_sent_while_the_case_is_erased_is_not_kept(app, client, clock, staff):
    case = personal_case(staff)
    code = new_receipt_code()
    case.receipt_hash = receipt_hash(code)
    db.session.commit()
    case_id = case.id
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert open_case(client, code).status_code == 303
    token = case_page_token(client)
    runs: list[RetentionRun] = []


    def erase() -> None:
        runs.append(apply_retention(None))

    with before_the_first_write_of_this_thread(app, erase, db.engine) as started:
        response = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": FOLLOW_UP},
                                  [(png_bytes(), "bruises.png")])

    assert started and [run.erased for run in runs] == [1], "the erasure did not run between the read and the write"
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    assert db.session.scalar(select(func.count()).select_from(CaseMessage).where(
        CaseMessage.case_id == case_id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.case_id == case_id)) == 0
    assert response.status_code == 409
    assert "were erased at the end of the time we keep them" in response.get_data(as_text=True)
