"""One typing slip (a wrong, missing, extra or swapped letter) still reaches HELP, STATUS, STATUT, NOUVEAU and STOP,
but never when the slip lands on an ordinary word: a text that is just "shop", "stood" or "held" is a few words of a
report (or a greeting), not an opt-out or a request for help. Checked against every word of the training corpus
(English, French and Krio texts) and common words besides. A slip never turns texts back on (START)."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from civicwatch.sms.dialogue import DEFAULT_KEYWORDS, Event, classify, match_keyword

CORPUS = Path(__file__).resolve().parents[2] / "civicwatch" / "classify" / "corpus"


def corpus_words() -> set[str]:
    words: set[str] = set()
    for path in CORPUS.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words.update(word.lower() for word in re.findall(r"[^\W\d_]+", json.loads(line)["text"]))
    return words


def test_no_word_of_the_corpus_is_a_slip_on_a_keyword():
    slips = {}
    for word in corpus_words():
        plain = "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))
        if DEFAULT_KEYWORDS.lookup(plain) is None and match_keyword(word) is not None:
            slips[word] = match_keyword(word)
    assert not slips


@pytest.mark.parametrize("word", ["shop", "SHOP", "stood", "top", "step", "sop", "stops", "held", "hello", "hell",
                                  "heap", "yelp", "states", "statue", "statues", "nouveaux", "nouvel"])
def test_a_slip_that_is_an_ordinary_word_is_no_keyword(word):
    assert match_keyword(word) is None
    assert classify(word)[0] in (Event.SHORT_TEXT, Event.DETAILED_TEXT)


@pytest.mark.parametrize(("word", "event"), [
    ("HLEP", Event.HELP), ("hepl", Event.HELP), ("HELPP", Event.HELP), ("HELOP", Event.HELP),
    ("STAUTS", Event.STATUS), ("STATSU", Event.STATUS), ("SATUS", Event.STATUS), ("STATUTT", Event.STATUS),
    ("STAUTT", Event.STATUS), ("NOUVAEU", Event.NEW), ("NOUVEA", Event.NEW),
    ("STPO", Event.STOP), ("SOTP", Event.STOP), ("STOPE", Event.STOP),
])
def test_real_slips_still_reach_the_keyword(word, event):
    assert match_keyword(word) is event


@pytest.mark.parametrize("word", ["AIDER", "AIME", "RIDE", "AID", "FREDS", "PEURS", "NYUT", "EPS", "HEPA"])
def test_french_and_krio_keywords_take_no_slips(word):
    # Exact only: one letter from AIDE, EP, NYU, FRED, PEUR are ordinary words (AIDER, AIME, RIDE...).
    assert match_keyword(word) is None


@pytest.mark.parametrize("word", ["STAR", "SMART", "TART", "STARE", "STRAT", "SATRT", "STARTS", "TSART", "SART"])
@pytest.mark.parametrize("opted_out", [False, True])
def test_a_slip_never_turns_texts_back_on(word, opted_out):
    assert match_keyword(word, opted_out=opted_out) is not Event.START
