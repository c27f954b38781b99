"""The reply to YES ("someone is hurt, held or threatened right now") is the one text where the words matter
most: what to do while no help can come from us. A phone that chose French or Krio must read that advice in
its language, not the configured English sentence in the middle of a French or Krio text. Through the signed
webhook and the worker, on a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.sms.test_sms_conversation import REPORT

ENGLISH_ADVICE = "If someone is in danger now, contact emergency services first: we cannot send help."


@pytest.mark.parametrize("language, yes, marked", [
    ("LANG FR", "OUI", "CivicWatch : signalement "),
    ("LANG KRIO", "YES", "CivicWatch: wi don mak ripot "),
])
def test_the_urgent_reply_gives_its_emergency_advice_in_the_phones_language(app, text, clock, language, yes, marked):
    assert app.config["EMERGENCY_ADVICE_SMS"] == ENGLISH_ADVICE  # the shipped default
    text(language)
    receipt = text(REPORT)
    reference = next(word.rstrip(".,") for word in receipt.split() if word.startswith("CW-"))
    db.session.scalar(select(Case).where(Case.reference == reference)).urgent = False
    db.session.commit()
    clock.advance(minutes=2)
    reply = text(yes)
    assert reply.startswith(marked + reference)  # the reply itself is translated...
    assert ENGLISH_ADVICE not in reply  # ...and so must be its advice
    assert "emergency" not in reply and "cannot send help" not in reply
