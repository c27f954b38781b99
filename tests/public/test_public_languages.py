"""Citizens read the site in English, French or Krio: their explicit choice (a plain link, remembered),
else their browser's language, else English; dates follow the language; right-to-left is ready."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from civicwatch.database import set_clock
from tests.intake.conftest import RECEIPT_RE, post_report, report_and_read_receipt

HOME_TITLES = {
    "en": "Report a concern about the police, military, prisons, border or intelligence services",
    "fr": "Signaler un problème avec la police, l'armée, les prisons, les frontières ou les services de renseignement",
    "kri": "Ripot sontin bot polis, soja, prizin, boda or intelijens savis",
}


def heading(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).replace("&#39;", "'").strip()


@pytest.mark.parametrize("language", HOME_TITLES)
def test_the_browser_language_chooses_the_page_language(client, language):
    html = client.get("/", headers={"Accept-Language": f"{language},en;q=0.5"}).get_data(as_text=True)
    assert heading(html) == HOME_TITLES[language]
    assert f'<html lang="{language}" dir="ltr">' in html


def test_an_unknown_browser_language_gets_english(client):
    html = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert heading(html) == HOME_TITLES["en"] and '<html lang="en"' in html


def test_the_explicit_choice_wins_and_is_remembered(client):
    home = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'href="/language/kri?next=/"' in home  # a plain link, no script
    response = client.get("/language/kri?next=/report", headers={"Accept-Language": "fr"})
    assert response.status_code == 302 and response.headers["Location"] == "/report"
    report = client.get("/report", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Wetin apin?" in report and "Sen di ripot" in report
    assert '<span lang="kri" aria-current="true">Krio</span>' in report
    assert heading(client.get("/track").get_data(as_text=True)) == "Chek yu ripot"


def test_pages_say_which_headers_their_language_depends_on(client):
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x",
                                    "//[evil.example", "https://[evil.example/"])
def test_the_language_link_goes_back_only_to_this_site(client, target):
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_language_not_offered_is_not_found(client):
    assert client.get("/language/de").status_code == 404
    assert client.get("/language/ar").status_code == 404  # known, but not offered by this deployment


@pytest.mark.parametrize(("language", "words"), [
    ("fr", ["Votre signalement est envoyé", "Code de reçu", "Gardez votre code de reçu en lieu sûr"]),
    ("kri", ["Yu ripot don go", "Risit kod", "Kip yu risit kod sef"]),
])
def test_a_report_sent_in_a_language_is_acknowledged_in_it(client, language, words):
    client.get(f"/language/{language}")
    assert post_report(client).status_code == 303
    receipt = client.get("/report/received").get_data(as_text=True)
    assert all(word in receipt for word in words)
    assert "/language/" not in receipt  # shown once: a language link would lose the receipt
    code = RECEIPT_RE.search(receipt).group(1)
    response = client.post("/track", data={"csrf_token": _token(client, "/track"), "code": code})
    assert response.status_code == 303
    case_page = client.get("/track/case").get_data(as_text=True)
    assert {"fr": "Où en est-il", "kri": "Usay i de naw"}[language] in case_page


def _token(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.mark.parametrize(("language", "sent"), [
    ("en", "Sent 03 Dec 2026, 09:30 UTC."),
    ("fr", "Envoyé le 03 déc. 2026, 09:30 UTC."),
    ("kri", "Yu sen am 03 Dec 2026, 09:30 UTC."),
])
def test_dates_follow_the_language(app, client, language, sent):
    set_clock(lambda: dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC))
    try:
        reported = report_and_read_receipt(client)
        client.post("/track", data={"csrf_token": _token(client, "/track"), "code": reported.code})
        client.get(f"/language/{language}")
        assert sent in client.get("/track/case").get_data(as_text=True)
    finally:
        set_clock(None)


def test_form_errors_are_in_the_chosen_language(client):
    client.get("/language/fr")
    response = client.post("/track", data={"csrf_token": _token(client, "/track"), "code": "CW-2026-000001"})
    assert response.status_code == 400
    assert "Cela ressemble à un numéro de référence." in response.get_data(as_text=True)


@pytest.fixture
def arabic_offered(app_config):
    app_config["LANGUAGES"] = ["en", "fr", "kri", "ar"]


def test_a_right_to_left_language_turns_the_page(arabic_offered, client):
    html = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert heading(html) == HOME_TITLES["en"]  # not translated yet: English words, right-to-left ready
    assert '<a href="/language/ar' not in html and 'lang="ar" aria-current="true">العربية</span>' in html


def test_the_language_link_leaves_the_query_string_behind(client):
    html = client.get("/track?code=1234567890123456").get_data(as_text=True)
    assert 'href="/language/fr?next=/track"' in html and "1234567890123456" not in html
