"""The complainant rates the answer from the follow-up page while the retention run erases the case: the page was
read before the erasure, the rating is written after it. The rating is not saved, and the page says the case's
content was erased (as for a follow-up), not that the oversight body changed the case."""
from __future__ import annotations

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.intake.conftest import case_page_token, open_case
from tests.retention.conftest import due_for_erasure, erased_meanwhile, with_receipt_code


def test_a_rating_sent_while_the_case_is_erased_is_told_the_case_was_erased(app, client, clock, staff):
    case = due_for_erasure(staff, clock)
    code = with_receipt_code(case)
    case_id = case.id
    assert open_case(client, code).status_code == 303
    token = case_page_token(client)
    with erased_meanwhile(app):
        response = client.post("/track/case/rate", data={"csrf_token": token, "rating": "1",
                                                          "submit_rating": "Save my rating"})

    db.session.expire_all()
    assert db.session.get_one(Case, case_id).satisfaction is None
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "were erased at the end of the time we keep them" in page
    assert "The oversight body changed your case" not in page
