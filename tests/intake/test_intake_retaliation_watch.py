"""The fear-of-retaliation question on the report form, and the check-in answered on the follow-up page: "Yes"
opens exactly one new case, linked to the closed one, sent to the same body, urgent."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, Channel, RetaliationCheckIn
from civicwatch.cases.retaliation import send_due_check_ins
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.intake.retaliation import answer_check_in
from civicwatch.taxonomy.models import Body
from tests.intake.conftest import RECEIPT_RE, case_page_token, open_case, report_and_read_receipt

QUESTION = "Has anything happened to you because you reported?"


def close_and_wait(case: Case, clock, days: int = 30) -> None:
    case.body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    case.status, case.closed_at = CaseStatus.CLOSED, clock.now
    db.session.commit()
    clock.advance(days=days)
    send_due_check_ins(utcnow())  # what the worker's job does at its turn
    db.session.commit()


def test_the_form_records_the_fear_only_when_the_answer_is_yes(client, app, clock):
    assert report_and_read_receipt(client, fears_retaliation="yes").case.fears_retaliation is True
    assert report_and_read_receipt(client, fears_retaliation="no").case.fears_retaliation is False
    assert report_and_read_receipt(client).case.fears_retaliation is False
    page = client.get("/report").get_data(as_text=True)
    assert "Are you afraid something could happen to you because you reported?" in page


def test_a_yes_opens_one_linked_urgent_case_for_the_same_body(client, app, clock):
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    original_id = reported.case.id
    close_and_wait(reported.case, clock)
    assert open_case(client, reported.code).status_code == 303
    assert QUESTION in client.get("/track/case").get_data(as_text=True)
    answer = {"csrf_token": case_page_token(client), "happened": "yes",
              "details": "Two officers came to my house and told me to withdraw the complaint."}
    assert client.post("/track/case/check-in", data=answer).status_code == 303
    check_in = db.session.scalar(select(RetaliationCheckIn))
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2  # the original and one linked case
    linked = db.session.get(Case, check_in.reported_case_id)
    original = db.session.get(Case, original_id)
    assert linked.body_id == original.body_id and linked.urgent is True
    assert "withdraw the complaint" in linked.text and original.reference in linked.text
    assert check_in.retaliation_reported is True and linked.id != original_id
    assert QUESTION not in client.get("/track/case").get_data(as_text=True)


def test_an_answer_sent_again_after_its_reply_was_lost_is_thanked_again_and_opens_nothing_more(client, app, clock):
    """On a bad connection the thanks may never arrive and the citizen sends the answer again: the first one was
    taken, so the second is thanked as it was, naming the report it opened, instead of a bare 409 page that says
    neither that the report reached us nor which it is. A different answer is still refused."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    open_case(client, reported.code)
    answer = {"csrf_token": case_page_token(client), "happened": "yes",
              "details": "Two officers came to my house and told me to withdraw the complaint."}
    assert client.post("/track/case/check-in", data=answer).status_code == 303  # its reply lost on the way
    clock.advance(minutes=2)
    again = client.post("/track/case/check-in", data=answer, follow_redirects=True)
    linked = db.session.get(Case, db.session.scalar(select(RetaliationCheckIn.reported_case_id)))
    assert again.status_code == 200 and f"We opened a new report, {linked.reference}" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    changed = client.post("/track/case/check-in", data={**answer, "happened": "no", "details": ""})
    assert changed.status_code == 409
    assert db.session.scalar(select(RetaliationCheckIn.retaliation_reported)) is True


def test_a_no_is_recorded_without_a_new_case(client, app, clock):
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    open_case(client, reported.code)
    response = client.post("/track/case/check-in", data={"csrf_token": case_page_token(client), "happened": "no"})
    assert response.status_code == 303
    assert db.session.scalar(select(RetaliationCheckIn.retaliation_reported)) is False
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1



