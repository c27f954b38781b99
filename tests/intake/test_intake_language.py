"""The language of a complaint, through the real web form: detected on arrival, stored on the case, shown to
triage staff on the case page and the triage queue; a language the classifier does not read goes to triage with
the reason instead of being routed on a guess; bad input never crashes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from tests.intake.conftest import post_report, report_and_read_receipt
from tests.routing.conftest import FakeClassifier

FRENCH = "Les policiers ont frappé mon frère au poste de contrôle et ont pris son argent."
KRIO = "Di polis dem bit mi brɔda na di chekpoint ɛn tek in mɔni. Dem nor gi am bak."
ENGLISH = "Two police officers at the Bo checkpoint took my motorbike and asked for money to give it back."
ARABIC = "قام رجال الشرطة بضرب أخي عند نقطة التفتيش وأخذوا ماله"
MIXED = "The police took my phone. Ils ont frappé mon frère et pris son argent, je suis très inquiet."
FRENCH_REASON = "written in French: the classifier reads English and Krio; please route by hand"


@pytest.fixture
def fake_model(app) -> FakeClassifier:
    """A model that would route anything it reads to the Anti-Corruption Commission with high confidence, in a
    deployment whose model reads English and Krio only (the default model reads French too)."""
    app.config["CLASSIFIER_LANGUAGES"] = ["en", "kri"]
    fake = FakeClassifier(theme="corruption", confidence=0.95)
    use_classifier(app, fake)
    return fake


def test_with_the_default_languages_a_french_complaint_is_routed(app, client) -> None:
    fake = FakeClassifier(theme="corruption", confidence=0.95)
    use_classifier(app, fake)
    case = report_and_read_receipt(client, text=FRENCH).case
    assert case.language == "fr" and case.body.code == "anti_corruption_commission"
    assert fake.seen == [FRENCH]


@pytest.mark.parametrize(("text", "language", "routed"), [
    (ENGLISH, "en", True), (KRIO, "kri", True), (FRENCH, "fr", False), (ARABIC, "ar", False), (MIXED, "fr", False),
])
def test_the_web_form_stores_the_language_and_routes_only_what_the_model_reads(client, fake_model, text, language,
                                                                               routed) -> None:
    case = report_and_read_receipt(client, text=text).case
    assert case.language == language
    if routed:
        assert case.body.code == "anti_corruption_commission"
        assert case.routing_explanation["language"] == language
    else:
        assert case.body_id is None and case.theme is None
        assert case.routing_explanation["decision"] == "triage"
        assert case.routing_explanation["reason"].startswith(f"written in {dict(fr='French', ar='Arabic')[language]}")


def test_the_page_language_decides_when_the_text_does_not(client, fake_model) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    case = report_and_read_receipt(client, text="Soldiers harassed traders at Lumley market").case
    assert case.language == "fr" and case.body_id is None


def test_triage_staff_see_the_language_and_the_reason(client, fake_model, make_user, login_as) -> None:
    french = report_and_read_receipt(client, text=FRENCH).case
    english = report_and_read_receipt(client, text=ENGLISH).case
    staff = login_as(make_user(Role.TRIAGE))
    page = staff.get(f"/staff/cases/{french.id}").get_data(as_text=True)
    assert '<dd class="case-language">French <span class="muted">(' + FRENCH_REASON + ")</span></dd>" in page
    queue = staff.get("/staff/cases?queue=triage").get_data(as_text=True)
    assert french.reference in queue and english.reference not in queue  # English was routed
    assert "Language: French" in queue and f'case-language-reason">{FRENCH_REASON}</p>' in queue
    routed = staff.get(f"/staff/cases/{english.id}").get_data(as_text=True)
    assert '<dd class="case-language">English</dd>' in routed


def test_staff_pages_in_french_name_the_language_in_french(client, fake_model, make_user, login_as) -> None:
    case = report_and_read_receipt(client, text=FRENCH).case
    staff = login_as(make_user(Role.TRIAGE))
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert "Langue : Français" in staff.get("/staff/cases?queue=triage").get_data(as_text=True)
    assert '<dd class="case-language">Français' in staff.get(f"/staff/cases/{case.id}").get_data(as_text=True)


@pytest.mark.parametrize(("text", "reason"), [
    ("😡😡😡😡😡 🚓🚓🚓🚓🚓 !!!!! 😡😡😡😡😡",
     "no words the classifier can read (only symbols, digits or emoji); please route by hand"),
    ("\x00\x01\x02" + "\ufffd\x7f\x1b" * 10 + "12345678901234567890 %%%%",
     "no words the classifier can read (only symbols, digits or emoji); please route by hand"),
])
def test_emoji_and_garbage_go_to_triage_without_crashing(client, fake_model, text, reason) -> None:
    case = report_and_read_receipt(client, text=text).case
    assert case.language == "und" and case.body_id is None
    assert case.routing_explanation["reason"] == reason


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02"])
def test_empty_text_is_refused_with_a_clear_error(client, fake_model, text) -> None:
    response = post_report(client, text=text)
    assert response.status_code == 400 and 'class="error-summary"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Case.id))) == 0
