"""Every log record of the main flows, at DEBUG on the root logger (every library included), and the workers'
command output: none carries a planted phone number (SMS and WhatsApp), email, name, complaint sentence,
receipt code, file name, staff password, api_key, Twilio auth token or session cookie. The flows go through HTTP,
the signed Twilio webhooks and the real workers; the error paths too (400, 403, 404, 413, 429, 500, 503, the
database refusing a row, Twilio refusing a text)."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text as sql

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.interfaces.operations import issue_api_key
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.senders import TwilioSender, set_sender
from civicwatch.sms.inbox import process_inbox
from tests.conftest import csrf_token, on_postgres
from tests.factories import jpeg_with_gps, png_bytes, post_multipart, staff_client, text_pdf
from tests.intake.test_intake_outages import DeadDatabase
from tests.messaging.recording_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CONNECT_FAILURE,
    FROM_NUMBER,
    SERVER_ERROR,
    TIMEOUT,
    Fail,
    RecordingHttpClient,
)
from tests.security.conftest import digits_only, page_token, place_case, report_fields, send_report, track
from tests.sms.conftest import PUBLIC_BASE_URL, new_sid, sign

WEB_PHONE_TYPED = "077 913 842"
WEB_PHONE = "+23277913842"
SMS_PHONE = "+23278246135"
WHATSAPP_PHONE = "whatsapp:+23279358024"
EMAIL = "kadiatu.witness@example.net"
NAME = "Kadiatu Sesay"
SENTENCE = "Corporal Tarawally broke my arm at Kissy station"
FILE_NAME = "kadiatu-xray-arm.png"
STAFF_PASSWORD = "Harmattan-Zebra-9182-tall"
WRONG_PASSWORD = "Okada-Cassava-5561-short"
PHONE_DIGITS = ("77913842", "78246135", "79358024")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    return app_config


class Planted:
    """The values no log may carry; filled as the flows make them (receipt codes, the api_key, cookies)."""

    def __init__(self) -> None:
        self.texts = [WEB_PHONE, SMS_PHONE, WHATSAPP_PHONE, EMAIL, NAME, "Sesay", "Tarawally", SENTENCE, FILE_NAME,
                      "kadiatu-", STAFF_PASSWORD, WRONG_PASSWORD, AUTH_TOKEN]
        self.digits = list(PHONE_DIGITS)

    def add(self, value: str) -> None:
        self.texts.append(value)
        if sum(ch.isdigit() for ch in value) >= 12:
            self.digits.append(digits_only(value))

    def leaks(self, where: str, output: str) -> list[str]:
        lowered = output.lower()
        found = [f"{where}: {value!r}" for value in self.texts if value.lower() in lowered]
        found += [f"{where}: digits {value}" for value in self.digits if value in digits_only(output)]
        return found


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write of the record: the message, its arguments, the traceback, the stack."""
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    parts += [record.exc_text or "", record.stack_info or ""]
    return "\n".join(parts)


def cookie_values(client: FlaskClient) -> list[str]:
    return [cookie.value for cookie in client._cookies.values() if len(cookie.value) >= 16]


def signed_post(client: FlaskClient, path: str, params: dict[str, str]):
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(path, params)})


