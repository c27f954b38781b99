"""A text that is exactly a built-in keyword means the same whatever words a deployment adds (load-taxonomy refuses
a word a built-in one claims, and the built-in words win over the deployment's), so it is answered without reading
the deployment's words, and without the taxonomy version's read that their cache costs."""
from __future__ import annotations

import pytest

from civicwatch.sms.dialogue import (
    ANSWER_WORDS,
    DEFAULT_KEYWORDS,
    Event,
    build_keywords,
    classify,
    is_built_in_keyword,
    keyword_problems,
)
from civicwatch.sms.inbox import process_inbox
from tests.sms.conftest import acknowledged, replies_since, statements_during

PHONES = [f"+2327631{n:04d}" for n in range(3)]
# Every command's words, answers included, in each language: what a deployment may add beside the built-in ones.
SECTION = {"help": {"fr": ["SECOURS"]}, "status": {"en": ["NEWS"]}, "stop": {"kri": ["DON"]},
           "yes": {"fr": ["DACCORD"], "kri": ["YAS"]}, "no": {"kri": ["NOH"]}, "fear": {"fr": ["CRAINTE"]}}


def test_a_batch_of_built_in_keywords_reads_no_taxonomy_version(send_text, clock):
    for phone, body in zip(PHONES, ["HELP", "Stop!", "statut"], strict=True):
        acknowledged(send_text(body, phone))
    statements, report = statements_during(process_inbox)
    assert report.answered == len(PHONES)
    assert not [s for s in statements if s.startswith("SELECT settings.value")], statements
    assert all(len(replies_since(0, phone)) == 1 for phone in PHONES)


def test_a_deployments_words_are_still_read_for_a_text_that_is_not_a_built_in_keyword(send_text, clock):
    acknowledged(send_text("SECOURS", PHONES[0]))
    statements, report = statements_during(process_inbox)
    assert report.answered == 1
    assert [s for s in statements if s.startswith("SELECT settings.value")], statements


def test_the_section_used_here_is_one_load_taxonomy_accepts():
    assert keyword_problems(SECTION, ["en", "fr", "kri"]) == []


@pytest.mark.parametrize("word", sorted(DEFAULT_KEYWORDS.exact))
def test_a_built_in_keyword_means_the_same_with_a_deployments_words(word):
    added = build_keywords(SECTION)
    for text in (word, word.lower() + " !", f"« {word.title()} »"):
        assert is_built_in_keyword(text)
        for opted_out in (False, True):
            for answering in (False, True):
                assert classify(text, opted_out, answering, added) == classify(text, opted_out, answering), text


def test_answer_words_and_other_texts_are_not_taken_for_built_in_keywords():
    answers = [word for words in ANSWER_WORDS[Event.YES].values() for word in words]
    for text in [*answers, "SECOURS", "HLEP", "help me", "HELP 2", "STOP_", ""]:
        assert not is_built_in_keyword(text), text
