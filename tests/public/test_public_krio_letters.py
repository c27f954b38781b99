"""Krio pages are written as Krio is commonly texted, with plain Latin letters (the catalog's own rule): no ɛ, ɔ
or ŋ, which the fonts of many cheap phones cannot draw (a box where a letter should be) and which the rest of the
Krio pages do not use ("nor", "fo", "en"), so one page read "nɔ" and "fɔ" and the next "nor" and "fo"."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import csrf_token

OTHER_LETTERS = "ɛɔŋƐƆŊ"
KRIO_CATALOG = Path(__file__).parents[2] / "translations" / "kri" / "LC_MESSAGES" / "messages.po"


def _other_letters(text: str) -> set[str]:
    return {letter for letter in text if letter in OTHER_LETTERS}


def test_the_page_not_found_in_krio_uses_plain_letters(client):
    client.get("/language/kri?next=/")

    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert _other_letters(response.get_data(as_text=True)) == set()


def test_an_expired_report_form_in_krio_uses_plain_letters(client):
    client.get("/language/kri?next=/")

    response = client.post("/report", data={"text": "Soldiers beat my brother at the Bo junction post."})

    assert response.status_code == 400
    assert _other_letters(response.get_data(as_text=True)) == set()


def test_the_report_form_in_krio_uses_plain_letters(client):
    client.get("/language/kri?next=/")

    response = client.post("/report", data={"csrf_token": csrf_token(client, "/report"), "text": "short"})

    assert response.status_code == 400
    assert _other_letters(response.get_data(as_text=True)) == set()


def test_every_krio_translation_uses_plain_letters():
    with KRIO_CATALOG.open("rb") as file:
        catalog = read_po(file)
    strings = [(message.id, text) for message in catalog if message.id
               for text in (message.string if isinstance(message.string, tuple) else (message.string,)) if text]

    assert [msgid for msgid, text in strings if _other_letters(text)] == []