def test_a_long_account_is_refused_with_what_the_citizen_wrote_and_taken_whole_once_within_the_limit(client, app,
                                                                                                     clock):
    """The linked case's text is a sentence naming the closed case, then the citizen's words. An account a little
    under the 5,000 characters of a report was refused as longer than it is (the sentence counted as theirs), so
    that cutting it to the limit the message gave changed nothing: the refusal counts what they wrote and gives
    the room there is, and an account cut to it is taken whole."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    open_case(client, reported.code)
    details = ("Two officers came to my house at night and told me to withdraw the complaint. " * 100)[:4990]
    response = client.post("/track/case/check-in", data={"csrf_token": case_page_token(client), "happened": "yes",
                                                         "details": details})
    assert response.status_code == 400
    error = re.search(r'id="details-error">Write at most ([\d,]+) characters \(you wrote ([\d,]+)\)',
                      response.get_data(as_text=True))
    room, wrote = (int(number.replace(",", "")) for number in error.groups())
    assert wrote == len(details) and room < wrote
    cut = details[:room].strip()
    response = client.post("/track/case/check-in", data={"csrf_token": case_page_token(client), "happened": "yes",
                                                         "details": cut})
    assert response.status_code == 303
    linked = db.session.get(Case, db.session.scalar(select(RetaliationCheckIn.reported_case_id)))
    assert linked.text.endswith(cut) and reported.reference in linked.text


def test_a_yes_about_a_case_whose_body_has_closed_goes_urgent_to_the_triage_queue(client, app, clock, make_user,
                                                                                  login_as):
    """The body that closed the case has since been closed itself (it takes no more cases, and may have nobody
    left to read them): the report of retaliation was sent there all the same, urgent, where nobody would see it.
    It goes to the triage queue instead, urgent, with the reason, for triage staff to send on."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    body.active = False
    db.session.commit()
    open_case(client, reported.code)
    answer = {"csrf_token": case_page_token(client), "happened": "yes",
              "details": "Two officers came to my house and told me to withdraw the complaint."}
    page = client.post("/track/case/check-in", data=answer, follow_redirects=True).get_data(as_text=True)
    linked = db.session.get(Case, db.session.scalar(select(RetaliationCheckIn.reported_case_id)))
    assert linked.body_id is None and linked.urgent is True
    assert reported.reference in linked.routing_explanation["reason"]
    # Nor is the complainant told it went to the body that handled their case.
    assert f"We opened a new report, {linked.reference}, marked as urgent." in page
    assert "same oversight body" not in page
    login_as(make_user(Role.TRIAGE))
    queue = client.get("/staff/cases?queue=triage").get_data(as_text=True)
    assert linked.reference in queue


def test_a_yes_on_the_web_hands_over_the_receipt_code_that_follows_the_new_report(client, app, clock):
    """The new report is told by its reference alone, which opens nothing: a complainant who reported on the web
    could never read the body's questions about the retaliation, nor answer them. Its receipt code is shown once,
    as for any report, and opens it."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    open_case(client, reported.code)
    answer = {"csrf_token": case_page_token(client), "happened": "yes",
              "details": "Two officers came to my house and told me to withdraw the complaint."}
    page = client.post("/track/case/check-in", data=answer, follow_redirects=True).get_data(as_text=True)
    linked = db.session.get(Case, db.session.scalar(select(RetaliationCheckIn.reported_case_id)))
    assert f"We opened a new report, {linked.reference}" in page
    code = RECEIPT_RE.search(page).group(1)
    assert client.get("/report/received").status_code == 410  # shown once
    assert open_case(client, code).status_code == 303
    followed = client.get("/track/case").get_data(as_text=True)
    assert linked.reference in followed and "withdraw the complaint" in followed


def test_a_complainant_who_missed_the_first_round_answers_once(client, app, clock):
    """Both rounds were asked before the complainant came back to the page (no phone: the page is where they are
    asked). Their answer took the 90-day round, and the page asked the question again, for the 30-day one: a
    complainant who answered again, thinking the first answer lost, opened a second urgent case for the same
    events. Once the latest round is answered, the page asks nothing more."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    clock.advance(days=60)
    send_due_check_ins(utcnow())
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RetaliationCheckIn)) == 2
    open_case(client, reported.code)
    answer = {"csrf_token": case_page_token(client), "happened": "yes",
              "details": "Two officers came to my house and told me to withdraw the complaint."}
    assert client.post("/track/case/check-in", data=answer).status_code == 303
    assert QUESTION not in client.get("/track/case").get_data(as_text=True)
    clock.advance(minutes=5)
    again = {**answer, "details": "They came to my house and said I must withdraw my complaint or else."}
    assert client.post("/track/case/check-in", data=again).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_two_answers_at_the_same_moment_open_one_case(client, app, clock):
    """The page's answer and the phone's YES (or a form sent from two tabs) at the same moment, in two processes:
    one takes the check-in and opens the case, the other opens nothing."""
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    check_in_id = db.session.scalar(select(RetaliationCheckIn.id))
    barrier = threading.Barrier(2)

    def answer(_: int) -> bool:
        with app.app_context():
            check_in = db.session.get(RetaliationCheckIn, check_in_id)
            barrier.wait()
            opened = answer_check_in(check_in, True, "They came to my house.", Channel.WEB) is not None
            db.session.commit()
            db.session.remove()
            return opened

    with ThreadPoolExecutor(2) as pool:
        opened = list(pool.map(answer, range(2)))
    db.session.expire_all()
    assert sorted(opened) == [False, True]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
