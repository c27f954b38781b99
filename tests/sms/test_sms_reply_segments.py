"""Every SMS CivicWatch writes, in every language, fits the segments it is meant to take, with the longest
realistic values in its placeholders: GSM-7 160 characters alone and 153 joined, UCS-2 70 and 67, GSM extension
characters counted double (civicwatch/messaging/segments.py). Accents outside GSM-7 are transliterated when that
saves segments (prefer_gsm7), as the dialogue and the case notifications do before queueing a text."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale, gettext

from civicwatch.cases.models import CaseStatus
from civicwatch.cases.notifications import FEEDBACK_BY_TEXT, PUBLISHED_NEWS, ROUTED_NEWS, STATUS_NEWS
from civicwatch.i18n import register_languages
from civicwatch.messaging.segments import prefer_gsm7, segment_count, sms_length, transliterate_gsm7
from civicwatch.settings import EMERGENCY_ADVICE_MAX
from civicwatch.sms.replies import Reply, render_reply, render_status, render_status_list, render_wait
from config import TestingConfig

LANGUAGES = ("en", "fr", "kri")
# The longest values a placeholder realistically takes: a seven-digit reference (a million reports in a year),
# a receipt code as it is written, the longest body name the taxonomy makes, the configured advice at its cap.
REFERENCE = "CW-2026-1000000"
LONGEST = {
    "reference": REFERENCE,
    "receipt_code": "1234 5678 9012 3456",
    "advice": "x" * EMERGENCY_ADVICE_MAX,
    "score": 5,
    "count": 9,
    "cases": "",  # render_status_list fills it; tested below
    "words": "",  # render_status fills it; tested below
    "date": "",
    "waiting": "",
}
BODY = "Community Safety Oversight Committee, Western Area Urban"
REASON = "It is about a private security company."  # staff words, measured at a typical length
PUBLIC_URL = "https://civicwatch.example.org"
# Texts meant to take more than one segment (a web address, or staff words of their own); every other takes one.
BUDGET = {"published": 2, "news rejected": 2, "news referred": 2, "news withdrawn": 2}


@pytest.fixture(scope="module")
def babel_app() -> Iterator[Flask]:
    """Only what translation needs: the catalogs and the locales, no database."""
    app = Flask(__name__)
    app.config.update(LANGUAGES=list(LANGUAGES), BABEL_DEFAULT_LOCALE="en",
                      BABEL_TRANSLATION_DIRECTORIES=TestingConfig.BABEL_TRANSLATION_DIRECTORIES)
    register_languages(app)
    with app.app_context():
        yield app


def sent(text: str) -> int:
    return segment_count(prefer_gsm7(text))


def replies(language: str) -> Iterator[tuple[str, str]]:
    with force_locale(language):
        for reply in Reply:
            if reply not in (Reply.STATUS, Reply.STATUS_LIST, Reply.TOO_MANY_CODES):
                yield reply.name, render_reply(reply, **LONGEST)
        yield "wait", render_reply(Reply.TOO_MANY_CODES, wait=render_wait(dt.timedelta(minutes=59, seconds=1)))
        for status in CaseStatus:
            for month in range(1, 13):
                updated = dt.datetime(2026, month, 28, tzinfo=dt.UTC)
                yield f"status {status.value} {month}", render_status(REFERENCE, status, updated, waiting=True)
        many = [(f"CW-2026-{100000 + n}", status, n % 3 == 0) for n, status in enumerate(CaseStatus)]
        yield "status list", render_status_list(many * 3)


def notifications(language: str) -> Iterator[tuple[str, str]]:
    with force_locale(language):
        prefix = gettext("CivicWatch {reference}: ").format(reference=REFERENCE)
        for status, news in STATUS_NEWS.items():
            if news:
                yield f"news {status.value}", prefix + gettext(news).format(body=BODY, reason=REASON)
        yield "routed", prefix + gettext(ROUTED_NEWS).format(body=BODY)
        url = f"{PUBLIC_URL}/published/{REFERENCE}"
        yield "published", prefix + gettext(PUBLISHED_NEWS).format(url=url) + " " + gettext(FEEDBACK_BY_TEXT)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sms_fits_its_segments_in_every_language(babel_app, language):
    too_long = {name: (sent(text), prefer_gsm7(text)) for name, text in [*replies(language), *notifications(language)]
                if sent(text) > BUDGET.get(name, 1)}
    assert too_long == {}


@pytest.mark.parametrize("language", ("fr", "kri"))
def test_the_sms_texts_are_translated_not_english(babel_app, language):
    english = dict([*replies("en"), *notifications("en")])
    translated = dict([*replies(language), *notifications(language)])
    same = [name for name, text in translated.items() if text == english[name]]
    assert same == []


def test_krio_is_plain_gsm7_as_texted(babel_app):
    texts = [text for _name, text in [*replies("kri"), *notifications("kri")]]
    assert all(sms_length(text).gsm7 for text in texts)


def test_french_accents_outside_gsm7_are_transliterated_only_when_that_saves_segments():
    short = "Reçu, merci."  # UCS-2, one segment either way: kept as written
    assert prefer_gsm7(short) == short
    long = "CivicWatch : prêt pour un nouveau signalement. Écrivez ce qui s'est passé, où et quand, s'il vous plaît."
    assert sms_length(long).segments == 2 and not sms_length(long).gsm7
    plain = prefer_gsm7(long)
    # ê, î and the like lose their accent; é, É, ù and à are GSM-7 and stay.
    assert plain == ("CivicWatch : pret pour un nouveau signalement. Écrivez ce qui s'est passé, où et quand, "
                     "s'il vous plait.")
    assert sms_length(plain).gsm7 and sms_length(plain).segments == 1


def test_transliteration_makes_typographic_punctuation_plain_and_keeps_what_has_no_look_alike():
    assert transliterate_gsm7("L’enquête « ouverte » – août… cœur") == 'L\'enquete " ouverte " - aout... coeur'
    arabic = "تم استلام البلاغ"
    assert transliterate_gsm7(arabic) == arabic and prefer_gsm7(arabic) == arabic


def test_extension_characters_count_double():
    assert sms_length("[" * 80).units == 160 and segment_count("[" * 80) == 1
    assert segment_count("[" * 81) == 2
