"""/track: the receipt code opens the case; plain-word timeline, messages, replies, expiry."""
from __future__ import annotations

import datetime as dt

from markupsafe import escape as html_escape
from sqlalchemy import select

from civicwatch.cases.models import Attachment, CaseEvent, CaseMessage, CaseStatus, Channel, MessageKind
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.workdays import working_calendar
from tests.conftest import csrf_token, csrf_token_from
from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import PDF_BYTES, WHAT_HAPPENED, case_page_token, open_case, report_and_read_receipt


def add_message(case, kind: MessageKind, body: str) -> None:
    db.session.add(CaseMessage(case=case, kind=kind, channel=Channel.WEB, body=body))
    db.session.commit()


def test_code_opens_the_case_in_plain_words(client, reported):
    response = open_case(client, reported.code)
    assert response.status_code == 303 and response.headers["Location"] == "/track/case"
    page = client.get("/track/case")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert reported.reference in html
    assert "Received. We are checking which oversight body can act on it." in html
    assert "We received your report." in html
    assert WHAT_HAPPENED in html  # under "What you reported"
    assert reported.code not in html


def test_code_works_without_spaces_or_with_dashes(client, reported):
    digits = reported.code.replace(" ", "")
    assert open_case(client, digits).status_code == 303
    assert open_case(client, "-".join(reported.code.split())).status_code == 303


def test_timeline_shows_public_events_only_with_the_body(client, reported):
    case = reported.case
    body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    case.body = body
    case.status = CaseStatus.INVESTIGATING
    db.session.add_all([
        CaseEvent(case=case, kind="routed", public=True, detail={"body": body.name}),
        CaseEvent(case=case, kind="status", from_status="triaged", to_status="acknowledged", public=True),
        CaseEvent(case=case, kind="status", from_status="acknowledged", to_status="investigating", public=True),
        CaseEvent(case=case, kind="assigned", public=False, detail={"to": "Investigator Secret-Name"}),
    ])
    db.session.commit()
    open_case(client, reported.code)
    html = client.get("/track/case").get_data(as_text=True)
    assert f"Under investigation by {body.name}." in html
    assert f"Your report was passed to {body.name}." in html
    assert f"{body.name} confirmed it has your case." in html
    assert "The investigation started." in html
    assert "Secret-Name" not in html and "assigned" not in html


def test_rejection_reason_is_shown(clock, client, reported):
    case = reported.case
    case.status, case.status_reason, case.closed_at = CaseStatus.REJECTED, "Outside our mandate.", utcnow()
    db.session.add(CaseEvent(case=case, kind="status", from_status="triaged", to_status="rejected", public=True,
                             detail={"reason": "Outside our mandate."}))
    db.session.commit()
    open_case(client, reported.code)
    html = client.get("/track/case").get_data(as_text=True)
    assert "Not taken up." in html and "Your case could not be taken up. Reason: Outside our mandate." in html


def test_messages_to_and_from_the_complainant_but_never_notes(client, reported):
    add_message(reported.case, MessageKind.TO_COMPLAINANT, "Can you tell us the day it happened?")
    add_message(reported.case, MessageKind.NOTE, "Internal: the checkpoint commander is a suspect")
    open_case(client, reported.code)
    html = client.get("/track/case").get_data(as_text=True)
    assert "Can you tell us the day it happened?" in html
    assert "checkpoint commander" not in html


def test_waiting_for_the_complainant_is_said_and_a_reply_restarts_the_clock(clock, client, reported):
    case = reported.case
    waited_from = case.waiting_since = clock.now - dt.timedelta(days=2)
    due = case.respond_due_at
    db.session.commit()
    open_case(client, reported.code)
    assert "waiting for information from you" in client.get("/track/case").get_data(as_text=True)

    response = post_multipart(client, "/track/case/reply", {"csrf_token": case_page_token(client),
                                                             "text": "It was on a Monday morning."})
    assert response.status_code == 303
    db.session.refresh(case)
    assert case.waiting_since is None
    calendar = working_calendar(due)  # the deadline moves by the working days the clock stood still
    assert case.respond_due_at == calendar.add_working_days(due, calendar.working_days_between(waited_from, clock.now))
    html = client.get("/track/case").get_data(as_text=True)
    assert "Your message was sent." in html and "It was on a Monday morning." in html
    assert "waiting for information from you" not in html


def test_reply_with_files_only(client, reported):
    open_case(client, reported.code)
    response = post_multipart(client, "/track/case/reply", {"csrf_token": case_page_token(client), "text": ""},
                              files=[(jpeg_with_gps(), "bruise.jpg"), (PDF_BYTES, "clinic.pdf")])
    assert response.status_code == 303
    message = db.session.scalars(select(CaseMessage)).one()
    assert message.kind is MessageKind.FROM_COMPLAINANT and message.body == ""
    names = db.session.scalars(select(Attachment.original_name).where(Attachment.message_id == message.id)).all()
    assert names == ["bruise.jpg", "clinic.pdf"]
    html = client.get("/track/case").get_data(as_text=True)
    assert "bruise.jpg" in html and "You sent more information. (2 files)" in html


