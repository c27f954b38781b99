"""Krio is written with two letters outside A-Z, ɛ and ɔ: "Tɛks mi" is Krio's TEXT ME as a phone with a Krio
keyboard types it. In the phrases that make a keyword, and only there, ɛ reads as e and ɔ as o; a word with such a
letter elsewhere still makes no keyword (tests/sms/test_sms_opt_in_words.py: "ɔ start" turns nothing on)."""
from __future__ import annotations

import pytest

from civicwatch.messaging.queries import is_safe_to_text
from civicwatch.phones import phone_hash
from civicwatch.sms.dialogue import Event, classify
from tests.sms.conftest import PHONE
from tests.sms.test_sms_conversation import REPORT

KRIO_TEXT_ME = ["Tɛks mi", "TƐKS MI", "tɛks-mi!", "Tɛks mi."]


@pytest.mark.parametrize("typed", KRIO_TEXT_ME)
def test_teks_mi_with_the_krio_letter_is_text_me(typed):
    assert classify(typed)[0] is Event.TEXT_ME


@pytest.mark.parametrize("typed", ["ɔ start", "Ɔ START", "stɔp", "ɛ stop", "Tɛks", "Tɛks mi mɔ"])
def test_the_krio_letters_make_no_other_keyword(typed):
    assert classify(typed, opted_out=True)[0] is not Event.START
    assert classify(typed)[0] not in (Event.TEXT_ME, Event.STOP)


@pytest.mark.parametrize("typed", KRIO_TEXT_ME)
def test_teks_mi_with_the_krio_letter_makes_the_phone_safe_again(text, clock, typed):
    assert text(REPORT) is not None
    clock.advance(minutes=30)
    text("KWAYET")
    assert not is_safe_to_text(phone_hash(PHONE))
    reply = text(typed)
    assert reply is not None and any(word in reply.upper() for word in ("QUIET", "KWAYET"))
    assert is_safe_to_text(phone_hash(PHONE))
