"""The danger question answered "yes" in a sentence ("Oui, mon frère est toujours détenu", "Yes they still hold
him") is a YES: the case is marked urgent at once, the reply gives the emergency advice, and the words join the case
as the complainant's message. A sentence led by NO is not read as NO ("No one came to help, they are beating him"
must not close the question): it joins the case and the question is asked again, as before. Through the signed
webhook and the worker, on a real database."""
from __future__ import annotations

import pytest
from flask import current_app
from flask_babel import force_locale

from civicwatch.cases.models import Case, MessageKind
from civicwatch.extensions import db
from civicwatch.sms.models import ConversationState
from civicwatch.sms.replies import Reply, emergency_advice, render_reply
from tests.sms.test_sms_danger_question import reported, state  # noqa: F401 (a fixture)


def marked_urgent(language: str, reference: str) -> str:
    with force_locale(language):
        advice = emergency_advice(current_app.config["EMERGENCY_ADVICE_SMS"],
                                  current_app.config["EMERGENCY_ADVICE_SMS_BY_LANGUAGE"])
        return render_reply(Reply.MARKED_URGENT, reference=reference, advice=advice)


def complainant_words(case: Case) -> list[str]:
    db.session.refresh(case)
    return [m.body for m in case.messages if m.kind is MessageKind.FROM_COMPLAINANT]


@pytest.mark.parametrize(("language", "words"), [
    ("fr", "Oui, mon frère est toujours détenu"),
    ("fr", "oui ils le gardent encore au poste"),
    ("en", "Yes they still hold him"),
    ("en", "yes. he is bleeding"),
    ("kri", "Yes, dem stil ol am na di stesin"),
])
def test_a_yes_in_a_sentence_marks_the_case_urgent_and_keeps_the_words(app, text, reported, clock, language, words):
    if language != "en":
        text("LANG " + language.upper())
    clock.advance(minutes=2)
    assert text(words) == marked_urgent(language, reported.reference)
    db.session.refresh(reported)
    assert reported.urgent is True
    assert complainant_words(reported) == [words]
    assert state() is ConversationState.FOLLOWING_UP


@pytest.mark.parametrize("words", ["Non, personne n'est blessé", "No one came to help, they are beating him",
                                   "Yesterday they took him to the police post"])
def test_other_sentences_join_the_case_and_ask_again(text, reported, clock, words):
    clock.advance(minutes=2)
    assert text(words) == render_reply(Reply.ASK_DANGER_AGAIN, reference=reported.reference)
    db.session.refresh(reported)
    assert reported.urgent is False and complainant_words(reported) == [words]
    assert state() is ConversationState.ASKED_DANGER
