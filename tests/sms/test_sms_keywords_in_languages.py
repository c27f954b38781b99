"""Keywords in the citizen's language: French (AIDE, STATUT, SUIVI, NOUVEAU, PEUR, ARRET, OUI, NON) and Krio as
texted (EP, ELP, HEP, NYUZ, NYU, FRED, TAP). A keyword of one language answers in it and, for a phone that has no
language yet, is remembered as the phone's language (as LANG would); a phone that chose one keeps it. Every reply
names the keywords of its own language. Through the signed webhook and the worker, on a real database."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.messaging.models import PhoneLanguage
from civicwatch.messaging.segments import prefer_gsm7
from civicwatch.phones import phone_hash
from civicwatch.sms.dialogue import DEFAULT_KEYWORDS, LANGUAGE_WORDS, Event, classify, match_answer
from civicwatch.sms.replies import STATUS_WORDS, Reply, render_reply
from tests.sms.conftest import PHONE
from tests.sms.test_sms_conversation import REPORT

FRENCH = [("AIDE", Event.HELP), ("aide", Event.HELP), ("Aide !", Event.HELP), ("STATUT", Event.STATUS),
          ("statut", Event.STATUS), ("SUIVI", Event.STATUS), ("NOUVEAU", Event.NEW), ("nouveau.", Event.NEW),
          ("PEUR", Event.FEAR), ("ARRET", Event.STOP), ("arrêt", Event.STOP)]
KRIO = [("EP", Event.HELP), ("ep", Event.HELP), ("ELP", Event.HELP), ("HEP", Event.HELP), ("NYUZ", Event.STATUS),
        ("nyus", Event.STATUS), ("NYU", Event.NEW), ("nyu", Event.NEW), ("FRED", Event.FEAR), ("TAP", Event.STOP)]


@pytest.mark.parametrize(("word", "event"), FRENCH + KRIO)
def test_french_and_krio_keywords_are_commands(word, event):
    assert classify(word)[0] is event


@pytest.mark.parametrize(("word", "language"), [(w, "fr") for w, _ in FRENCH] + [(w, "kri") for w, _ in KRIO]
                         + [("HELP", None), ("STOP", None), ("STATUS", None), ("NEW", None)])
def test_a_keyword_knows_its_language(word, language):
    match = DEFAULT_KEYWORDS.lookup(word.strip(" !."))
    assert match is not None and match.language == language


@pytest.mark.parametrize(("word", "answer"), [("OUI", Event.YES), ("ouais", Event.YES), ("Oui.", Event.YES),
                                              ("NON", Event.NO), ("Non !", Event.NO)])
def test_french_answers(word, answer):
    assert match_answer(word) is answer


def remembered() -> str | None:
    return db.session.scalar(select(PhoneLanguage.language).where(PhoneLanguage.phone_hash == phone_hash(PHONE)))


def in_language(language: str, reply: Reply, **values: object) -> str:
    with force_locale(language):
        return prefer_gsm7(render_reply(reply, **values))


@pytest.mark.parametrize(("word", "language"), [("AIDE", "fr"), ("aide", "fr"), ("EP", "kri"), ("ELP", "kri")])
def test_help_in_a_language_is_answered_in_it_and_the_phone_keeps_it(text, clock, word, language):
    assert text(word) == in_language(language, Reply.HELP)
    assert remembered() == language
    receipt = text(REPORT)  # the report's receipt and danger question follow in the same language
    assert receipt is not None and receipt.startswith(in_language(language, Reply.CASE_OPENED, reference="X",
                                                                  receipt_code="Y").split("X")[0])


def test_statut_and_nyuz_ask_for_the_receipt_code_in_their_language(text, clock):
    assert text("STATUT") == in_language("fr", Reply.STATUS_NOT_FOUND)
    assert text("LANG EN") is not None
    assert text("NYUZ") == in_language("en", Reply.STATUS_NOT_FOUND)  # the phone chose English: it stays


def test_nouveau_drops_the_kept_words_and_answers_in_french(text, clock):
    assert text("Police took my") == in_language("en", Reply.ASK_FOR_DETAILS)
    assert text("NOUVEAU") == in_language("fr", Reply.NEW_REPORT)
    assert text("bike") == in_language("fr", Reply.ASK_FOR_DETAILS)  # the earlier words are gone


def test_a_phone_that_chose_a_language_keeps_it_whatever_keyword_it_texts(text, clock):
    text("LANG KRIO")
    assert text("AIDE") == in_language("kri", Reply.HELP)
    assert text("HELP") == in_language("kri", Reply.HELP)
    assert remembered() == "kri"


def test_an_english_or_shared_keyword_sets_no_language(text, clock):
    assert text("HELP") == in_language("en", Reply.HELP)
    assert remembered() is None
    assert text("AIDE") == in_language("fr", Reply.HELP)  # so a French word later still counts
    assert remembered() == "fr"


def test_oui_to_the_danger_question_marks_the_case_urgent_in_french(text, clock):
    receipt = text(REPORT)
    reference = next(word.rstrip(".,") for word in receipt.split() if word.startswith("CW-"))
    clock.advance(minutes=3)
    reply = text("Oui.")
    assert reply is not None and reply.startswith(in_language("fr", Reply.MARKED_URGENT, reference=reference,
                                                              advice="").strip())
    assert remembered() == "fr"


def test_arret_confirms_in_french_and_tap_in_krio(text, clock):
    assert text("ARRET") == in_language("fr", Reply.STOPPED)
    assert text("START") == in_language("fr", Reply.STARTED)
    assert text("TAP", phone="+23276000999") == in_language("kri", Reply.STOPPED)


# Upper-case words a reply names: keywords, and what may follow LANG.
_NAMED = re.compile(r"\b[A-Z]{2,}\b")
# Words written in capitals that are not keywords, and the words read by their own patterns (LANG, RATE, APPEAL,
# a language after LANG), which every language shares.
_NOT_KEYWORDS = {"SMS", "CW"}
_SHARED = {"LANG", "RATE", "APPEAL", "START", *LANGUAGE_WORDS}
_ANSWERS = {"en": {"YES", "NO"}, "fr": {"OUI", "NON"}, "kri": {"YES", "NO"}}
# Rating and appeal words, read by their patterns (tests/sms/test_sms_keywords_rate_appeal.py).
_SHARED |= {"NOTE", "RECOURS", "MAK", "APIL"}


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
def test_every_reply_names_keywords_of_its_own_language(app, language):
    with force_locale(language):
        texts = [gettext(reply.value) for reply in Reply] + [gettext(words) for words in STATUS_WORDS.values()]
    wrong = []
    for reply in texts:
        for word in set(_NAMED.findall(reply)) - _NOT_KEYWORDS - _SHARED:
            match = DEFAULT_KEYWORDS.lookup(word)
            own = None if language == "en" else language  # English keywords set no language
            if word in _ANSWERS[language] or word == "STOP" or (match is not None and match.language == own):
                continue
            wrong.append((word, reply))
    assert not wrong
