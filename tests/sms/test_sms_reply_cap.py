"""A number gets at most SMS_AUTO_REPLIES_PER_NUMBER automatic replies an hour, so that an auto-responder or a script
texting us cannot keep us texting back. Past the cap its texts are still read and kept exactly as before (a
citizen's words are never lost), only nothing is sent back. The count is of the replies in the outbox, so every
worker sees the same one; the STOP confirmation is always sent."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, MessageKind
from civicwatch.extensions import db
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.queries import is_opted_out
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import TEXT_REPLY
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import OTHER_PHONE, PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
CAP = 3


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(SMS_AUTO_REPLIES_PER_NUMBER=CAP)
    return app_config


def test_past_the_cap_texts_are_kept_but_get_no_reply_until_the_hour_has_passed(text, clock):
    assert "received" in text(REPORT)
    for minute in (1, 2):
        clock.advance(minutes=1)
        assert text(f"More details, minute {minute}.") is not None
    clock.advance(minutes=1)
    assert text("The officer's name is Kamara.") is None
    assert text("HELP") is None
    case = db.session.scalars(select(Case)).one()
    added = [message.body for message in case.messages if message.kind is MessageKind.FROM_COMPLAINANT]
    assert added == ["More details, minute 1.", "More details, minute 2.", "The officer's name is Kamara."]
    # Another number is answered as usual.
    assert text("HELP", phone=OTHER_PHONE) == render_reply(Reply.HELP)
    # An hour after the first reply, one more reply is free again.
    clock.advance(minutes=58)
    assert text("HELP") == render_reply(Reply.HELP)
    assert text("HELP") is None


def test_stop_is_confirmed_past_the_cap(text, clock):
    for _ in range(CAP):
        assert text("HELP") == render_reply(Reply.HELP)
        clock.advance(minutes=1)
    assert text("HELP") is None
    assert text("STOP") == render_reply(Reply.STOPPED)
    assert is_opted_out(phone_hash(PHONE))


def test_the_cap_counts_replies_owed_by_any_worker(text, clock):
    # Replies another worker owed the number (rows in the outbox, not in this process's memory).
    for _ in range(CAP):
        queue_sms(PHONE, render_reply(Reply.HELP), TEXT_REPLY)
    db.session.commit()
    clock.advance(minutes=1)
    assert text("HELP") is None
    clock.advance(minutes=60)
    assert text("HELP") == render_reply(Reply.HELP)
