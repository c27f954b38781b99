"""Words a complainant sends once their case has ended (closed, rejected, referred or withdrawn): on the follow-up
page, with a "No" to a check-in after closure, or texted to a check-in after closure. Nobody works on an ended case,
so they would wait unseen: the body's staff find the case in the "New words on closed cases" queue and the
dashboard's count until one of the body's investigators marks the words read (audited, never the words). Another
body's investigators see neither the count nor the case, and cannot mark it; words that arrive after the page was
read stay unread."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseMessage, CaseStatus
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.extensions import db
from tests.cases.conftest import post_case_form
from tests.cases.test_case_dashboard import figures
from tests.factories import create_case, staff_client
from tests.intake.conftest import case_page_token, open_case, report_and_read_receipt
from tests.intake.test_intake_retaliation_watch import close_and_wait
from tests.sms.conftest import PHONE, app_config, send_text, text  # noqa: F401 (fixtures)
from tests.sms.test_sms_retaliation import checked_in  # noqa: F401 (a fixture)

LABEL = "closed cases with new words from the complainant"
QUEUE = "/staff/cases?queue=closed_words"
WORDS = "I moved to Bo last week. The officer still drives past my shop every day."


def closed_case(status: CaseStatus = CaseStatus.CLOSED, body: str = "police_oversight") -> tuple[Case, str]:
    code = new_receipt_code()
    return create_case(status, body=body, receipt_hash=receipt_hash(code)), code


def follow_up(client, code: str, words: str = WORDS):
    assert open_case(client, code).status_code == 303
    return client.post("/track/case/reply", data={"csrf_token": case_page_token(client), "text": words})


def mark_read(client, case_id: int, through: int | None = None):
    if through is None:
        through = db.session.scalar(select(CaseMessage.id).where(CaseMessage.case_id == case_id)
                                    .order_by(CaseMessage.id.desc()).limit(1))
    return post_case_form(client, case_id, "closure-words-read", "closure_words_read", through=str(through))


@pytest.mark.parametrize("status", [CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED,
                                    CaseStatus.WITHDRAWN])
def test_words_on_an_ended_case_wait_for_the_body_and_no_other(client, app, make_user, status):
    case, code = closed_case(status)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    other = staff_client(app, make_user(Role.INVESTIGATOR, body="justice_inspectorate"))
    admin = staff_client(app, make_user(Role.ADMIN))
    assert figures(own)[LABEL] == "0"

    assert follow_up(client, code).status_code == 303
    assert figures(own)[LABEL] == "1" and figures(own)["tab closed_words"] == "1"
    assert figures(admin)[LABEL] == "1"
    listed = own.get(QUEUE).get_data(as_text=True)
    assert case.reference in listed and f'href="/staff/cases/{case.id}"' in listed

    assert figures(other)[LABEL] == "0" and figures(other)["tab closed_words"] == "0"
    assert case.reference not in other.get(QUEUE).get_data(as_text=True)
    assert other.get(f"/staff/cases/{case.id}").status_code == 404
    assert mark_read(other, case.id).status_code == 404
    assert figures(own)[LABEL] == "1"

    page = own.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert 'id="closure-words"' in page and "Mark as read" in page and "New, not read yet" in page


def test_marking_read_clears_it_is_audited_without_the_words_and_new_words_bring_it_back(client, app, make_user):
    case, code = closed_case()
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    follow_up(client, code)

    response = mark_read(own, case.id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert figures(own)[LABEL] == "0"
    assert case.reference not in own.get(QUEUE).get_data(as_text=True)
    page = own.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "Mark as read" not in page and "New, not read yet" not in page
    assert "marked read" in page  # the timeline says who and when
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.closure_words_read"))
    assert entry is not None and entry.after == {"messages": 1}
    assert WORDS not in str(entry.after) and WORDS not in str(entry.before)
    assert mark_read(own, case.id).status_code == 409  # nothing left to mark

    follow_up(client, code, "Please call me, I have a new number.")
    assert figures(own)[LABEL] == "1"


def test_words_that_come_after_the_page_was_read_stay_unread(client, app, make_user):
    case, code = closed_case()
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    follow_up(client, code)
    shown = db.session.scalar(select(CaseMessage.id).where(CaseMessage.case_id == case.id))
    follow_up(client, code, "One more thing: he has a new car.")  # arrives while the page is open

    assert mark_read(own, case.id, through=shown).status_code == 302
    assert figures(own)[LABEL] == "1"
    assert "New, not read yet" in own.get(f"/staff/cases/{case.id}").get_data(as_text=True)


def test_only_the_body_marks_its_words_read(client, app, make_user):
    case, code = closed_case()
    follow_up(client, code)
    for role in (Role.ADMIN, Role.TRIAGE):
        browser = staff_client(app, make_user(role))
        assert case.reference in browser.get(QUEUE).get_data(as_text=True)
        page = browser.get(f"/staff/cases/{case.id}").get_data(as_text=True)
        assert "Mark as read" not in page and "for an investigator of" in page
        assert mark_read(browser, case.id).status_code == 403
    auditor = staff_client(app, make_user(Role.AUDITOR))
    assert mark_read(auditor, case.id).status_code == 403
    assert figures(staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight")))[LABEL] == "1"


def test_a_case_no_body_holds_is_marked_read_by_triage(client, app, make_user):
    case, code = closed_case(CaseStatus.REJECTED, body=None)
    follow_up(client, code)
    triage = staff_client(app, make_user(Role.TRIAGE))
    assert figures(triage)[LABEL] == "1"
    assert mark_read(triage, case.id).status_code == 302
    assert figures(triage)[LABEL] == "0"


def test_words_on_a_case_still_worked_on_are_not_in_the_queue(client, app, make_user):
    case, code = closed_case(CaseStatus.INVESTIGATING)
    follow_up(client, code)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert figures(own)[LABEL] == "0"
    assert case.reference not in own.get(QUEUE).get_data(as_text=True)


def test_a_no_with_words_to_a_check_in_after_closure_reaches_the_queue(client, app, clock, make_user):
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    open_case(client, reported.code)
    response = client.post("/track/case/check-in", data={"csrf_token": case_page_token(client), "happened": "no",
                                                         "details": "All is quiet, but I moved house."})
    assert response.status_code == 303
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert figures(own)[LABEL] == "1"
    assert reported.reference in own.get(QUEUE).get_data(as_text=True)


def test_words_texted_to_a_check_in_after_closure_reach_the_queue(text, app, checked_in, make_user):
    text("Please call me")
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert figures(own)[LABEL] == "1"
    assert checked_in.reference in own.get(QUEUE).get_data(as_text=True)
    other = staff_client(app, make_user(Role.INVESTIGATOR, body="justice_inspectorate"))
    assert figures(other)[LABEL] == "0"


def test_the_count_and_the_queue_are_in_french(client, app, make_user):
    case, code = closed_case()
    follow_up(client, code)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    own.get("/language/fr")
    assert "dossiers clôturés avec de nouveaux mots du plaignant" in own.get("/staff/").get_data(as_text=True)
    assert "Nouveaux mots sur des dossiers clôturés" in own.get(QUEUE).get_data(as_text=True)


@pytest.mark.parametrize("through", ["abc", "0", "-3", "99999999999999999999", ""])
def test_a_bad_mark_is_refused_with_400_and_marks_nothing(client, app, make_user, through):
    case, code = closed_case()
    follow_up(client, code)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(own, case.id, "closure-words-read", "closure_words_read", through=through)
    assert response.status_code == 400
    assert figures(own)[LABEL] == "1"
