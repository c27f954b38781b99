"""A check-in answered "no" in a sentence ("Non merci, tout va bien", "No, nobody has bothered me since then") is a
NO, as the follow-up page's "No" with words is: the reply thanks for the answer, nothing urgent is opened or
flagged, and the words join the case as the complainant's message. A sentence that starts with NO but tells of
retaliation ("Non, ils sont revenus et m'ont menacé") is still a report. Through the signed webhook and the worker,
on a real database."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.sms.models import ConversationState
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.test_sms_retaliation import case_count, checked_in  # noqa: F401 (a fixture)
from tests.sms.test_sms_retaliation_open import check_in, conversation, investigated, messages  # noqa: F401

DECLINED = [
    ("fr", "Non merci, tout va bien pour moi maintenant"),
    ("fr", "non, personne ne m'a menacé depuis que j'ai porté plainte"),
    ("fr", "non, personne ne m'a menacé"),
    ("en", "No, nobody has bothered me since then"),
    ("en", "no thanks, all is well"),
    ("kri", "No, a de fayn tenki"),
]


def in_language(language: str, reply: Reply) -> str:
    with force_locale(language):
        return render_reply(reply)


@pytest.mark.parametrize(("language", "words"), DECLINED)
def test_a_no_in_a_sentence_after_closure_is_a_no_and_its_words_are_kept(text, checked_in, language, words):
    text("LANG " + language.upper())
    assert text(words) == in_language(language, Reply.NO_RETALIATION)
    assert case_count() == 1
    assert check_in().answered_at is not None and check_in().retaliation_reported is False
    assert messages(checked_in) == [words]
    assert conversation().state is ConversationState.IDLE


@pytest.mark.parametrize(("language", "words"), DECLINED)
def test_a_no_in_a_sentence_on_an_open_case_does_not_ask_again(text, investigated, language, words):
    text("LANG " + language.upper())
    assert text(words) == in_language(language, Reply.NO_RETALIATION)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert case.urgent is False and check_in().retaliation_reported is False
    assert messages(case) == [words]


@pytest.mark.parametrize("words", ["Non, ils sont revenus hier et m'ont menacé", "No, they beat me again last night",
                                   "Non. Ils sont venus chez moi hier"])
def test_a_no_followed_by_an_account_is_still_a_report(text, checked_in, words):
    text(words)
    assert case_count() == 2 and check_in().retaliation_reported is True


@pytest.mark.parametrize("words", ["N'importe quoi, ils m'ont encore appelé", "Nothing new here thank you"])
def test_a_word_that_only_starts_like_no_is_no_answer(text, checked_in, words):
    """Only a whole NO word leads an answer: "N'importe", "Nothing" are other words."""
    text(words)
    assert check_in().retaliation_reported is not False
