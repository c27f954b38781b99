"""The language of a complaint sent by SMS, through the signed webhook and the worker: detected from the text,
with the language the phone chose by LANG deciding when the text does not say; a language the classifier does
not read waits in the triage queue instead of being routed on a guess."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from tests.routing.conftest import FakeClassifier

FRENCH = "Les soldats au poste de contrôle près de Kenema ont frappé mon frère parce qu'il n'avait pas de carte."
KRIO = "Soja dem na di chekpoint nia Kenema bit mi brɔda wit stik bikɔs i nor gɛt ID kad."
ENGLISH = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
ARABIC = "قام الجنود عند نقطة التفتيش قرب كينيما بضرب أخي بالعصي لأنه لم يكن يحمل بطاقة هوية"
MIXED = "Soldiers beat my brother at the checkpoint. Ils ont frappé aussi mon cousin et ils ont pris son argent."
UNTOLD = "Soldiers at Kenema junction harassed traders, seized goods, demanded payment Tuesday morning."


@pytest.fixture
def fake_model(app) -> FakeClassifier:
    """In a deployment whose model reads English and Krio only (the default model reads French too)."""
    app.config["CLASSIFIER_LANGUAGES"] = ["en", "kri"]
    fake = FakeClassifier(theme="misconduct", confidence=0.95, actor="military")
    use_classifier(app, fake)
    return fake


def test_with_the_default_languages_a_french_sms_is_routed(app, text, clock) -> None:
    use_classifier(app, FakeClassifier(theme="misconduct", confidence=0.95, actor="military"))
    assert "CW-" in text(FRENCH)
    case = newest_case()
    assert case.language == "fr" and case.body is not None


def newest_case() -> Case:
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


@pytest.mark.parametrize(("body", "language", "routed"), [
    (ENGLISH, "en", True), (KRIO, "kri", True), (FRENCH, "fr", False), (ARABIC, "ar", False), (MIXED, "fr", False),
])
def test_an_sms_report_is_routed_only_in_a_language_the_model_reads(text, clock, fake_model, body, language,
                                                                     routed) -> None:
    assert "CW-" in text(body)
    case = newest_case()
    assert case.language == language
    assert (case.body is not None) is routed
    if not routed:
        assert "the classifier reads English and Krio; please route by hand" in case.routing_explanation["reason"]


@pytest.mark.parametrize(("keyword", "language", "routed"), [("LANG FR", "fr", False), ("LANG KRIO", "kri", True),
                                                             (None, "en", True)])
def test_the_phone_language_decides_when_the_text_does_not(text, clock, fake_model, keyword, language,
                                                          routed) -> None:
    if keyword:
        text(keyword)
    assert "CW-" in text(UNTOLD)
    case = newest_case()
    assert case.language == language and (case.body is not None) is routed


def test_a_french_phone_sending_english_is_read_as_english(text, clock, fake_model) -> None:
    text("LANG FR")
    text(ENGLISH)
    case = newest_case()
    assert case.language == "en" and case.body is not None
