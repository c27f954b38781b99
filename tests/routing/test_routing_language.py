"""Routing by language: a case written in a language the classifier was not trained on (CLASSIFIER_LANGUAGES) waits
in the triage queue with a plain reason, unread by the model; so does text with no letters the model knows. The
default model reads English, French and Krio; most tests here play a deployment whose model reads no French."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.classify.language import detect_language
from civicwatch.extensions import db
from civicwatch.routing.models import RoutingDecision
from civicwatch.routing.operations import route_new_case
from civicwatch.routing.queries import cases_by_language

FRENCH = "Les policiers ont frappé mon frère au poste de contrôle et ont pris son argent."


@pytest.fixture
def reads_english_and_krio(app) -> None:
    app.config["CLASSIFIER_LANGUAGES"] = ["en", "kri"]


def _route(case) -> None:
    route_new_case(case)
    db.session.commit()


def test_a_french_case_waits_in_triage_unread_with_the_reason(make_case, use_fake_classifier,
                                                              reads_english_and_krio) -> None:
    fake = use_fake_classifier(theme="corruption", confidence=0.95)
    case = make_case(FRENCH, language="fr")
    _route(case)
    assert case.body_id is None and case.theme is None and case.model_version is None
    assert fake.seen == []  # not routed on a guess: the model never read it
    assert case.routing_explanation["decision"] == "triage"
    assert case.routing_explanation["language"] == "fr"
    assert case.routing_explanation["reason"] == (
        "written in French: the classifier reads English and Krio; please route by hand")
    assert db.session.scalars(select(RoutingDecision)).one().to_body_id is None


@pytest.mark.parametrize(("text", "language"), [
    ("The officer demanded a bribe at the checkpoint.", "en"),
    ("Di polis dem aks mi fɔ mɔni na di chekpoint", "kri"),
    ("Soldiers harassed traders at Lumley market", "und"),  # Latin, too short to tell: the model's threshold decides
    ("An older case, stored before languages were detected", None),
])
def test_languages_the_model_reads_are_routed(make_case, use_fake_classifier, text, language) -> None:
    use_fake_classifier(theme="corruption", confidence=0.95)
    case = make_case(text, language=language)
    _route(case)
    assert case.body.code == "anti_corruption_commission"
    assert case.routing_explanation.get("language") == language


@pytest.mark.parametrize(("text", "reason"), [
    ("قام رجال الشرطة بضرب أخي", "written in Arabic: the classifier reads English and Krio; please route by hand"),
    ("😡😡😡 🚓🚓🚓 !!!", "no words the classifier can read (only symbols, digits or emoji); please route by hand"),
    ("Полиция избила моего брата", "written in a script the classifier cannot read; please route by hand"),
])
def test_unreadable_text_waits_in_triage(make_case, use_fake_classifier, reads_english_and_krio, text,
                                         reason) -> None:
    fake = use_fake_classifier(theme="corruption", confidence=0.95)
    case = make_case(text, language=detect_language(text).language)
    _route(case)
    assert case.body_id is None and fake.seen == []
    assert case.routing_explanation["reason"] == reason


def test_the_default_model_reads_french_and_routes_it(app, make_case, use_fake_classifier) -> None:
    assert app.config["CLASSIFIER_LANGUAGES"] == ["en", "fr", "kri"]
    fake = use_fake_classifier(theme="corruption", confidence=0.95)
    case = make_case(FRENCH, language="fr")
    _route(case)
    assert case.body.code == "anti_corruption_commission" and fake.seen == [FRENCH]
    assert case.routing_explanation["language"] == "fr"


def test_arabic_still_waits_in_triage_by_default(make_case, use_fake_classifier) -> None:
    fake = use_fake_classifier(theme="corruption", confidence=0.95)
    case = make_case("قام رجال الشرطة بضرب أخي", language="ar")
    _route(case)
    assert case.body_id is None and fake.seen == []
    assert case.routing_explanation["reason"] == (
        "written in Arabic: the classifier reads English, French and Krio; please route by hand")


def test_the_routing_page_counts_cases_by_language(make_case, make_user, login_as, use_fake_classifier,
                                                   reads_english_and_krio) -> None:
    use_fake_classifier(theme="corruption", confidence=0.95)
    for text, language in [(FRENCH, "fr"), (FRENCH, "fr"), ("The officer took a bribe at the gate.", "en")]:
        _route(make_case(text, language=language))
    make_case("Stored before detection", language=None)
    counts = {row.language: (row.cases, row.in_triage) for row in cases_by_language()}
    assert counts == {"fr": (2, 2), "en": (1, 0), None: (1, 1)}
    response = login_as(make_user(Role.TRIAGE)).get("/staff/routing/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    table = page.split('id="cases-by-language"')[1].split("</table>")[0]
    assert "<tr><td>French</td>\n          <td>2</td><td>2</td>\n          <td>no</td></tr>" in table
    assert "<tr><td>English</td>\n          <td>1</td><td>0</td>\n          <td>yes</td></tr>" in table
    assert "Not detected" in table and "The classifier reads English and Krio" in page
