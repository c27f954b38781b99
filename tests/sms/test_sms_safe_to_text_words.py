"""A person who reports by SMS, maybe on a basic phone that cannot open the follow-up page, says by text that the
phone is not safe to text: QUIET (French SILENCE, Krio KWAYET). Texts we start stop, those already waiting in the
outbox included; replies to their own texts still go (unlike STOP, which stops everything). TEXTME (ECRIVEZMOI,
TEKSMI) makes it safe again; a slip on it never does. The reply says in one SMS what changed and how to undo it.
A deployment may add words to both commands. Through the signed webhook, the inbox worker and the outbox worker,
over Twilio's recorded HTTP."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboxStatus
from civicwatch.messaging.queries import NOT_SAFE_NOTE, is_opted_out, is_safe_to_text
from civicwatch.messaging.segments import segment_count
from civicwatch.phones import phone_hash
from civicwatch.sms.dialogue import build_keywords, classify, keyword_problems
from tests.sms.conftest import PHONE, deliver, texted
from tests.sms.test_sms_conversation import REPORT

NEWS = "CivicWatch: your report is now being investigated."
# The word that marks the phone not safe, the word that undoes it, and their language.
WORDS = [("QUIET", "TEXTME", "en"), ("quiet", "TEXTME", "en"), ("Silence !", "ECRIVEZMOI", "fr"),
         ("KWAYET", "TEKSMI", "kri")]


def reported(text, clock) -> Case:
    assert text(REPORT) is not None
    clock.advance(minutes=30)
    return db.session.scalars(select(Case)).one()


@pytest.mark.parametrize(("word", "undo", "language"), WORDS)
def test_quiet_stops_the_texts_we_start_and_says_how_to_undo_it_in_one_sms(
        app, text, clock, twilio_http, word, undo, language):
    case = reported(text, clock)
    reply = text(word)
    assert reply is not None and undo in reply and segment_count(reply) == 1
    assert not is_safe_to_text(phone_hash(PHONE)) and not is_opted_out(phone_hash(PHONE))  # not a STOP
    assert notify_complainant(case, NEWS, "status") is None  # news is not owed to it
    db.session.commit()
    deliver(app)
    assert NEWS not in texted(twilio_http)
    assert any(undo in body for body in texted(twilio_http))  # the reply to QUIET went
    assert text("STATUS") is not None  # the phone's own questions are still answered
    deliver(app)
    assert any(case.reference in body for body in texted(twilio_http)[-1:])


def test_english_quiet_says_what_changed(text, clock):
    reported(text, clock)
    assert text("QUIET") == ("CivicWatch: we will not text you first. We still answer your texts: text STATUS "
                             "for news. To undo, text TEXTME.")
    assert text("TEXTME") == ("CivicWatch: we may text you first again, with news of your reports. To stop that, "
                              "text QUIET.")


def test_quiet_cancels_the_texts_we_started_that_still_wait(app, text, clock, twilio_http):
    case = reported(text, clock)
    waiting = notify_complainant(case, NEWS, "status")
    assert waiting is not None and waiting.status is OutboxStatus.PENDING
    db.session.commit()
    text("QUIET")
    db.session.refresh(waiting)
    assert waiting.status is OutboxStatus.CANCELLED and waiting.last_error == NOT_SAFE_NOTE
    deliver(app)
    assert NEWS not in texted(twilio_http)


@pytest.mark.parametrize(("word", "undo", "language"), WORDS)
def test_textme_lets_the_texts_we_start_go_again(app, text, clock, twilio_http, word, undo, language):
    case = reported(text, clock)
    text(word)
    reply = text(undo)
    assert reply is not None and word.strip(" !").upper() in reply.upper() and segment_count(reply) == 1
    assert is_safe_to_text(phone_hash(PHONE))
    assert notify_complainant(case, NEWS, "status") is not None
    db.session.commit()
    deliver(app)
    assert NEWS in texted(twilio_http)


@pytest.mark.parametrize("slip", ["TEXTM", "TEXME", "TXETME", "TEXTMES", "ECRIVEMOI", "TEKSM"])
def test_a_slip_on_textme_never_makes_the_phone_safe_again(text, clock, slip):
    reported(text, clock)
    text("QUIET")
    text(slip)
    assert not is_safe_to_text(phone_hash(PHONE))


def test_quiet_is_a_keyword_only_alone():
    assert classify("Quiet night at the checkpoint until the soldiers came and beat us.")[0].value == "detailed_text"
    assert classify("QUIET")[0].value == "quiet" and classify("TEXTME")[0].value == "text_me"


def test_a_deployment_may_add_words_to_both_commands():
    section = {"quiet": {"fr": ["DISCRET"]}, "text_me": {"kri": ["TEKSAM"]}}
    assert keyword_problems(section, ["en", "fr", "kri"]) == []
    keywords = build_keywords(section)
    assert classify("discret", keywords=keywords)[0].value == "quiet"
    assert classify("TEKSAM", keywords=keywords)[0].value == "text_me"
    assert keyword_problems({"quiet": {"en": ["TEXTME"]}}, ["en"]) != []  # a word of one command only



@pytest.mark.parametrize("typed", ["Text me", "TEXT ME", "text-me", "Text me!", "Écrivez-moi", "ecrivez moi",
                                   "Teks mi"])
def test_textme_typed_as_the_words_it_is_made_of_makes_the_phone_safe_again(text, clock, typed):
    """People type the phrase, not the run-together keyword; the French phrase with its hyphen."""
    reported(text, clock)
    text("QUIET")
    reply = text(typed)
    assert reply is not None and any(word in reply.upper() for word in ("QUIET", "SILENCE", "KWAYET"))
    assert is_safe_to_text(phone_hash(PHONE))


@pytest.mark.parametrize(("typed", "event"), [("Stop all", "stop"), ("Status?", "status"),
                                              ("Text me when they come", "short_text"),
                                              ("Text me 2", "short_text"), ("STOP2", "short_text")])
def test_only_the_keyword_s_own_words_make_it(typed, event):
    assert classify(typed)[0].value == event
