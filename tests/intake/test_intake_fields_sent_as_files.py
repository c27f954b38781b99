"""A text field of a public form sent as a file part of the multipart body (any client can send one): the form is
refused with 400, never a 500, and nothing is stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseMessage
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import post_multipart
from tests.intake.conftest import WHAT_HAPPENED, case_page_token, open_case, valid_report

# Not consent: a checkbox, for which any part sent under its name (a file too) is a tick.
TEXT_FIELDS = ["text", "incident_date", "area", "location_text", "reported_actor", "contact_choice", "phone", "email",
               "website"]


def cases() -> int:
    return db.session.scalar(select(func.count(Case.id)))


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_report_field_sent_as_a_file_is_refused_cleanly(app, client, field):
    fields = valid_report()
    fields.pop(field, None)
    fields["csrf_token"] = csrf_token(client, "/report")
    response = post_multipart(client, "/report", fields, files=[(WHAT_HAPPENED.encode(), "statement.txt")],
                              field_name=field)
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    assert cases() == 0


def test_a_reply_sent_as_a_file_is_refused_cleanly(app, client, reported):
    open_case(client, reported.code)
    before = db.session.scalar(select(func.count(CaseMessage.id)))
    response = post_multipart(client, "/track/case/reply", {"csrf_token": case_page_token(client)},
                              files=[(b"Please tell me what happened to my complaint.", "reply.txt")], field_name="text")
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    assert db.session.scalar(select(func.count(CaseMessage.id))) == before
