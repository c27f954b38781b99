"""One set of refusals for every channel, in the reader's language: the web form's page language, the phone's
language for the SMS dialogue (force_locale), and Open311's Accept-Language (tests/interfaces)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from civicwatch.intake import validation
from civicwatch.intake.validation import MESSAGES, SubmissionError
from tests.intake.conftest import post_report

SHORT = {"en": "Write at least 20 characters so that we can act on it.",
         "fr": "Écrivez au moins 20 caractères pour que nous puissions agir.",
         "kri": "Rayt at list 20 leta so dat wi go ebul du sontin."}
FUTURE = {"en": "The date cannot be in the future.", "fr": "La date ne peut pas être dans le futur.",
          "kri": "Di det nor fit bi wan de we nor kam yet."}


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
def test_the_web_form_refuses_in_the_page_language(client, language):
    client.get(f"/language/{language}")
    response = post_report(client, text="Too short.", incident_date="01/01/2999")
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 400
    assert SHORT[language] in html and FUTURE[language] in html
    if language != "en":
        assert SHORT["en"] not in html and FUTURE["en"] not in html


@pytest.mark.parametrize("language, expected", [
    ("en", "Write at most 5,000 characters (you wrote 5,001)."),
    ("fr", "Écrivez au plus 5\u202f000 caractères (vous en avez écrit 5\u202f001)."),
    ("kri", "Nor rayt pas 5,000 leta (yu rayt 5,001)."),
])
def test_a_refusal_is_written_in_the_language_it_is_raised_in(app, language, expected):
    # The SMS dialogue answers under the phone's language (force_locale); a worker has no request.
    with app.app_context(), force_locale(language), pytest.raises(SubmissionError) as refused:
        validation.clean_text("x" * 5001, "text")
    assert refused.value.code == "text_too_long" and refused.value.field == "text"
    assert refused.value.message == expected


def test_every_code_has_words_and_every_refusal_names_a_known_code(app):
    assert all(MESSAGES.values())
    with app.app_context():
        for check, value in [(validation.normalise_phone, "12"), (validation.normalise_contact_email, "not-an-email"),
                             (validation.resolve_reported_actor, "martians")]:
            with pytest.raises(SubmissionError) as refused:
                check(value)
            assert refused.value.code in MESSAGES
