"""A short text to a check-in asked after the case closed that is neither a YES, a NO nor words of retaliation
("Please call me", "I moved to Bo") is kept as the complainant's message on that closed case, as an open case's
follow-up is, so that staff can read it; the question is asked again. Kept once when Twilio retries the same
MessageSid, and never on an erased case. Through the signed webhook and the worker, on a real database."""
from __future__ import annotations

import pytest

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.sms.models import ConversationState
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import acknowledged, answer_waiting_texts, new_sid
from tests.sms.test_sms_retaliation import case_count, checked_in  # noqa: F401 (a fixture)
from tests.sms.test_sms_retaliation_open import check_in, conversation, messages


@pytest.mark.parametrize("words", ["Please call me", "I moved to Bo", "who is this?"])
def test_words_that_answer_nothing_are_kept_on_the_closed_case(text, send_text, checked_in, words):
    sid = new_sid()
    reply = text(words, sid=sid)
    acknowledged(send_text(words, sid=sid))  # Twilio retries the same MessageSid: kept once
    answer_waiting_texts()
    assert reply == render_reply(Reply.ASK_CHECK_IN_AGAIN, reference=checked_in.reference)
    closed = db.session.get(Case, checked_in.id, populate_existing=True)
    assert messages(closed) == [words] and closed.status is CaseStatus.CLOSED
    assert case_count() == 1 and check_in().answered_at is None
    assert conversation().state is ConversationState.ASKED_CHECK_IN and conversation().case_id == closed.id
    # The question still waits for its answer.
    assert text("NO") == render_reply(Reply.NO_RETALIATION)
    assert check_in().retaliation_reported is False and messages(closed) == [words]


def test_each_text_that_answers_nothing_is_kept(text, checked_in):
    text("Please call me")
    text("I moved to Bo")
    assert messages(checked_in) == ["Please call me", "I moved to Bo"]


def test_nothing_is_kept_on_an_erased_case(text, checked_in):
    checked_in.text = ""  # erased by the retention run while the question waited
    db.session.commit()
    text("Please call me")
    assert messages(checked_in) == [] and case_count() == 1
