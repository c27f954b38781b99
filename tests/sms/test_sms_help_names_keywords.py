"""HELP names every command a citizen can text of their own accord, in the words of the language it answers in,
QUIET (SILENCE, KWAYET) among them: someone who fears that another person reads their phone must be able to learn
that we can stop texting first. The words that only answer or undo something are named by the text that leads to
them: START by the reply to STOP, TEXTME by the reply to QUIET, YES and NO by the question, RATE and APPEAL by the
answer. Through the signed webhook and the worker, on a real database."""
from __future__ import annotations

import re

import pytest

from civicwatch.sms.dialogue import BUILT_IN_KEYWORDS, Event

# What HELP names, besides LANG and the other languages.
NAMED_BY_HELP = (Event.STATUS, Event.NEW, Event.FEAR, Event.QUIET, Event.STOP)
OTHER_LANGUAGES = {"en": ("FR", "KRIO"), "fr": ("EN", "KRIO"), "kri": ("EN", "FR")}


def capitals(reply: str) -> set[str]:
    return set(re.findall(r"\b[A-Z]{2,}\b", reply))


def words_of(event: Event, language: str) -> set[str]:
    by_language = BUILT_IN_KEYWORDS[event]
    return {*by_language.get("", ()), *by_language.get(language, ())}


@pytest.mark.parametrize(("word", "language"), [("HELP", "en"), ("AIDE", "fr"), ("EP", "kri")])
def test_help_names_every_command_in_its_language(text, clock, word, language):
    reply = text(word)
    assert reply is not None
    named = capitals(reply)
    missing = [event.name for event in NAMED_BY_HELP if not named & words_of(event, language)]
    assert missing == []
    for other in OTHER_LANGUAGES[language]:
        assert f"LANG {other}" in reply


@pytest.mark.parametrize(("quiet", "language"), [("QUIET", "en"), ("SILENCE", "fr"), ("KWAYET", "kri")])
def test_the_reply_to_quiet_names_the_word_that_undoes_it(text, clock, quiet, language):
    reply = text(quiet)
    assert reply is not None and capitals(reply) & words_of(Event.TEXT_ME, language)
