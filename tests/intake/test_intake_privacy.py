"""What must never be readable: the receipt code anywhere in the database, contact details in the raw
database, personal data in logs or in the browser's cookie."""
from __future__ import annotations

import base64
import logging
import zlib

from civicwatch.cases.identity import contact_of
from civicwatch.extensions import db
from tests.factories import jpeg_with_gps, post_multipart
from tests.intake.conftest import WHAT_HAPPENED, case_page_token, open_case, report_and_read_receipt

PHONE_TYPED, PHONE_E164, PHONE_LOCAL = "076 123 456", "+23276123456", "76123456"
EMAIL = "witness.kamara@example.org"


def every_stored_value() -> str:
    """Every column of every row of every table, as text (binary columns decoded byte for byte)."""
    db.session.expire_all()
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            for value in row:
                if isinstance(value, (bytes, memoryview)):
                    value = bytes(value).decode("latin-1")
                parts.append(str(value))
    return "\n".join(parts)


def report_with_contact(client):
    return report_and_read_receipt(client, contact_choice="contact", phone=PHONE_TYPED, email=EMAIL)


def test_receipt_code_is_never_stored_in_plain_text(client):
    reported = report_with_contact(client)
    open_case(client, reported.code)
    post_multipart(client, "/track/case/reply", {"csrf_token": case_page_token(client), "text": "more detail"},
                   files=[(jpeg_with_gps(), "photo.jpg")])
    open_case(client, "0000 0000 0000 0000")  # a failed lookup is stored too
    stored = every_stored_value()
    assert reported.case.reference in stored  # the scan does see the tables
    digits = reported.code.replace(" ", "")
    for form in (reported.code, digits, "-".join(reported.code.split())):
        assert form not in stored


def test_contact_details_are_unreadable_in_the_raw_database(client):
    reported = report_with_contact(client)
    stored = every_stored_value()
    for secret in (PHONE_TYPED, PHONE_E164, PHONE_LOCAL, EMAIL, "witness.kamara"):
        assert secret not in stored, secret
    # ...and readable with the key, for the staff who need it.
    db.session.refresh(reported.case)
    assert contact_of(reported.case) == {"phone": PHONE_E164, "email": EMAIL}


def test_logs_carry_no_personal_data(client, caplog):
    caplog.set_level(logging.DEBUG)
    reported = report_with_contact(client)
    open_case(client, "1111 2222 3333 4444")
    open_case(client, reported.code)
    post_multipart(client, "/track/case/reply", {"csrf_token": case_page_token(client),
                                                  "text": "The officer's name was Sesay."})
    logged = caplog.text
    assert "web report stored as case" in logged  # the logs are captured
    for secret in (reported.code, reported.code.replace(" ", ""), PHONE_E164, PHONE_LOCAL, EMAIL,
                   WHAT_HAPPENED[:30], "Sesay"):
        assert secret not in logged, secret


def session_cookie_text(client) -> str:
    cookie = client.get_cookie("session")
    payload = cookie.value.split(".")[0] if not cookie.value.startswith(".") else cookie.value.split(".")[1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    return raw.decode("utf-8", "replace")


def test_the_session_cookie_does_not_reveal_the_code_or_the_case(client):
    from tests.intake.conftest import post_report

    post_report(client)
    # Between the report and the confirmation page the code sits in the session, encrypted.
    cookie = session_cookie_text(client)
    assert "intake_receipt" in cookie
    assert "CW-" not in cookie
    page = client.get("/report/received").get_data(as_text=True)
    assert "intake_receipt" not in session_cookie_text(client)
    code = page.split('id="receipt-code">')[1].split("<")[0]
    assert code.replace(" ", "") not in cookie.replace(" ", "")

    open_case(client, code)
    cookie = session_cookie_text(client)
    assert "intake_track" in cookie and '"case"' not in cookie
