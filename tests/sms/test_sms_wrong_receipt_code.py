"""A complainant who mistypes their receipt code, texted alone or after STATUS, is told that no report has that
code and to check its 16 digits: not "we found no report for this phone. Text STATUS and your 16-digit receipt
code", which is what they just did, and false for a phone that sent reports."""
from __future__ import annotations

import pytest

from tests.sms.conftest import OTHER_PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
WRONG = "9000 0000 0000 0001"


@pytest.mark.parametrize("sent", [WRONG, f"STATUS {WRONG}"])
def test_a_wrong_code_from_the_phone_that_reported_says_the_code_is_wrong(text, clock, sent):
    text(REPORT)
    clock.advance(hours=1)

    reply = text(sent)

    assert "no report for this phone" not in reply
    assert "receipt code" in reply and "16 digits" in reply


def test_a_wrong_code_from_another_phone_says_the_code_is_wrong(text):
    reply = text(WRONG, phone=OTHER_PHONE)

    assert "no report for this phone" not in reply and "16 digits" in reply


@pytest.mark.parametrize(("language", "words"), [("FR", "16 chiffres"), ("KRIO", "16 nomba")])
def test_in_french_and_krio(text, language, words):
    text(f"LANG {language}")

    reply = text(WRONG)

    assert words in reply
    assert "pour ce téléphone" not in reply and "fo dis fon" not in reply
