"""A number that texted STOP gets texts again only when it asks for them in so many words (START, UNSTOP, YES), as
the carrier itself requires: an ordinary word one letter away from START (a brand, a name, a slip of the thumb)
must not undo the STOP of someone who may have had good reason to send it. STOP itself stays tolerant of slips."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboxStatus
from civicwatch.messaging.queries import is_opted_out
from civicwatch.phones import phone_hash
from civicwatch.sms.dialogue import Event, classify, match_keyword
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
NEAR_START = ["Smart", "star", "STARS", "tart", "stare", "Stark", "strat"]


@pytest.mark.parametrize("word", NEAR_START)
def test_a_word_near_start_is_not_start(word):
    assert match_keyword(word) is not Event.START
    assert match_keyword(word, opted_out=True) is not Event.START


@pytest.mark.parametrize("word", ["START", "start.", "Staart", "UNSTOP"])
def test_start_itself_still_turns_texts_on(word):
    assert match_keyword(word, opted_out=True) is Event.START


def test_after_stop_a_word_near_start_leaves_the_number_silent(text, clock):
    text(REPORT)
    clock.advance(minutes=30)
    assert text("STOP") == render_reply(Reply.STOPPED)
    for word in NEAR_START:
        clock.advance(hours=2)  # each a text of its own, not the words of one report
        assert text(word) is None
        assert is_opted_out(phone_hash(PHONE))
    # The case's news is still not texted to the number.
    case = db.session.scalars(select(Case)).one()
    assert notify_complainant(case, "CivicWatch: your complaint moved.", "status") is None
    clock.advance(minutes=5)
    assert text("START") == render_reply(Reply.STARTED)
    assert notify_complainant(case, "CivicWatch: your complaint moved.", "status").status is OutboxStatus.PENDING


# Several words that run together into START, UNSTOP or YES without being them: French "un STOP" (a stop), letters
# spelt out, and words whose letters lie outside A-Z (Krio ɔ, another script), which must not vanish from the text.
RUN_TOGETHER = ["Un stop", "UN STOP !", "un-stop", "Y E S", "y-e-s", "St art", "ɔ start", "Start пожалуйста"]


@pytest.mark.parametrize("typed", RUN_TOGETHER)
def test_words_that_run_together_into_start_are_not_start(typed):
    assert classify(typed, opted_out=True)[0] is not Event.START
    assert classify(typed)[0] is not Event.START


def test_after_stop_a_french_un_stop_leaves_the_number_silent(text, clock):
    text(REPORT)
    clock.advance(minutes=30)
    assert text("STOP") == render_reply(Reply.STOPPED)
    clock.advance(hours=2)
    assert text("Un STOP") != render_reply(Reply.STARTED)
    assert is_opted_out(phone_hash(PHONE))


@pytest.mark.parametrize("typed", ["Are et", "Can cel", "Qu'it", "En d", "Y es"])
def test_words_that_run_together_into_a_stop_word_are_no_stop(typed):
    assert classify(typed)[0] is not Event.STOP
    assert classify(typed, opted_out=True)[0] is not Event.START


@pytest.mark.parametrize(("typed", "event"), [("Text me", Event.TEXT_ME), ("Écrivez-moi", Event.TEXT_ME),
                                              ("Teks mi", Event.TEXT_ME), ("Stop all", Event.STOP),
                                              ("STOP ALL!", Event.STOP), ("text-me.", Event.TEXT_ME)])
def test_the_keywords_made_of_words_are_still_read_as_their_words(typed, event):
    assert classify(typed)[0] is event
