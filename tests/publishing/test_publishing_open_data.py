"""Open data of the published answers: the pages, their search, the Atom feed, the CSV and JSON exports."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing import exports
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.publishing.queries import AnswerSearch, stream_answers

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def answers(new_case, publish):
    """Three published answers on different subjects, one of them withdrawn afterwards."""
    made = []
    for theme, findings in (("corruption", "Officers at the ferry terminal demanded fees from travellers."),
                            ("misconduct", "=HYPERLINK(\"http://evil\") The desk officer insulted a visitor."),
                            ("abuse_of_force", "Soldiers beat a trader at the market checkpoint.")):
        case = new_case(CaseStatus.CLOSED, theme=theme, findings=findings)
        publish(case)
        made.append(case)
    withdrawn = db.session.scalar(select(Publication).where(Publication.case_id == made[2].id))
    withdrawn.status = PublicationStatus.WITHDRAWN
    withdrawn.withdrawn_at = withdrawn.published_at
    withdrawn.withdraw_reason = "Published by mistake before the family was told."
    db.session.commit()
    return made


def test_the_published_page_lists_and_searches_answers(client, answers):
    html = client.get("/published").get_data(as_text=True)
    for case in answers:
        assert case.reference in html
    assert "Published by mistake before the family was told." in html
    found = client.get("/published?q=ferry+fees").get_data(as_text=True)
    assert answers[0].reference in found and answers[1].reference not in found
    by_reference = client.get(f"/published?q={answers[1].reference.lower()}").get_data(as_text=True)
    assert answers[1].reference in by_reference and answers[0].reference not in by_reference
    by_theme = client.get("/published?theme=misconduct").get_data(as_text=True)
    assert answers[1].reference in by_theme and answers[0].reference not in by_theme
    assert answers[0].reference not in client.get("/published?outcome=unfounded").get_data(as_text=True)
    assert client.get("/published?year=20x6").status_code == 400
    assert client.get("/published?q=%25_%25").status_code == 200  # LIKE wildcards are plain characters


def test_a_withdrawn_answer_is_found_by_its_reference_but_not_by_its_words(client, answers):
    """Its words are no longer public: a search for them would test guesses (a name, a place) against them."""
    withdrawn = answers[2].reference
    for path in ("/published", "/published/answers.csv", "/published/answers.json"):
        assert withdrawn not in client.get(f"{path}?q=trader+market+checkpoint").get_data(as_text=True), path
        assert withdrawn in client.get(f"{path}?q={withdrawn}").get_data(as_text=True), path
    assert answers[0].reference in client.get("/published?q=ferry").get_data(as_text=True)


def test_the_published_page_pages_without_counting(client, new_case, publish):
    for _ in range(3):
        publish(new_case(CaseStatus.CLOSED))
    from civicwatch.publishing import queries

    page_one, more = queries.search_answers(AnswerSearch(), page=1, page_size=2)
    page_two, more_after = queries.search_answers(AnswerSearch(), page=2, page_size=2)
    assert len(page_one) == 2 and more and len(page_two) == 1 and not more_after
    assert {a.reference for a in page_one}.isdisjoint(a.reference for a in page_two)


def test_an_unknown_reference_is_not_found(client):
    assert client.get("/published/CW-2026-999999").status_code == 404
    assert client.get("/published/" + "x" * 200).status_code == 404


def test_the_atom_feed(client, answers):
    response = client.get("/published/feed.atom")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    feed = ElementTree.fromstring(response.get_data())
    assert feed.tag == f"{ATOM}feed" and feed.find(f"{ATOM}updated").text.endswith("Z")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert any(t.startswith("Withdrawn: ") for t in titles)
    ids = {e.find(f"{ATOM}id").text for e in entries}
    assert len(ids) == 3
    withdrawn = next(e for e in entries if e.find(f"{ATOM}title").text.startswith("Withdrawn"))
    assert withdrawn.find(f"{ATOM}content") is None
    assert "Published by mistake" in withdrawn.find(f"{ATOM}summary").text
    assert feed.find(f"{ATOM}rights").text.startswith("Published under the Creative Commons")
    assert feed.get(XML_LANG) == "en"


def test_the_atom_feed_speaks_the_reader_s_language(client, answers):
    client.get("/language/fr")
    feed = ElementTree.fromstring(client.get("/published/feed.atom").get_data())
    assert feed.get(XML_LANG) == "fr"
    assert feed.find(f"{ATOM}title").text == "CivicWatch : réponses publiées par les organes de contrôle"
    entries = {e.find(f"{ATOM}id").text.split("/")[-2]: e for e in feed.findall(f"{ATOM}entry")}
    withdrawn = entries[answers[2].reference]
    assert withdrawn.find(f"{ATOM}title").text == (f"Retirée : {answers[2].reference} : Usage abusif de la force "
                                                   "(Autorité indépendante de contrôle de la police)")
    assert withdrawn.find(f"{ATOM}category").get("label") == "Usage abusif de la force"
    assert withdrawn.find(f"{ATOM}summary").text.startswith("Retirée le ")
    content = entries[answers[0].reference].find(f"{ATOM}content").text
    assert content.startswith("Issue : ")
    assert "Réponse de l'organe de contrôle (Autorité indépendante de contrôle de la police) :" in content


def test_the_answers_csv(client, answers):
    response = client.get("/published/answers.csv")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="civicwatch-published-answers.csv"'
    assert response.headers["Link"] == '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == exports.ANSWER_COLUMNS
    assert [r["reference"] for r in rows] == [c.reference for c in answers]  # oldest first
    misconduct = rows[1]
    assert misconduct["summary"].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    withdrawn = rows[2]
    assert withdrawn["status"] == "withdrawn" and withdrawn["summary"] == "" and withdrawn["response"] == ""
    assert withdrawn["withdraw_reason"] == "Published by mistake before the family was told."
    assert rows[0]["outcome"] == "substantiated" and rows[0]["case_status"] == "closed"
    assert rows[0]["url"] == f"http://localhost/published/{answers[0].reference}"
    only = list(csv.DictReader(io.StringIO(client.get("/published/answers.csv?theme=corruption").get_data(as_text=True))))
    assert [r["reference"] for r in only] == [answers[0].reference]


def test_the_answers_json(client, answers):
    response = client.get("/published/answers.json")
    assert response.is_streamed
    data = json.loads(response.get_data(as_text=True))
    assert data["licence"] == {"name": "Creative Commons Attribution 4.0",
                               "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert [a["reference"] for a in data["answers"]] == [c.reference for c in answers]
    first = data["answers"][0]
    assert set(first) == set(exports.ANSWER_COLUMNS)
    assert first["published_at"].endswith("Z") and first["received_on"] == answers[0].created_at.date().isoformat()
    assert client.get("/published/answers.json?outcome=maybe").status_code == 400


def test_answers_are_read_in_batches(app, new_case, publish):
    """The export reads the database a batch at a time; every answer still comes out once, in order."""
    cases = [new_case(CaseStatus.CLOSED) for _ in range(5)]
    for case in cases:
        publish(case)
    streamed = [a.reference for a in stream_answers(AnswerSearch(), batch=2)]
    assert streamed == [c.reference for c in cases]
