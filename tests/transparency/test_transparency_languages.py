"""The public statistics and the published answers in French and Krio: no sentence of the English page is left
in the translated one, and the taxonomy's names are the reader's language's (or the stored name, for an entry the
deployment named in one language only)."""
import html as markup
import re

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Theme

HEADINGS = {
    "fr": ("Ce que deviennent les plaintes contre les services de sécurité", "À propos de ces chiffres",
           "Données ouvertes : téléchargements et leur sens", "La réponse de l'organe"),
    "kri": ("Wetin de apin to kompleyn bot di sekyuriti savis dem", "Bot dis nomba dem",
            "Opin data: dawnlod en wetin dem min", "Di bodi in ansa"),
}
FRENCH_NAMES = ("Mauvaise conduite", "Autorité indépendante de contrôle de la police")


def sentences(page: str) -> set[str]:
    """The page's words of four or more, text node by text node; the published texts (data) left out."""
    page = re.sub(r'<(div|p) class="(published-text|answer-summary)">.*?</(div|p)>', "", page, flags=re.S)
    texts = (" ".join(markup.unescape(text).split()) for text in re.findall(r">([^<]+)<", page))
    return {text for text in texts if len(text.split()) >= 4}


def read(client, language: str, path: str) -> str:
    client.get(f"/language/{language}")
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_the_public_figures_and_answers_leave_no_english_sentence(client, new_case, publish, language):
    for _ in range(6):
        new_case(CaseStatus.CLOSED)
    case = new_case(CaseStatus.CLOSED)
    publish(case)
    paths = ("/transparency?period=all", "/transparency?period=all&body=police_oversight", "/transparency/data",
             f"/published/{case.reference}", "/published")
    english = {path: sentences(read(client, "en", path)) for path in paths}
    translated = {path: read(client, language, path) for path in paths}
    for path in paths:
        left = english[path] & sentences(translated[path])
        assert not left, (path, sorted(left)[:5])
    pages = "".join(translated.values())
    assert all(heading in pages for heading in HEADINGS[language])
    assert "What happens to complaints" not in pages and "Published answers" not in pages


def test_a_theme_reads_in_french_and_a_deployment_theme_without_a_french_name_keeps_its_name(client, new_case):
    new_case(CaseStatus.CLOSED)
    db.session.add(Theme(code="land_disputes", name="Land disputes", names={"kri": "Land palava"}))
    db.session.commit()
    french = read(client, "fr", "/transparency?period=all")
    assert all(name in french for name in FRENCH_NAMES) and "Misconduct" not in french
    assert "Land disputes" in french and "Land palava" not in french
    assert "Land palava" in read(client, "kri", "/transparency?period=all")
    report_form = read(client, "fr", "/report")  # the services and areas a citizen chooses from
    assert "Administration pénitentiaire" in report_form and "Province de l&#39;Est" in report_form


def option_labels(page: str, field: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, flags=re.S)
    assert select is not None, field
    return [markup.unescape(label).strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select[1])][1:]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_filters_list_names_in_the_readers_alphabetical_order(client, new_case, language):
    new_case(CaseStatus.CLOSED)
    page = read(client, language, "/transparency?period=all")
    themes, regions = option_labels(page, "theme"), option_labels(page, "region")
    folded = [name.casefold().replace("é", "e").replace("è", "e") for name in themes]
    assert folded == sorted(folded) and len(themes) >= 8
    assert [name.casefold() for name in regions] == sorted(name.casefold() for name in regions)
    if language == "fr":  # sorted by the English names, "Usage abusif de la force" (Abuse of force) came first
        assert themes[0] == "Bien-être du personnel" and themes[-1] == "Usage abusif de la force"
        assert themes.index("Défaillance du service") < themes.index("Détention illégale")


def table_rows(page: str, caption: str) -> list[str]:
    table = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", page, flags=re.S)
    assert table is not None, caption
    return [markup.unescape(name).strip() for name in re.findall(r'<th scope="row">([^<]*)</th>', table[1])]


def test_the_subjects_table_reads_in_the_readers_alphabetical_order_and_the_download_keeps_one_order(
        client, new_case, clock):
    new_case(CaseStatus.CLOSED)
    french = table_rows(read(client, "fr", "/transparency?period=all"), "Plaintes par sujet")
    assert french[0] == "Bien-être du personnel" and french.index("Usage abusif de la force") > french.index(
        "Surveillance et vie privée")
    english = table_rows(read(client, "en", "/transparency?period=all"), "Complaints by subject")
    assert english[0] == "Abuse of force" and english[-1] in ("Unlawful detention", "Not yet known")
    downloads = [read(client, language, "/transparency/statistics.csv?period=all") for language in ("en", "fr")]
    assert downloads[0] == downloads[1]


@pytest.mark.parametrize(("language", "title", "message"), [
    ("fr", "Quelque chose ne va pas", "Vérifiez les filtres."),
    ("kri", "Sontin nor rayt", "Chek di filta dem."),
])
def test_a_download_refused_for_its_filters_says_why_in_the_readers_language(client, language, title, message):
    client.get(f"/language/{language}")
    for path in ("/transparency/statistics.json?body=nowhere", "/transparency/statistics.csv?body=nowhere",
                 "/published/answers.json?year=20x6", "/published/answers.csv?year=20x6"):
        response = client.get(path)
        error = response.get_json()["error"]
        assert (response.status_code, error["title"], error["message"]) == (400, title, message), path
        assert error["fields"], path
