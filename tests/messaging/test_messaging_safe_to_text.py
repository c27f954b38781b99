"""Safe to text: a citizen who gives a phone number on the web form says whether texts we start may go to it (a
phone shared with, or taken by, the people complained about must not buzz with news from an oversight body).
Unanswered counts as no. Texts we start (case news, check-ins, questions...) go only to a number safe to text,
checked by the outbox when it sends, so a change of mind on the follow-up page stops a text already owed; the news
stays on the follow-up page and the outbox page counts what was held back. A reply to a text the citizen has just
sent is always sent. Through the web pages, the worker's jobs and the delivery worker, over Twilio's recorded
HTTP."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.operations import change_status, message_complainant
from civicwatch.cases.workflow import transition_case
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import owed_message, queue_owed_messages
from civicwatch.messaging.senders import get_sender
from civicwatch.sms.inbox import TEXT_REPLY, process_inbox
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token
from tests.intake.conftest import case_page_token, open_case, post_report, report_and_read_receipt
from tests.sms.conftest import new_sid, sign

PHONE = "+232 76 123 456"
E164 = "+23276123456"
QUESTION = "May we send you texts on this phone?"
INVESTIGATING = "is now investigating your complaint"
CHECK_IN = "Has anything happened to you because you reported?"


def report(client, texts_allowed: str | None, **changes):
    return report_and_read_receipt(client, contact_choice="contact", phone=PHONE, texts_allowed=texts_allowed,
                                   **changes)


def investigate(case: Case, make_user) -> None:
    """The body takes the case up: its news ("investigating") is owed to the complainant."""
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    case.body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    if case.status is CaseStatus.RECEIVED:
        transition_case(case, CaseStatus.TRIAGED, investigator)
    transition_case(case, CaseStatus.ACKNOWLEDGED, investigator)
    change_status(case, investigator, CaseStatus.INVESTIGATING)
    db.session.commit()


def close_and_ask_check_in(case: Case, clock) -> None:
    case.status, case.closed_at = CaseStatus.CLOSED, clock.now
    db.session.commit()
    clock.advance(days=30)
    ask_due_check_ins(utcnow())  # the worker's job
    db.session.commit()


def deliver(app) -> None:
    deliver_due_messages(get_sender(app), "worker")


def texted(twilio_http) -> list[str]:
    return [request.data["Body"] for request in twilio_http.accepted]


def outbox(case_id: int) -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.case_id == case_id)
                                   .order_by(OutboundMessage.id)))


def test_the_form_asks_under_the_phone_number_with_plain_radio_buttons(client):
    page = client.get("/report").get_data(as_text=True)
    assert QUESTION in page and "Only say yes if no one else reads your messages on this phone." in page
    radios = [tag for tag in page.split("<input")[1:] if 'name="texts_allowed"' in tag.split(">")[0]]
    assert len(radios) == 2 and all('type="radio"' in tag.split(">")[0] for tag in radios)
    assert not any("checked" in tag.split(">")[0] for tag in radios)  # unanswered unless the citizen chooses


@pytest.mark.parametrize("answer", ["no", None])
def test_a_web_report_not_safe_to_text_gets_no_news_and_no_check_in_by_text_but_reads_them_on_its_page(
        app, client, clock, make_user, twilio_http, answer):
    reported = report(client, answer, fears_retaliation="yes")
    case_id = reported.case.id
    investigate(reported.case, make_user)
    close_and_ask_check_in(db.session.get(Case, case_id), clock)
    deliver(app)
    assert texted(twilio_http) == []
    owed = outbox(case_id)
    assert owed and all(message.status is OutboxStatus.CANCELLED for message in owed)
    assert {message.purpose for message in owed} >= {"status", "retaliation_check_in"}
    open_case(client, reported.code)
    page = client.get("/track/case").get_data(as_text=True)
    assert "closed" in page.lower() and CHECK_IN in page  # the news and the check-in are on the page
    assert "We do not text you first on the phone you gave." in page


def test_the_staff_case_page_says_not_to_text_or_call_and_the_outbox_counts_what_was_held_back(
        app, client, clock, make_user, twilio_http, login_as):
    reported = report(client, "no")
    investigate(reported.case, make_user)
    deliver(app)
    assert texted(twilio_http) == []
    admin = make_user(Role.ADMIN)
    login_as(admin)
    case_page = client.get(f"/staff/cases/{reported.case.id}").get_data(as_text=True)
    assert "Do not text or call this phone" in case_page
    outbox_page = client.get("/staff/outbox/").get_data(as_text=True)
    held = [message for message in outbox(reported.case.id) if message.status is OutboxStatus.CANCELLED]
    assert held
    assert (f'<span class="stat">{len(held)}</span> not sent because the citizen said texts to their phone are '
            "not safe") in outbox_page


def test_a_web_report_safe_to_text_gets_its_news_and_check_in_by_text(app, client, clock, make_user, twilio_http):
    reported = report(client, "yes", fears_retaliation="yes")
    case_id = reported.case.id
    investigate(reported.case, make_user)
    deliver(app)
    assert any(INVESTIGATING in body for body in texted(twilio_http))
    close_and_ask_check_in(db.session.get(Case, case_id), clock)
    deliver(app)
    assert any(CHECK_IN in body for body in texted(twilio_http))
    assert all(request.data["To"] == E164 for request in twilio_http.accepted)


def test_a_change_of_mind_on_the_follow_up_page_stops_a_text_already_owed(app, client, make_user, twilio_http):
    reported = report(client, "yes")
    investigate(reported.case, make_user)
    waiting = [message for message in outbox(reported.case.id) if message.status is OutboxStatus.PENDING]
    assert waiting, "the news waits for the worker"
    open_case(client, reported.code)
    answer = {"csrf_token": case_page_token(client), "case_reference": reported.reference, "texts_allowed": "no"}
    response = client.post("/track/case/texts", data=answer)
    assert response.status_code == 303
    deliver(app)
    assert texted(twilio_http) == []
    assert all(message.status is OutboxStatus.CANCELLED for message in outbox(reported.case.id))
    page = client.get("/track/case").get_data(as_text=True)
    assert "investigat" in page.lower()  # where the case is now, on its page
    # And back: the texts we start from now on go again.
    client.post("/track/case/texts", data={**answer, "csrf_token": case_page_token(client), "texts_allowed": "yes"})
    case = db.session.get(Case, reported.case.id)
    message_complainant(case, make_user(Role.INVESTIGATOR, body="police_oversight"), "Please call at the office.")
    db.session.commit()
    deliver(app)
    assert len(texted(twilio_http)) == 1 and "Please call at the office." in texted(twilio_http)[0]


def test_a_text_owed_by_a_path_that_did_not_check_is_held_back_when_the_worker_sends_it(
        app, client, make_user, twilio_http):
    reported = report(client, "no")
    row = owed_message(E164, "CivicWatch: news", "status", reported.case.id)
    row.update(status=OutboxStatus.PENDING, last_error=None)  # as if owed without looking
    queue_owed_messages([row])
    db.session.commit()
    deliver(app)
    assert texted(twilio_http) == []
    held = outbox(reported.case.id)[-1]
    assert held.status is OutboxStatus.CANCELLED and "not safe" in held.last_error


def test_replies_to_the_citizen_s_own_texts_still_go(app, client, twilio_http):
    report(client, "no")
    params = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": E164, "To": "+15005550006",
              "Body": "HELP", "NumMedia": "0"}
    signature = sign("/sms/inbound", params)
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}).status_code == 200
    assert process_inbox().failed == 0
    db.session.commit()
    deliver(app)
    replies = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == TEXT_REPLY)).all()
    assert replies and all(reply.status is OutboxStatus.SENT for reply in replies)
    assert len(texted(twilio_http)) == len(replies)


@pytest.mark.parametrize("value", ["maybe", "YES ", "1"])
def test_a_bad_answer_on_the_report_form_is_a_clear_form_error(client, value):
    response = post_report(client, contact_choice="contact", phone=PHONE, texts_allowed=value)
    assert response.status_code == 400
    assert "Choose “Yes” or “No”, or leave the question unanswered." in response.get_data(as_text=True)
    assert db.session.scalar(select(Case.id)) is None


@pytest.mark.parametrize("value", [None, "", "maybe"])
def test_a_bad_answer_on_the_follow_up_page_is_a_clear_form_error(client, value):
    reported = report(client, "yes")
    open_case(client, reported.code)
    data = {"csrf_token": case_page_token(client), "case_reference": reported.reference}
    if value is not None:
        data["texts_allowed"] = value
    response = client.post("/track/case/texts", data=data)
    assert response.status_code == 400
    assert "Choose “Yes” or “No”." in response.get_data(as_text=True)


def test_the_follow_up_question_needs_the_page_s_token_and_a_case(client):
    reported = report(client, "yes")
    unfollowed = client.post("/track/case/texts", data={"texts_allowed": "no", "csrf_token": csrf_token(
        client, "/track")})
    assert unfollowed.status_code == 303 and unfollowed.location.endswith("/track")  # no case followed: the code
    open_case(client, reported.code)
    refused = client.post("/track/case/texts", data={"texts_allowed": "no", "case_reference": reported.reference})
    assert refused.status_code == 400  # no CSRF token
    assert "We may send you texts on the phone you gave" in client.get("/track/case").get_data(as_text=True)
