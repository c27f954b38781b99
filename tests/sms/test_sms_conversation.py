"""The conversation rules, end to end through the signed webhook and a real database."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case, CaseStatus, Channel, MessageKind
from civicwatch.extensions import db
from civicwatch.intake.operations import Submission, submit_complaint
from civicwatch.intake.queries import find_case_by_receipt
from civicwatch.messaging.models import SmsOptOut
from civicwatch.phones import phone_hash
from civicwatch.sms.models import ConversationState, SmsConversation
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import OTHER_PHONE, PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
STARTED_WITH_CODE = re.compile(r"CivicWatch: texts are on again\. Report (CW-\d{4}-\d{6}), sent while they were off, "
                               r"was received\. Secret receipt code: (\d{4} \d{4} \d{4} \d{4})\. Text STATUS for news\.")
OPENED = re.compile(r"report (CW-\d{4}-\d{6}) received\. Your secret receipt code is (\d{4} \d{4} \d{4} \d{4})\.")


def cases() -> list[Case]:
    return list(db.session.scalars(select(Case).order_by(Case.id)))


def opened(reply: str) -> tuple[str, str]:
    match = OPENED.search(reply or "")
    assert match, reply
    return match.group(1), match.group(2)


def test_a_detailed_first_text_opens_a_case_like_the_web_form(text, clock):
    reference, code = opened(text(REPORT))
    case = find_case_by_receipt(code)
    assert case is not None and case.reference == reference
    assert case.channel is Channel.SMS and case.status is CaseStatus.RECEIVED
    assert case.text == REPORT
    assert case.contact_phone_hash == phone_hash(PHONE)
    assert contact_of(case)["phone"] == PHONE
    assert any(event.kind == "received" and event.public for event in case.events)
    assert case.acknowledge_due_at is not None
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "case.submit")) == 1
    assert case.routing_explanation is not None  # routed in the transaction that stores it, as a web report is


def test_a_short_first_text_is_kept_and_joined_with_the_details(text, clock):
    assert text("police beat me") == render_reply(Reply.ASK_FOR_DETAILS)
    assert cases() == []
    clock.advance(minutes=20)
    assert text("in Bo") == render_reply(Reply.ASK_FOR_MORE)
    clock.advance(minutes=20)
    opened(text("at the market on Monday morning when I was selling"))
    (case,) = cases()
    assert case.text == "police beat me\nin Bo\nat the market on Monday morning when I was selling"


def test_a_kept_fragment_is_dropped_after_an_hour(text, clock):
    text("police beat me")
    clock.advance(minutes=61)
    opened(text(REPORT))
    assert cases()[0].text == REPORT


def test_texts_within_ten_minutes_are_added_to_the_same_case(text, clock):
    reference, _ = opened(text(REPORT))
    clock.advance(minutes=5)
    # Not an answer to the danger question: added, and the question asked again.
    assert text("It happened on Tuesday.") == render_reply(Reply.ASK_DANGER_AGAIN, reference=reference)
    clock.advance(minutes=9)  # the window runs from the latest text
    assert "added to report" in text("His name is Musa and he is 17 years old, he is still in pain.")
    (case,) = cases()
    added = [message for message in case.messages if message.kind is MessageKind.FROM_COMPLAINANT]
    assert [message.body for message in added] == [
        "It happened on Tuesday.", "His name is Musa and he is 17 years old, he is still in pain."]
    assert all(message.channel is Channel.SMS for message in added)
    clock.advance(minutes=11)
    opened(text(REPORT))
    assert len(cases()) == 2


def test_new_starts_another_report_inside_the_window(text, clock):
    opened(text(REPORT))
    clock.advance(minutes=1)
    assert text("NEW") == render_reply(Reply.NEW_REPORT)
    opened(text("Police at Lunsar junction take money from every okada rider each morning."))
    assert len(cases()) == 2


def test_status_without_a_reference_reports_the_latest_case(text, clock):
    assert text("STATUS") == render_reply(Reply.STATUS_NOT_FOUND)
    reference, _ = opened(text(REPORT))
    reply = text("staus")
    assert reply == f"CivicWatch: report {reference} is received and waiting to be looked at (updated 12 Mar 2026)."


def test_status_by_reference_only_for_the_phone_that_reported(text, clock):
    reference, code = opened(text(REPORT))
    assert reference in text(f"STATUS {reference}")
    assert text(f"STATUS {reference}", phone=OTHER_PHONE) == render_reply(Reply.STATUS_NOT_FOUND)
    # The receipt code is the secret: it works from any phone.
    assert reference in text(f"status {code}", phone=OTHER_PHONE)
    assert text("STATUS 0000 0000 0000 0000") == render_reply(Reply.CODE_NOT_FOUND)


def test_asking_about_another_case_does_not_move_the_follow_up_window(text, clock):
    other_reference, other_code = opened(text(
        "Police at Lunsar junction take money from every okada rider each morning.", phone=OTHER_PHONE))
    reference, _ = opened(text(REPORT))
    clock.advance(minutes=2)
    assert other_reference in text(f"STATUS {other_code}")
    clock.advance(minutes=2)
    assert text("It was on Tuesday.") == render_reply(Reply.ASK_DANGER_AGAIN, reference=reference)


def test_status_says_when_the_body_waits_for_the_complainant(text, clock):
    reference, _ = opened(text(REPORT))
    case = cases()[0]
    case.status = CaseStatus.INVESTIGATING
    case.waiting_since = clock.now
    db.session.commit()
    assert text("STATUS").endswith("being investigated (updated 12 Mar 2026). We are waiting for your answer.")


def test_a_rating_goes_to_the_latest_answered_case(text, clock):
    opened(text(REPORT))
    assert text("4") == render_reply(Reply.NOTHING_TO_RATE)
    case = cases()[0]
    case.status = CaseStatus.RESPONDED
    case.responded_at = clock.now
    db.session.commit()
    clock.advance(minutes=30)
    assert text("4") == render_reply(Reply.RATED, score=4, reference=case.reference)
    db.session.refresh(case)
    assert case.satisfaction == 4
    assert any(event.kind == "answer_rated" and event.detail["rating"] == 4 for event in case.events)
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "case.rate")) == 1


def test_stop_silences_everything_until_start(text, clock):
    assert text("stopp") == render_reply(Reply.STOPPED)
    assert db.session.scalar(select(SmsOptOut).where(SmsOptOut.phone_hash == phone_hash(PHONE))) is not None
    assert text("HELP") is None
    assert text(REPORT) is None  # kept as a report, but nothing is sent back
    assert len(cases()) == 1
    assert text("STOP") == render_reply(Reply.STOPPED)  # carriers expect each STOP confirmed
    # The report texted meanwhile got no receipt: START says it arrived, with a receipt code of its own.
    started = text("YES")
    match = STARTED_WITH_CODE.fullmatch(started or "")
    assert match, started
    reference, code = match.groups()
    assert reference == cases()[0].reference
    assert started == render_reply(Reply.STARTED_AFTER_TEXTED_REPORT, reference=reference, receipt_code=code)
    assert find_case_by_receipt(code) == cases()[0]
    assert reference in text(f"STATUS {code}", phone=OTHER_PHONE)  # the code works from any phone
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.receipt_reissue"))
    assert entry.object_id == str(cases()[0].id) and entry.after == {"cause": "texts_turned_on"}
    assert db.session.scalar(select(func.count()).select_from(SmsOptOut)) == 0
    assert text("HELP") == render_reply(Reply.HELP)
    assert text("STATUS").startswith(f"CivicWatch: report {cases()[0].reference} is ")


def test_start_gives_a_new_receipt_code_only_once_and_only_to_a_texted_report(text, clock):
    text("STOP")
    text(REPORT)
    first = STARTED_WITH_CODE.fullmatch(text("START") or "")
    assert first
    clock.advance(minutes=5)
    text("STOP")
    clock.advance(minutes=5)
    assert text("START") == render_reply(Reply.STARTED)  # the code was sent: no second one
    assert find_case_by_receipt(first.group(2)) == cases()[0]
    # A web report that gave this number, sent while texts were off, showed its code on the page: it keeps it.
    clock.advance(minutes=5)
    text("STOP")
    clock.advance(minutes=5)
    web_case, web_code = submit_complaint(Submission(text=REPORT, channel=Channel.WEB, phone=PHONE))
    db.session.commit()
    assert text("START") == render_reply(Reply.STARTED_AFTER_REPORT, reference=web_case.reference)
    assert find_case_by_receipt(web_code) == web_case
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "case.receipt_reissue")) == 1


def test_start_without_a_report_meanwhile_just_says_texts_are_on(text, clock):
    opened(text(REPORT))
    clock.advance(minutes=30)
    assert text("STOP") == render_reply(Reply.STOPPED)
    clock.advance(minutes=5)
    assert text("START") == render_reply(Reply.STARTED)  # the report was before STOP: its receipt was sent
    assert text("START") == render_reply(Reply.STARTED)  # not stopped: nothing to say about reports


def test_an_empty_text_gets_a_prompt(text, clock):
    assert text("") == render_reply(Reply.EMPTY)
    assert text("   \x00  ") == render_reply(Reply.EMPTY)


def test_conversations_are_per_phone(text, clock):
    text("police beat me")
    opened(text(REPORT, phone=OTHER_PHONE))
    states = dict(db.session.execute(select(SmsConversation.phone_hash, SmsConversation.state)).all())
    assert states[phone_hash(PHONE)] is ConversationState.AWAITING_DETAILS
    assert states[phone_hash(OTHER_PHONE)] is ConversationState.ASKED_DANGER
    assert cases()[0].text == REPORT


def test_local_and_international_forms_of_a_number_are_one_conversation(text, clock):
    text("police beat me", phone="+232 76 123456")
    opened(text("at the market in Bo on Monday when I was selling", phone="076123456"))
    assert cases()[0].text.startswith("police beat me\n")

