"""Twilio's signed delivery callback with an ErrorCode too large for the database's integer column: the callback
is answered without a server error (Twilio retries a 5xx for ever), and the delivery status it carries is kept
(without the code)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.messaging.models import EarlyDeliveryStatus, OutboxStatus
from tests.messaging.test_messaging_outbox import callback, sent_message
from tests.sms.conftest import new_sid

# Digits only, as the view checks, but past a 32-bit (PostgreSQL INTEGER) or 64-bit (SQLite) integer.
OVERSIZED_CODES = ["2147483648", "9223372036854775808", "9" * 40]


@pytest.mark.parametrize("code", OVERSIZED_CODES)
def test_an_oversized_error_code_for_a_sent_message_is_no_server_error(app, client, twilio_http, code):
    message = sent_message(app)
    response = callback(client, message.provider_sid, "undelivered", code)
    assert response.status_code == 204, (response.status_code, response.get_data(as_text=True)[:200])
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.last_error_code is None


@pytest.mark.parametrize("code", OVERSIZED_CODES)
def test_an_oversized_error_code_for_an_unknown_sid_is_no_server_error(app, client, code):
    sid = new_sid()
    response = callback(client, sid, "undelivered", code)
    assert response.status_code == 204, (response.status_code, response.get_data(as_text=True)[:200])
    kept = db.session.scalar(select(EarlyDeliveryStatus).where(EarlyDeliveryStatus.provider_sid == sid))
    assert kept is not None and kept.status == "undelivered" and kept.error_code is None
