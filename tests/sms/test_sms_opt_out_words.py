"""French and Krio speakers stop texts in their own words: ARRET (ARRÊT, any case) as Canadian carriers and Twilio
take it, and Krio TAP ("tap" is "stop"). Only the exact words: a slip away from ARRET is an ordinary word
(ARE, ARRÊTÉ is "arrested", which a report may well start with) and one from TAP too (TIP, TAPE)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.messaging.queries import is_opted_out
from civicwatch.messaging.segments import prefer_gsm7
from civicwatch.phones import phone_hash
from civicwatch.sms.dialogue import Event, classify, match_keyword
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import PHONE

ENGLISH_REPORT = "Soldiers at the checkpoint near Kenema beat my brother because he had no identity card."
REPORT = "Des soldats au poste de contrôle près de Kenema ont battu mon frère parce qu'il n'avait pas de carte."
OPT_OUT_WORDS = ["ARRET", "arrêt", "ARRÊT", "Arret.", "arrêt !", "TAP", "tap", "Tap."]
NEAR_OPT_OUT_WORDS = ["arrêté", "ARRETE", "are", "arete", "tip", "tape", "trap"]


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_arret_and_tap_are_stop(word):
    assert match_keyword(word) is Event.STOP


@pytest.mark.parametrize("word", NEAR_OPT_OUT_WORDS)
def test_words_near_arret_and_tap_are_not_stop(word):
    assert match_keyword(word) is not Event.STOP


@pytest.mark.parametrize(("word", "language"), [("arrêt", "fr"), ("ARRET", "fr"), ("tap", "kri")])
def test_a_number_that_texts_arret_or_tap_gets_no_more_texts(text, clock, word, language):
    text(ENGLISH_REPORT)  # a report in French or Krio would give the phone its language before the keyword does
    case = db.session.scalars(select(Case)).one()
    clock.advance(minutes=30)
    with force_locale(language):  # confirmed in the word's language
        assert text(word) == prefer_gsm7(render_reply(Reply.STOPPED))
    assert is_opted_out(phone_hash(PHONE))
    assert notify_complainant(case, "CivicWatch: your complaint moved.", "status") is None
    clock.advance(hours=2)
    assert text(REPORT) is None  # stored, but nothing is sent back


def test_arrete_as_a_first_word_is_kept_as_report_text(text):
    # "Arrêté" (arrested) alone is the start of a report, not an opt-out.
    assert text("Arrêté") == render_reply(Reply.ASK_FOR_DETAILS)
    assert not is_opted_out(phone_hash(PHONE))


@pytest.mark.parametrize("typed", ["STOP !", "Arrêt !", "« STOP »", "«ARRET»", "stop .", "TAP !!"])
def test_a_keyword_typed_with_spaced_punctuation_is_still_the_keyword(typed):
    """French typing puts a space before "!" and inside guillemets: "STOP !" is STOP, not a two-word report."""
    assert classify(typed) == (Event.STOP, None)