def test_empty_or_bad_replies_are_refused(client, reported):
    open_case(client, reported.code)
    token = case_page_token(client)
    empty = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": "  "})
    assert empty.status_code == 400 and "Write a message or choose a file to send." in empty.get_data(as_text=True)
    long = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": "z" * 5001})
    assert long.status_code == 400 and "Write at most 5,000 characters" in long.get_data(as_text=True)
    bad_file = post_multipart(client, "/track/case/reply", {"csrf_token": token, "text": "see file"},
                              files=[(b"#!/bin/sh\nrm -rf /", "evidence.jpg")])
    assert bad_file.status_code == 400 and "“evidence.jpg” is not a photo or PDF" in bad_file.get_data(as_text=True)
    assert db.session.scalar(select(CaseMessage.id)) is None


def test_reply_needs_csrf(client, reported):
    open_case(client, reported.code)
    response = client.post("/track/case/reply", data={"text": "forged"})
    assert response.status_code == 400
    assert db.session.scalar(select(CaseMessage.id)) is None


def test_case_closes_after_inactivity(clock, client, reported):
    open_case(client, reported.code)
    assert client.get("/track/case").status_code == 200
    clock.advance(minutes=16)
    response = client.get("/track/case")
    assert response.status_code == 302 and response.headers["Location"] == "/track"
    assert "your case closed after a few minutes" in client.get("/track").get_data(as_text=True)
    reply = client.post("/track/case/reply", data={"csrf_token": csrf_token(client, "/track"), "text": "late"})
    assert reply.status_code == 200 and "Enter your receipt code again" in reply.get_data(as_text=True)
    assert db.session.scalar(select(CaseMessage.id)) is None


def test_a_reply_written_while_the_case_closed_for_safety_is_kept_to_send(clock, client, reported):
    """Writing a long message on a phone takes time: the case closes after 15 idle minutes, and what the citizen
    wrote must come back with the code's page, then be in the message box once the case is open again."""
    open_case(client, reported.code)
    token = case_page_token(client)
    clock.advance(minutes=20)
    written = "The officer's name is Sergeant Kamara, badge 4471. He came back to our house <today>."
    page = client.post("/track/case/reply", data={"csrf_token": token, "text": written}).get_data(as_text=True)
    assert "your case closed after a few minutes" in page and "was not sent yet and is kept below" in page
    assert html_escape(written) in page and written not in page  # shown back, escaped
    assert db.session.scalar(select(CaseMessage.id)) is None
    opened = client.post("/track", data={"csrf_token": csrf_token_from(page), "code": reported.code,
                                         "unsent": written})
    assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert 'name="text"' in html and html_escape(written) in html  # in the message box, not sent
    assert db.session.scalar(select(CaseMessage.id)) is None
    sent = client.post("/track/case/reply", data={"csrf_token": csrf_token_from(html), "text": written})
    assert sent.status_code == 303
    assert db.session.scalars(select(CaseMessage.body)).one() == written


def test_a_wrong_code_keeps_the_unsent_message(client, reported):
    token = csrf_token(client, "/track")
    response = client.post("/track", data={"csrf_token": token, "code": "1111 2222 3333 4444",
                                           "unsent": "Please call me after six."})
    assert response.status_code == 400 and "Please call me after six." in response.get_data(as_text=True)


def test_activity_keeps_the_case_open(clock, client, reported):
    open_case(client, reported.code)
    for _ in range(3):
        clock.advance(minutes=10)
        assert client.get("/track/case").status_code == 200


def test_leaving_closes_the_case(client, reported):
    open_case(client, reported.code)
    response = client.post("/track/leave", data={"csrf_token": case_page_token(client)})
    assert response.status_code == 303
    assert client.get("/track/case").status_code == 302


def test_a_cookie_copied_before_leaving_opens_nothing_afterwards(client, reported):
    """Someone copies the session cookie off a shared phone; the complainant presses "leave"; the copy is dead."""
    open_case(client, reported.code)
    copied = client.get_cookie("session").value
    other_device = client.application.test_client()
    other_device.set_cookie("session", copied)
    assert other_device.get("/track/case").status_code == 200  # the copy works while the case is open
    client.post("/track/leave", data={"csrf_token": case_page_token(client)})
    replay = client.application.test_client()
    replay.set_cookie("session", copied)
    response = replay.get("/track/case")
    assert response.status_code == 302 and reported.reference not in response.get_data(as_text=True)
    assert other_device.get("/track/case").status_code == 302
    open_case(client, reported.code)  # the receipt code itself still works
    assert client.get("/track/case").status_code == 200


def test_without_a_code_there_is_no_case(client, reported):
    assert client.get("/track/case").status_code == 302
    # A session cookie from another browser that opened a case does not open it here.
    other = client.application.test_client()
    assert other.get("/track/case").status_code == 302


def test_reference_alone_reveals_nothing(client, reported):
    token = csrf_token(client, "/track")
    response = client.post("/track", data={"csrf_token": token, "code": reported.reference})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That looks like a reference number" in html
    assert WHAT_HAPPENED not in html and "We received your report." not in html
    assert client.get(f"/track?code={reported.reference}").status_code == 200
    assert client.get("/track/case").status_code == 302


def test_malformed_codes_get_a_clear_message(client):
    token = csrf_token(client, "/track")
    for value, message in (("", "Enter your receipt code."), ("1234", "A receipt code has 16 digits."),
                           ("1234 5678 9012 3456 7", "A receipt code has 16 digits.")):
        response = client.post("/track", data={"csrf_token": token, "code": value})
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_other_receipt_codes_do_not_open_someone_elses_case(client, app, reported):
    second = report_and_read_receipt(app.test_client())
    open_case(client, reported.code)
    html = client.get("/track/case").get_data(as_text=True)
    assert reported.reference in html and second.reference not in html
