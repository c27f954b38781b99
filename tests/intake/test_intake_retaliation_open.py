"""A check-in asked while the case is open, answered on the follow-up page by a complainant who reported on the web:
"Yes" marks that case urgent for the body investigating it, with their words as their message, and opens no new
case; the body's staff read it on the case page, staff of another body cannot, and the audit log keeps no words."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseMessage, CaseStatus, MessageKind, RetaliationCheckIn
from civicwatch.cases.workflow import transition_case
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.taxonomy.models import Body
from tests.factories import staff_client
from tests.intake.conftest import Reported, case_page_token, open_case, report_and_read_receipt

QUESTION = "Has anything happened to you because you reported?"
WORDS = "Two officers from the station came to my house and told me to withdraw the complaint."


def investigated_and_asked(client, clock, make_user) -> Reported:
    """A web report by someone who fears retaliation, acknowledged and investigated by its body's investigator, then
    14 days on the deliver worker's check-in job asks on the follow-up page (no phone: no text)."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    case = reported.case
    case.body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    db.session.commit()
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    for target in (CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING):
        transition_case(case, target, investigator)
        db.session.commit()
    clock.advance(days=14)
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    assert open_case(client, reported.code).status_code == 303
    return reported


def answer(client, happened: str, details: str = ""):
    return client.post("/track/case/check-in", data={"csrf_token": case_page_token(client), "happened": happened,
                                                     "details": details})


def complainant_messages(case_id: int) -> list[str]:
    return list(db.session.scalars(select(CaseMessage.body).where(
        CaseMessage.case_id == case_id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT)))


def test_a_yes_marks_the_open_case_urgent_for_its_body_and_opens_no_new_case(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    assert QUESTION in client.get("/track/case").get_data(as_text=True)
    response = answer(client, "yes", WORDS)
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Your case is now marked urgent, and the oversight body handling it can read your answer." in page
    assert QUESTION not in page
    case = db.session.get(Case, reported.case.id, populate_existing=True)
    assert case.urgent is True and case.status is CaseStatus.INVESTIGATING
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert complainant_messages(case.id) == [WORDS]
    check_in = db.session.scalar(select(RetaliationCheckIn))
    assert check_in.retaliation_reported is True and check_in.reported_case_id is None


def test_only_the_staff_of_the_body_investigating_read_it_and_the_audit_log_keeps_no_words(client, app, clock,
                                                                                          make_user):
    reported = investigated_and_asked(client, clock, make_user)
    answer(client, "yes", WORDS)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    page = own.get(f"/staff/cases/{reported.case.id}").get_data(as_text=True)
    assert 'id="retaliation-reported"' in page and "Retaliation reported" in page and WORDS in page
    other = staff_client(app, make_user(Role.INVESTIGATOR, body="justice_inspectorate"))
    refused = other.get(f"/staff/cases/{reported.case.id}")
    assert refused.status_code == 404 and "Retaliation reported" not in refused.get_data(as_text=True)
    entries = db.session.execute(select(AuditEntry.action, AuditEntry.before, AuditEntry.after)).all()
    assert {"case.retaliation_answer", "case.urgent_by_sender", "case.complainant_message"} <= {
        action for action, _, _ in entries}
    answered = next(after for action, _, after in entries if action == "case.retaliation_answer")
    assert answered == {"open_round": 1, "retaliation_reported": True, "reported_case": None, "channel": "web"}
    assert not any("officers" in json.dumps([before, after]) for _, before, after in entries)


def test_the_case_page_tells_it_in_french(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    answer(client, "yes")
    staff = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    staff.get("/language/fr")
    page = staff.get(f"/staff/cases/{reported.case.id}").get_data(as_text=True)
    assert "Représailles signalées" in page and "Retaliation reported" not in page


def test_the_same_answer_sent_again_is_thanked_again_and_adds_nothing(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    assert answer(client, "yes", WORDS).status_code == 303  # its reply lost on the way
    clock.advance(minutes=2)
    again = answer(client, "yes", WORDS)
    assert again.status_code == 303
    assert "Your case is now marked urgent" in client.get(again.location).get_data(as_text=True)
    assert complainant_messages(reported.case.id) == [WORDS]
    assert answer(client, "no").status_code == 409  # another answer is refused: the first stands
    assert db.session.scalar(select(RetaliationCheckIn.retaliation_reported)) is True


def test_a_no_leaves_the_case_as_it_was(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    response = answer(client, "no")
    assert response.status_code == 303
    assert "Thank you for your answer." in client.get(response.location).get_data(as_text=True)
    case = db.session.get(Case, reported.case.id, populate_existing=True)
    assert case.urgent is False and complainant_messages(case.id) == []
    assert db.session.scalar(select(RetaliationCheckIn.retaliation_reported)) is False


def test_the_question_and_the_thanks_in_krio_and_french(client, app, clock, make_user):
    investigated_and_asked(client, clock, make_user)
    client.get("/language/kri")
    page = client.get("/track/case").get_data(as_text=True)
    assert "Sontin don apin to yu bikos yu ripot?" in page
    client.get("/language/fr")
    response = answer(client, "yes")
    assert "Votre dossier est maintenant marqué urgent" in client.get(response.location).get_data(as_text=True)
