"""Messaging fixtures: Twilio as the sender, over a recording HttpClient; a clock moved by hand."""
from __future__ import annotations

import pytest

from civicwatch.messaging.senders import TwilioSender, set_sender
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient

PUBLIC_BASE_URL = "https://civicwatch.example.org"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_FROM_NUMBER=FROM_NUMBER,
                      PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    return app_config


@pytest.fixture
def twilio_http(app) -> RecordingHttpClient:
    """Twilio's servers: by default they accept everything. Set `.script` for errors and timeouts."""
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                 status_callback=PUBLIC_BASE_URL + "/sms/status", http_client=http))
    return http
