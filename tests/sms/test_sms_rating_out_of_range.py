"""A rating word with a number out of 1 to 5 ("NOTE 9", "NOTE 10" as a French mark out of 10, "note 8/10", "RATE 0",
"MAK 7") is a rating the sender got wrong, not words of a report or of a follow-up: the reply, one SMS in the
phone's language, says to rate from 1 (poor) to 5 (good), and nothing is stored. NOTE or MAK followed by words
stays an ordinary text. Through the signed webhook and the worker, on a real database."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from civicwatch.cases.models import CaseMessage
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.segments import as_sent
from civicwatch.sms.dialogue import Event, Snapshot, classify, decide
from civicwatch.sms.models import ConversationState
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.test_sms_conversation import REPORT, cases, opened
from tests.sms.test_sms_rating import answered_by_text, audit_count, one_segment  # noqa: F401 (a fixture)
from tests.sms.test_sms_retaliation import conversation

OUT_OF_RANGE = [("NOTE 9", "fr"), ("NOTE 10", "fr"), ("note 8/10", "fr"), ("Note : 0", "fr"), ("NOTE 4/10", "fr"),
                ("note 7 sur 10", "fr"), ("NOTE 4,5", "fr"), ("NOTE -2", "fr"), ("MAK 7", "kri"), ("mak 6", "kri"),
                ("RATE 0", None), ("RATE 9 / 10", None), ("rate 8 out of 10", None), ("RATE -1", None),
                ("RATE 10!", None)]


def message_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseMessage))


def in_language(language: str, reply: Reply, **values: object) -> str:
    with force_locale(language):
        return render_reply(reply, **values)


@pytest.mark.parametrize(("words", "language"), OUT_OF_RANGE)
def test_a_rating_word_with_a_number_out_of_range_is_a_rating_without_a_score(words, language):
    decision = decide(Snapshot(), words, utcnow())
    assert (decision.event, decision.rating, decision.keyword_language) == (Event.RATING, None, language)


@pytest.mark.parametrize(("words", "score"), [("NOTE 4", 4), ("note 5/5", 5), ("Note - 3", 3), ("MAK 2", 2),
                                               ("RATE 4 / 5", 4), ("rate 1.", 1)])
def test_a_score_from_1_to_5_still_rates(words, score):
    assert decide(Snapshot(), words, utcnow()).rating == score


@pytest.mark.parametrize("words", ["NOTE bien", "Note 10 policiers sont venus", "NOTE 9 ans", "mak dem",
                                   "Mak 2 pipul don kam"])
def test_note_or_mak_with_words_stays_an_ordinary_text(words):
    assert classify(words)[0] in (Event.SHORT_TEXT, Event.DETAILED_TEXT)


@pytest.mark.parametrize(("words", "language"), [("NOTE 10", "fr"), ("MAK 7", "kri"), ("RATE 0", "en")])
def test_the_reply_says_how_to_rate_in_the_words_language_and_nothing_is_stored(text, answered_by_text, words,
                                                                                language):
    reply = text(words)
    assert reply == in_language(language, Reply.RATE_HOW) and one_segment(reply)
    db.session.refresh(answered_by_text)
    assert answered_by_text.satisfaction is None and audit_count("case.rate") == 0
    assert len(cases()) == 1 and message_count() == 0


def test_the_reply_is_in_the_phones_chosen_language(text, answered_by_text):
    text("LANG KRIO")
    assert text("NOTE 9") == in_language("kri", Reply.RATE_HOW)
    assert len(cases()) == 1 and message_count() == 0


def test_within_the_follow_up_window_it_joins_no_report(text, clock):
    reference, _ = opened(text(REPORT))
    clock.advance(minutes=1)
    assert text("NOTE 9") == in_language("fr", Reply.NOTHING_TO_RATE)
    assert len(cases()) == 1 and message_count() == 0
    assert conversation().state is ConversationState.ASKED_DANGER  # the danger question still waits
    assert text("NO") == as_sent(in_language("fr", Reply.NOT_URGENT, reference=reference), False)


def test_without_a_report_it_starts_none(text, clock):
    assert text("MAK 7") == in_language("kri", Reply.NOTHING_TO_RATE)
    assert conversation().state is ConversationState.IDLE and conversation().pending_encrypted is None
    assert cases() == []


@pytest.mark.parametrize("words", ["RATE 9", "RATE", "RATE 4", "RATE 0"])
def test_without_an_answer_every_rating_hears_first_that_there_is_none(text, clock, words):
    """Whether there is an answer to rate is said before how to rate: the 1 to 5 rule would only make the sender
    pay for a second text to learn that nothing can be rated yet. The same reply whatever the number."""
    opened(text(REPORT))
    clock.advance(minutes=30)
    assert text(words) == render_reply(Reply.NOTHING_TO_RATE)
    assert message_count() == 0 and len(cases()) == 1
