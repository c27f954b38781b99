"""Rating and appeal in French and Krio: NOTE 4 and MAK 4 rate as RATE 4 does (only with the score: NOTE or MAK
alone, or with a word, are ordinary words), RECOURS and APIL appeal with the reason as APPEAL does; the reply is in
the word's language, and the French and Krio replies name these words."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from civicwatch.cases.models import CaseStatus
from civicwatch.cases.notifications import FEEDBACK_BY_TEXT
from civicwatch.database import utcnow
from civicwatch.sms.dialogue import Event, Snapshot, classify, decide
from civicwatch.sms.replies import STATUS_WORDS, Reply


@pytest.mark.parametrize(("text", "score", "language"), [
    ("NOTE 4", 4, "fr"), ("note 5/5", 5, "fr"), ("Note : 2", 2, "fr"), ("MAK 3", 3, "kri"), ("mak 1", 1, "kri"),
    ("RATE 4", 4, None),
])
def test_note_and_mak_with_a_score_are_ratings(text, score, language):
    decision = decide(Snapshot(), text, utcnow())
    assert (decision.event, decision.rating, decision.keyword_language) == (Event.RATING, score, language)


@pytest.mark.parametrize("text", ["NOTE", "note bien", "Note importante", "mak", "Mak dem"])
def test_note_and_mak_without_a_score_are_words_of_a_report(text):
    assert classify(text)[0] in (Event.SHORT_TEXT, Event.DETAILED_TEXT)


@pytest.mark.parametrize(("text", "reason", "language"), [
    ("RECOURS la police n'a rien fait", "la police n'a rien fait", "fr"),
    ("recours: ils mentent", "ils mentent", "fr"), ("APIL dem nor du natin", "dem nor du natin", "kri"),
    ("APPEAL they did nothing", "they did nothing", None),
])
def test_recours_and_apil_are_appeals(text, reason, language):
    decision = decide(Snapshot(), text, utcnow())
    assert (decision.event, decision.appeal_reason, decision.keyword_language) == (Event.APPEAL, reason, language)


@pytest.mark.parametrize(("language", "rate", "appeal"), [("fr", "NOTE", "RECOURS"), ("kri", "MAK", "APIL")])
def test_french_and_krio_replies_name_their_rating_and_appeal_words(app, language, rate, appeal):
    with force_locale(language):
        texts = [gettext(Reply.RATE_HOW.value), gettext(Reply.APPEAL_NEEDS_REASON.value),
                 gettext(STATUS_WORDS[CaseStatus.RESPONDED]), gettext(FEEDBACK_BY_TEXT)]
    assert all("RATE" not in text and "APPEAL" not in text for text in texts), texts
    assert rate in texts[0] and appeal in texts[1] and rate in texts[2] and rate in texts[3] and appeal in texts[3]


def test_note_4_is_answered_in_french(text, clock):
    with force_locale("fr"):
        expected = gettext(Reply.NOTHING_TO_RATE.value)
    assert text("NOTE 4") == expected
