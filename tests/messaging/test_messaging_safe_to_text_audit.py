"""A complainant's change of answer to "safe to text" on the follow-up page is audited in the same transaction, as
every change is: the answer, never the number."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.intake.conftest import case_page_token, open_case
from tests.messaging.test_messaging_safe_to_text import E164, report


def test_a_change_of_answer_on_the_follow_up_page_is_audited_without_the_number(client):
    reported = report(client, "yes")
    open_case(client, reported.code)
    response = client.post("/track/case/texts", data={"csrf_token": case_page_token(client), "texts_allowed": "no",
                                                      "case_reference": reported.reference})
    assert response.status_code == 303
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.texts_allowed")).all()
    assert entry.object_id == str(reported.case.id) and entry.user_id is None
    assert entry.before == {"texts_allowed": True} and entry.after == {"texts_allowed": False}
    assert E164[1:] not in str(entry.before) + str(entry.after)
