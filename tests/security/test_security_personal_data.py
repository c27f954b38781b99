"""Personal data: contact details encrypted at rest, and no phone number, email, receipt code or complaint
text in any log line, whatever the log level, nor on any public page.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.crypto import IDENTITY_KEY, DecryptionError, decrypt_json, decrypt_json_with
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import staff_client
from tests.security.conftest import digits_only, page_token, place_case, send_report, stored_strings, track

PHONE_TYPED = "076 555 123"
PHONE_E164 = "+23276555123"
EMAIL = "fatmata.witness@example.org"
SECRET_WORDS = "Lieutenant Bangura shot at the crowd"


def test_contact_details_are_encrypted_at_rest(app):
    reported = send_report(app, "contact", contact_choice="contact", phone=PHONE_TYPED, email=EMAIL)
    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT i.contact_encrypted, c.contact_phone_hash FROM cases c "
                                "JOIN complainant_identities i ON i.case_id = c.id WHERE c.id = :id"),
                           {"id": reported.case_id}).one()
    blob = bytes(raw[0])
    assert b"76555123" not in blob and b"fatmata" not in blob
    assert blob.startswith(b"gAAAAA")  # a Fernet token
    assert raw[1] and "76555123" not in raw[1]
    # The application can still read it with the vault's key (so encryption is real, not data loss), and the
    # content key alone cannot.
    assert decrypt_json_with(IDENTITY_KEY, blob) == {"phone": PHONE_E164, "email": EMAIL}
    with pytest.raises(DecryptionError):
        decrypt_json(blob)
    for table, column, value in stored_strings():
        assert "76555123" not in digits_only(value) or len(value) > 400, (table, column)
        assert "fatmata" not in value.lower(), (table, column)


def _walk_every_channel(app, make_user) -> tuple[str, str]:
    """A complaint's whole life across channels and staff screens; returns (receipt code, reference)."""
    reported = send_report(app, "logs", text=f"{SECRET_WORDS} near the market in Kenema, marker logs.",
                           contact_choice="contact", phone=PHONE_TYPED, email=EMAIL)
    complainant = app.test_client()
    track(complainant, "1234 1234 1234 1234")  # a wrong code first
    assert track(complainant, reported.code).status_code == 303
    complainant.get("/track/case")
    complainant.post("/track/case/reply", data={"csrf_token": csrf_token(complainant, "/track/case"),
                                               "text": f"{SECRET_WORDS} again, my number {PHONE_TYPED}"})
    place_case(reported.case_id, "police_oversight", CaseStatus.INVESTIGATING)
    investigator = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    investigator.get(f"/staff/cases/{reported.case_id}")
    investigator.get("/staff/cases?q=Bangura")
    case = db.session.get(Case, reported.case_id)
    investigator.post(f"/staff/cases/{case.id}/messages", data={
        "message-csrf_token": page_token(investigator), "message-version": str(case.version),
        "message-text": f"About {SECRET_WORDS}: can you come in?"})
    admin = staff_client(app, make_user(Role.ADMIN))
    admin.get(f"/staff/audit/cases/{reported.case_id}")
    admin.get("/staff/audit/")
    admin.get("/staff/outbox/")
    if app.config.get("SMS_SIMULATOR") and "sms.simulator" in app.view_functions:
        phone = app.test_client()
        phone.post("/sms/simulator", data={"csrf_token": csrf_token(phone, "/sms/simulator"), "phone": PHONE_E164})
        phone.get("/sms/simulator/phone")
        phone.post("/sms/simulator/phone", data={"csrf_token": csrf_token(phone, "/sms/simulator/phone"),
                                                  "body": f"{SECRET_WORDS} by sms {reported.code}"})
        phone.get("/sms/simulator/phone")
    return reported.code, reported.reference


def _leaks(records: list[logging.LogRecord], code: str) -> list[str]:
    found = []
    for record in records:
        message = record.getMessage()
        if record.exc_text:
            message += record.exc_text
        lowered = message.lower()
        for secret in ("76555123", digits_only(code)):
            if secret in digits_only(message):
                found.append(f"{record.name}: {secret} in {message[:300]}")
        for secret in ("fatmata", "bangura", code):
            if secret.lower() in lowered:
                found.append(f"{record.name}: {secret} in {message[:300]}")
    return found


def test_application_logs_never_carry_personal_data(app, make_user, caplog):
    """Everything the application (and Flask/Werkzeug) logs, at DEBUG, across every channel."""
    with caplog.at_level(logging.DEBUG, logger="civicwatch"), \
            caplog.at_level(logging.DEBUG, logger="werkzeug"), caplog.at_level(logging.DEBUG, logger="flask"):
        code, _ = _walk_every_channel(app, make_user)
    records = [r for r in caplog.records if not r.name.startswith("sqlalchemy")]
    assert any(r.name.startswith("civicwatch") for r in records), "nothing captured: the test would be blind"
    assert not _leaks(records, code)


def test_no_library_logs_personal_data_when_the_root_logger_is_at_debug(app, make_user, caplog):
    """What an operator gets with LOG_LEVEL=DEBUG: the root logger at DEBUG, every library included
    (SQLAlchemy's engine would log statement parameters, complaint text among them, if it followed the root)."""
    caplog.set_level(logging.DEBUG)
    code, _ = _walk_every_channel(app, make_user)
    assert not _leaks(caplog.records, code)


def test_public_pages_never_show_contact_details(app, client):
    reported = send_report(app, "public", contact_choice="contact", phone=PHONE_TYPED, email=EMAIL)
    pages = ["/", "/privacy", "/report", "/track", "/healthz", "/login"]
    pages += [rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/transparency", "/published", "/open311", "/api"))
              and "GET" in rule.methods and not rule.arguments]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert "76555123" not in digits_only(body) and "fatmata" not in body.lower(), path
        assert reported.reference not in body, path
    # Even the complainant's own case page does not show the contact details back (a borrowed phone).
    assert track(client, reported.code).status_code == 303
    body = client.get("/track/case").get_data(as_text=True)
    assert "76555123" not in digits_only(body) and "fatmata" not in body.lower()
