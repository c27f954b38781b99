"""A claim goes stale by the claiming worker's clock (OUTBOX_CLAIM_TIMEOUT_SECONDS after it was taken, read by
the worker that looks). A worker whose clock runs minutes ahead of the others would take their fresh claims for
stale ones and send those texts a second time, so `deliver` refuses to start when its clock and the database's
differ by more than OUTBOX_MAX_CLOCK_SKEW_SECONDS. (The test configuration turns the check off, since the clock
fixture moves the app's clock away from the database's; these tests turn it on.)"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicwatch.database import set_clock
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms

PHONE = "+23276124567"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["OUTBOX_MAX_CLOCK_SKEW_SECONDS"] = 60
    return app_config


def run_worker(app):
    return app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])


@pytest.mark.parametrize("minutes", [6, -6, 2])
def test_a_worker_whose_clock_is_off_sends_nothing_and_says_why(app, twilio_http, minutes):
    queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was received.", "acknowledgement")
    db.session.commit()
    real_now = dt.datetime.now(dt.UTC)
    set_clock(lambda: real_now + dt.timedelta(minutes=minutes))
    try:
        result = run_worker(app)
    finally:
        set_clock(None)
    assert result.exit_code == 1, result.output
    assert "clock" in result.output and ("ahead of" if minutes > 0 else "behind") in result.output
    assert twilio_http.requests == []
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)
                             .where(OutboundMessage.provider_sid.is_not(None))) == 0


def test_a_worker_on_time_sends(app, twilio_http):
    queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was received.", "acknowledgement")
    db.session.commit()
    result = run_worker(app)
    assert result.exit_code == 0, result.output
    assert len(twilio_http.accepted) == 1
