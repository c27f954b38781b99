"""The database refuses a citizen's answer on the follow-up page: a retaliation check-in's account of what
happened, or an appeal's reason. As for a report or a follow-up message, the 503 page gives back what they wrote,
in their language, ready to send again, and sending it again stores it once; a bare error page made them write
it all again from memory (someone threatened for reporting, in a hurry)."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.extensions import db
from tests.intake.conftest import case_page_token, open_case, publish_answer, report_and_read_receipt
from tests.intake.test_intake_outages import HIDDEN_RE, inserts_fail
from tests.intake.test_intake_rating_appeal import REASON
from tests.intake.test_intake_retaliation_watch import close_and_wait

DETAILS = ("Two officers came to my house at night and told me to withdraw the complaint, or my son would be "
           "arrested. They said they know where I work.")
KEPT = {"en": "Nothing is lost: what you wrote is below", "kri": "Natin nor lus: wetin yu rayt de dong ya"}


def resent(html: str, name: str) -> dict[str, str]:
    """What the page's form sends back, as a browser would."""
    fields = {key: unescape(value) for key, value in HIDDEN_RE.findall(html)}
    fields[name] = unescape(re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
                            .group(1))
    return fields


@pytest.mark.parametrize("language", ["en", "kri"])
def test_a_check_in_answer_the_database_refused_comes_back_with_what_was_written(app, client, clock, language):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    client.get(f"/language/{language}")
    open_case(client, reported.code)
    answer = {"csrf_token": case_page_token(client), "happened": "yes", "details": DETAILS,
              "case_reference": reported.reference}
    with inserts_fail(app, "audit_entries") as failed:
        refused = client.post("/track/case/check-in", data=answer)
    assert failed and refused.status_code == 503 and refused.headers["Retry-After"]
    html = refused.get_data(as_text=True)
    assert KEPT[language] in html and 'action="/track/case/check-in"' in html
    fields = resent(html, "details")
    assert fields["details"] == DETAILS and fields["happened"] == "yes"
    assert fields["case_reference"] == reported.reference

    again = client.post("/track/case/check-in", data=fields)  # the database is back: "Send again"
    assert again.status_code == 303
    assert client.post("/track/case/check-in", data=fields).status_code == 303  # and again: taken once
    db.session.rollback()
    check_in = db.session.scalar(select(RetaliationCheckIn))
    assert check_in.reported_case_id is not None
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_an_appeal_the_database_refused_comes_back_with_its_reason(app, client, make_user):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    reported = report_and_read_receipt(client)
    publish_answer(reported.case, make_user)
    case_id = reported.case.id
    open_case(client, reported.code)
    appeal = {"csrf_token": case_page_token(client), "reason": REASON, "body": "",
              "case_reference": reported.reference}
    with inserts_fail(app, "audit_entries") as failed:
        refused = client.post("/track/case/appeal", data=appeal)
    assert failed and refused.status_code == 503 and refused.headers["Retry-After"]
    html = refused.get_data(as_text=True)
    assert KEPT["en"] in html and 'action="/track/case/appeal"' in html
    fields = resent(html, "reason")
    assert fields["reason"] == REASON and fields["case_reference"] == reported.reference

    assert client.post("/track/case/appeal", data=fields).status_code == 303
    db.session.rollback()
    assert db.session.get(Case, case_id).status is CaseStatus.REOPENED