@contextmanager
def refused(table: str) -> Iterator[None]:
    """The database refuses every new row of `table` by a check constraint (PostgreSQL quotes the refused row in
    its answer) or a trigger (SQLite)."""
    if on_postgres():
        db.session.execute(sql(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_refused CHECK (id < 0) NOT VALID"))
    else:
        db.session.execute(sql(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                               f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_{table}_refused'); END"))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        if on_postgres():
            db.session.execute(sql(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_refused"))
        else:
            db.session.execute(sql(f"DROP TRIGGER refuse_{table}"))
        db.session.commit()


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """The database server is gone: pooled connections closed, new ones refused."""
    dead = DeadDatabase(app, "refused")
    dead.start()
    try:
        yield
    finally:
        dead.stop()


def _web_flows(app: Flask, planted: Planted) -> int:
    photos = [(png_bytes(text_chunk=f"{NAME}: {SENTENCE}"), FILE_NAME),
              (jpeg_with_gps(comment=NAME.encode()), "kadiatu-face.jpg"),
              (text_pdf(f"{NAME}: {SENTENCE}"), "kadiatu-statement.pdf")]
    reported = send_report(app, "flows", files=photos,
                           text=f"{SENTENCE}. My name is {NAME}, the market road.",
                           contact_choice="contact", phone=WEB_PHONE_TYPED, email=EMAIL)
    planted.add(reported.code)
    complainant = app.test_client()
    track(complainant, "9876 5432 1098 7654")  # a wrong code
    assert track(complainant, reported.code).status_code == 303
    planted.texts += cookie_values(complainant)
    complainant.get("/track/case")
    complainant.post("/track/case/reply", data={"csrf_token": csrf_token(complainant, "/track/case"),
                                               "text": f"{NAME} again: {SENTENCE}, call {WEB_PHONE_TYPED}"})
    # Refused forms: no CSRF token (400), too large (413), a form the database refuses (500 or a clear answer).
    assert app.test_client().post("/report", data=report_fields("x", text=SENTENCE, email=EMAIL)).status_code == 400
    big = app.test_client()
    assert post_multipart(big, "/report", {**report_fields("x", text=SENTENCE), "csrf_token": csrf_token(big, "/report")},
                   [(b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 10), FILE_NAME)]).status_code == 413
    with refused("cases"):
        failing = app.test_client()
        refusal = post_multipart(failing, "/report", {**report_fields("x", text=f"{SENTENCE} {NAME}", contact_choice="contact",
                                                            phone=WEB_PHONE_TYPED, email=EMAIL),
                                            "csrf_token": csrf_token(failing, "/report")}, [(png_bytes(), FILE_NAME)])
    assert refusal.status_code == 500
    down = app.test_client()
    token = csrf_token(down, "/report")
    with database_down(app):
        assert post_multipart(down, "/report", {
            **report_fields("x", text=f"{SENTENCE} {NAME}", contact_choice="contact", phone=WEB_PHONE_TYPED,
                            email=EMAIL), "csrf_token": token}).status_code == 503
        assert track(app.test_client(), reported.code).status_code == 503
    assert app.test_client().get(f"/track/{digits_only(reported.code)}").status_code == 404  # 404 on a path carrying the code
    return reported.case_id


def _staff_flows(app: Flask, make_user, planted: Planted, case_id: int) -> None:
    place_case(case_id, "police_oversight", CaseStatus.INVESTIGATING)
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight", password=STAFF_PASSWORD)
    stranger = app.test_client()
    stranger.post("/login", data={"csrf_token": csrf_token(stranger), "email": investigator.email,
                                  "password": WRONG_PASSWORD})
    stranger.post("/login", data={"csrf_token": csrf_token(stranger), "email": EMAIL, "password": WRONG_PASSWORD})
    staff = staff_client(app, investigator, STAFF_PASSWORD)
    planted.texts += cookie_values(staff)
    staff.get(f"/staff/cases/{case_id}")
    staff.get(f"/staff/cases?q={NAME}")
    case = db.session.get(Case, case_id)
    staff.post(f"/staff/cases/{case_id}/notes", data={
        "note-csrf_token": page_token(staff), "note-version": str(case.version),
        "note-text": f"Spoke to {NAME}: {SENTENCE}"})
    case = db.session.get(Case, case_id)
    staff.post(f"/staff/cases/{case_id}/messages", data={
        "message-csrf_token": page_token(staff), "message-version": str(case.version),
        "message-text": f"About {SENTENCE}: can you come in?"})
    assert staff.get("/staff/audit/").status_code == 403
    assert staff.get(f"/staff/cases/{case_id + 1000}").status_code == 404
    admin = staff_client(app, make_user(Role.ADMIN))
    admin.get(f"/staff/audit/cases/{case_id}")
    admin.get("/staff/outbox/")


def _sms_flows(app: Flask, planted: Planted) -> None:
    phone = app.test_client()
    for body in ("Hello", f"{SENTENCE}. I am {NAME}, please help us at the station."):
        signed_post(phone, "/sms/inbound", {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": SMS_PHONE,
                                            "To": FROM_NUMBER, "Body": body, "NumMedia": "0"})
    signed_post(phone, "/sms/inbound", {
        "MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": WHATSAPP_PHONE, "To": "whatsapp:+14155238886",
        "Body": f"{SENTENCE}, {NAME} saw it all happen there.", "NumMedia": "1", "ProfileName": NAME,
        "MediaUrl0": f"https://api.twilio.com/media/{FILE_NAME}", "MediaContentType0": "image/png"})
    # A forged text: a bad signature (403), and one with no MessageSid (400).
    assert phone.post("/sms/inbound", data={"From": SMS_PHONE, "Body": SENTENCE},
                      headers={"X-Twilio-Signature": "forged"}).status_code == 403
    assert signed_post(phone, "/sms/inbound", {"From": SMS_PHONE, "Body": SENTENCE, "To": FROM_NUMBER}).status_code == 400
    process_inbox()
    with refused("cases"):
        signed_post(phone, "/sms/inbound", {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": SMS_PHONE,
                                            "To": FROM_NUMBER, "NumMedia": "0",
                                            "Body": f"NEW {SENTENCE}. It was {NAME} again at the station."})
        process_inbox()
    with database_down(app):  # PostgreSQL: the webhook's insert has a pool of its own, which stays up
        assert signed_post(phone, "/sms/inbound", {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": SMS_PHONE,
                                            "To": FROM_NUMBER, "Body": SENTENCE, "NumMedia": "0"}).status_code in (200, 503)


def _deliver(app: Flask, clock) -> str:
    """The deliver worker's command against Twilio: refusals of every kind, then acceptance; then status
    callbacks for what was sent. Returns the command's output."""
    http = RecordingHttpClient([Fail(400, 21211), SERVER_ERROR, TIMEOUT, CONNECT_FAILURE, Fail(400, 21610)])
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, status_callback=PUBLIC_BASE_URL + "/sms/status",
                                 http_client=http, whatsapp_from="whatsapp:+14155238886"))
    output = ""
    for _ in range(3):
        result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
        output += result.output + (repr(result.exception) if result.exception else "")
        clock.advance(hours=2)  # every retry due
    callback = app.test_client()
    for message in db.session.scalars(select(OutboundMessage).where(OutboundMessage.provider_sid.is_not(None))):
        for status in ("delivered", "undelivered"):
            signed_post(callback, "/sms/status", {
                "MessageSid": message.provider_sid, "MessageStatus": status, "ErrorCode": "30003",
                "To": SMS_PHONE, "From": FROM_NUMBER, "AccountSid": ACCOUNT_SID})
    signed_post(callback, "/sms/status", {"MessageSid": new_sid(), "MessageStatus": "delivered", "To": SMS_PHONE})
    return output


def _open311_flows(app: Flask, planted: Planted) -> None:
    _, secret = issue_api_key("Freetown civic app", None)
    db.session.commit()
    planted.add(secret)
    client = app.test_client()
    data = {"api_key": secret, "service_code": "corruption", "description": f"{SENTENCE}, said {NAME}.",
            "email": EMAIL, "phone": WEB_PHONE, "first_name": "Kadiatu", "last_name": "Sesay"}
    created = client.post("/open311/v2/requests.json", data=data)
    assert created.status_code == 200, created.get_data(as_text=True)
    for answer in created.get_json() or []:
        if isinstance(answer, dict) and answer.get("token"):
            client.get(f"/open311/v2/tokens/{answer['token']}.json")
    assert client.post("/open311/v2/requests.json", data={**data, "api_key": secret[:-4] + "zzzz"}).status_code == 403
    assert client.post("/open311/v2/requests.json", data={**data, "service_code": "nope"}).status_code in (400, 404)
    client.get(f"/open311/v2/requests.json?api_key={secret}&email={EMAIL}")
    with refused("cases"):
        assert client.post("/open311/v2/requests.json", data=data).status_code == 500


def test_no_log_record_nor_worker_output_carries_personal_data(app, make_user, caplog, clock):
    planted = Planted()
    caplog.set_level(logging.DEBUG)
    case_id = _web_flows(app, planted)
    _staff_flows(app, make_user, planted, case_id)
    _sms_flows(app, planted)
    _open311_flows(app, planted)
    output = _deliver(app, clock)
    assert db.session.scalar(select(Case.id).where(Case.channel != "web")) is not None  # the texts became cases
    assert any(r.name.startswith("civicwatch") for r in caplog.records), "nothing captured: the test would be blind"
    leaks = [leak for record in caplog.records for leak in planted.leaks(record.name, record_text(record))]
    leaks += planted.leaks("deliver command", output)
    assert not leaks, "\n".join(leaks[:20])
