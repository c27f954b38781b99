"""The complainant rates the answer from the follow-up page while the retention run erases the case: the page was
read before the erasure, the rating is written after it. The rating is not saved, and the page says the case's
content was erased (as for a follow-up), not that the oversight body changed the case."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.extensions import db
from civicwatch.retention.erasure import RetentionRun, apply_retention
from tests.intake.conftest import case_page_token, open_case
from tests.retention.conftest import personal_case, schedule
from tests.threads import before_the_first_write_of_this_thread


def test_a_rating_sent_while_the_case_is_erased_is_told_the_case_was_erased(app, client, clock, staff):
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
        response = client.post("/track/case/rate", data={"csrf_token": token, "rating": "1",
                                                          "submit_rating": "Save my rating"})

    assert started and [run.erased for run in runs] == [1], "the erasure did not run between the read and the write"
    db.session.expire_all()
    assert db.session.get_one(Case, case_id).satisfaction is None
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "were erased at the end of the time we keep them" in page
    assert "The oversight body changed your case" not in page
