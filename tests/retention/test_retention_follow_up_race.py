"""The complainant sends a follow-up from the case page while the retention run erases the case: the page was read
before the erasure, the message is written after it. Nothing the complainant sent may outlive the erasure (kept for
ever, as no run erases a case twice); they are told the case's content was erased and what they wrote was not kept."""
from __future__ import annotations

from sqlalchemy import func, select

from civicwatch.cases.models import Attachment, Case, CaseMessage, MessageKind
from civicwatch.extensions import db
from tests.factories import png_bytes, post_multipart
from tests.intake.conftest import case_page_token, open_case
from tests.retention.conftest import due_for_erasure, erased_meanwhile, with_receipt_code

FOLLOW_UP = "Zebulon again: the sergeant came to my house last night, my new number is 076 999 111"


def test_a_follow_up_sent_while_the_case_is_erased_is_not_kept(app, client, clock, staff):
    case = due_for_erasure(staff, clock)
    code = with_receipt_code(case)
    case_id = case.id
    assert open_case(client, code).status_code == 303
    token = case_page_token(client)
    with erased_meanwhile(app):
        response = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": FOLLOW_UP},
                                  [(png_bytes(), "bruises.png")])

    db.session.expire_all()
    assert db.session.get_one(Case, case_id).erased
    assert db.session.scalar(select(func.count()).select_from(CaseMessage).where(
        CaseMessage.case_id == case_id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.case_id == case_id)) == 0
    assert response.status_code == 409
    assert "were erased at the end of the time we keep them" in response.get_data(as_text=True)
