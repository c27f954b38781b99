"""Every message a form shows on a French or Krio page comes from that language's catalogue, whatever was sent
(an old or edited link, a forged choice): not WTForms' own English ("Not a valid choice.", "Field cannot be
longer than 200 characters.") nor a Python literal. Each message sits next to its field and is read with it
(aria-describedby), the field marked invalid."""
from __future__ import annotations

import html as markup
import re
from functools import cache

import pytest
from babel.messages.pofile import read_po

from tests.foundation.test_translations import ROOT
from tests.intake.conftest import post_report

LANGUAGES = ("fr", "kri")
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s")
SUMMARY_ITEM = re.compile(r'<div class="error-summary".*?</div>', re.S)
LINK_TEXT = re.compile(r"<li><a [^>]*>(.*?)</a></li>", re.S)
FIELD = re.compile(r'<div class="field field-error">(.*?)</div>', re.S)
FIELDSET = re.compile(r'<fieldset[^>]*class="[^"]*field-error[^"]*"[^>]*>(.*?)</fieldset>', re.S)
ERROR = re.compile(r'<p class="error"(?: id="([^"]+)")?>(.*?)</p>', re.S)
HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)

LONG_SEARCH = "a" * 201
# Each page with every filter or choice a link or a forged form can get wrong.
PUBLIC_PAGES = [
    "/transparency?body=no_such_body&theme=no_such_theme&region=no_such_region",
    "/transparency?period=last12&from_month=2026-13&to_month=march",
    f"/published?q={LONG_SEARCH}&body=no_such_body&theme=no_such_theme&outcome=no_such_outcome&year=abc",
    "/published?year=1990",
]


@cache
def translations(language: str) -> list[re.Pattern[str]]:
    """Each translated message of the catalogue as a pattern, its placeholders standing for any text."""
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    patterns = []
    for message in catalog:
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        for string in strings:
            if string:
                parts = PLACEHOLDER.split(string)
                patterns.append(re.compile(".+?".join(re.escape(part) for part in parts), re.S))
    return patterns


def text_of(fragment: str) -> str:
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", "", HIDDEN.sub("", fragment))).split())


def shown_errors(page: str) -> list[str]:
    messages = [text_of(text) for summary in SUMMARY_ITEM.findall(page) for text in LINK_TEXT.findall(summary)]
    messages += [text_of(text) for _id, text in ERROR.findall(page)]
    return messages


def not_from_catalogue(page: str, language: str) -> list[str]:
    """The error messages of the page that are not, in whole, a message of the language's catalogue."""
    patterns = translations(language)
    return sorted({message for message in shown_errors(page)
                   if not any(pattern.fullmatch(message) for pattern in patterns)})


def unlinked_errors(page: str) -> list[str]:
    """Error messages beside a field that no control of that field reads out (aria-describedby), a field marked
    wrong with no message beside it, or one whose control is not marked invalid."""
    unlinked = []
    for block in FIELD.findall(page) + FIELDSET.findall(page):
        controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", block)
        controls = [control for control in controls if 'type="hidden"' not in control]
        described = " ".join(" ".join(re.findall(r'aria-describedby="([^"]*)"', c)) for c in controls).split()
        for error_id, text in ERROR.findall(block):
            if not error_id or error_id not in described:
                unlinked.append(text_of(text))
        if not ERROR.search(block):
            unlinked.append(f"no message beside the field: {text_of(block)}")
        elif not any('aria-invalid="true"' in control for control in controls):
            unlinked.append(f"no control marked invalid beside: {text_of(ERROR.search(block).group(2))}")
    return unlinked


def choose(client, language: str) -> None:
    client.get(f"/language/{language}?next=/")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_wrong_filter_is_explained_in_the_page_language(client, language, path):
    choose(client, language)
    response = client.get(path)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert shown_errors(page), "the page shows no error"
    assert not_from_catalogue(page, language) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_forged_choice_on_the_report_form_is_explained_in_the_page_language(client, language):
    choose(client, language)
    response = post_report(client, contact_choice="no_such_choice", reported_actor="no_such_actor",
                           danger_now="maybe", fears_retaliation="maybe", area="region:no_such_region")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert not_from_catalogue(page, language) == []


def test_a_forged_contact_choice_gets_one_message_that_says_what_to_do(client):
    choose(client, "fr")
    page = post_report(client, contact_choice="no_such_choice").get_data(as_text=True)
    errors = [text_of(text) for _id, text in ERROR.findall(page)]
    assert errors == ["Indiquez si nous pouvons vous contacter."]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_each_filter_error_is_read_with_its_field(client, path):
    page = client.get(path).get_data(as_text=True)
    assert FIELD.search(page), "no field marked wrong"
    assert unlinked_errors(page) == []


def test_the_year_filter_says_what_to_write(client):
    page = client.get("/published?year=abc").get_data(as_text=True)
    assert "Write a year, for example 2026." in shown_errors(page)


def test_the_search_box_and_year_get_no_meaningless_input_mode(client):
    page = client.get("/published").get_data(as_text=True)
    assert 'inputmode="None"' not in page
    assert re.search(r'<input[^>]*inputmode="numeric"[^>]*name="year"', page)


def test_the_check_sees_an_unlinked_error_and_an_english_one():
    page = ('<div class="field field-error"><label for="a">A</label><p class="error" id="a-error">Not a valid '
            'choice.</p><select id="a" name="a"></select></div>')
    assert unlinked_errors(page) == ["Not a valid choice.", "no control marked invalid beside: Not a valid choice."]
    assert not_from_catalogue(page, "fr") == ["Not a valid choice."]
    assert not_from_catalogue('<p class="error">Choisissez une seule valeur.</p>', "fr") == []
