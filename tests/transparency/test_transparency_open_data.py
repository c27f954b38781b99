"""Open data: the published answers pages, their search, the Atom feed, the CSV and JSON exports, and the
data dictionary."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from civicwatch.cases.models import CaseStatus, Outcome
from civicwatch.extensions import db
from civicwatch.transparency import exports
from civicwatch.transparency.models import Publication, PublicationStatus
from civicwatch.transparency.queries import AnswerSearch, stream_answers

ATOM = "{http://www.w3.org/2005/Atom}"


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


def test_the_published_page_pages_without_counting(client, new_case, publish):
    for _ in range(3):
        publish(new_case(CaseStatus.CLOSED))
    from civicwatch.transparency import queries

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


def test_the_statistics_exports(client, new_case):
    for _ in range(6):
        new_case(CaseStatus.CLOSED, outcome=Outcome.UNFOUNDED)
    response = client.get("/transparency/statistics.csv?period=all")
    assert response.is_streamed and response.headers["Link"].endswith('rel="license"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == exports.STATISTICS_COLUMNS
    received = next(r for r in rows if (r["section"], r["measure"]) == ("overall", "received"))
    assert received["value"] == "6" and received["note"] == ""
    unfounded = next(r for r in rows if (r["section"], r["measure"]) == ("overall", "outcome_unfounded"))
    assert unfounded["value"] == "6"
    small = next(r for r in rows if (r["section"], r["code"], r["measure"]) == ("overall", "all", "rejected"))
    assert small["value"] == "0"
    targets = [r for r in rows if r["measure"] == "target_days_to_close"]
    assert targets and all(r["value"] == "90" for r in targets)
    data = client.get("/transparency/statistics.json?period=all").get_json()
    assert data["overall"]["counts"]["received"] == 6 and data["period"]["label"] == "all time"
    assert data["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"


def test_the_data_dictionary_explains_every_column(client):
    html = client.get("/transparency/data").get_data(as_text=True)
    for column in exports.ANSWER_COLUMNS + exports.STATISTICS_COLUMNS:
        assert f"<code>{column}</code>" in html, column
    for measure in ("received", "ack_due", "share_acknowledged_in_time", "median_days_to_close", "rec_made"):
        assert measure in html
    assert "Creative Commons Attribution 4.0" in html and "fewer than 5" in html


def test_public_pages_may_be_cached_for_a_minute_and_staff_pages_never(client, make_user, browser_for):
    from civicwatch.accounts.models import Role

    for path in ("/transparency", "/published", "/transparency/statistics.json"):
        assert client.get(path).headers["Cache-Control"] == "public, max-age=60", path
    staff = browser_for(make_user(Role.INVESTIGATOR))
    assert staff.get("/staff/publications").headers["Cache-Control"] == "no-store"


# NUL never reaches the database (NulCharacterError), so no published text can hold it.
C0_CONTROLS = [chr(code) for code in range(0x01, 0x20)]


def test_control_characters_in_a_published_text_never_break_the_xml_documents(client, new_case, publish):
    """A control character pasted into a published answer (a vertical tab from a word processor, say) made the
    Atom feed unreadable: XML 1.0 cannot carry it, not even as a character reference. Published through the
    staff pages with every C0 control at once, then with each alone."""
    case = new_case(CaseStatus.CLOSED, theme="corruption")
    pasted = "".join(C0_CONTROLS)
    publish(case, {"summary_source": f"Officers at the ferry{pasted}terminal demanded fees from travellers."})
    _assert_readable_xml(client, "terminal demanded fees")

    publication = db.session.scalar(select(Publication).where(Publication.case_id == case.id))
    for control in C0_CONTROLS:
        publication.summary = f"Summary with {control} in it"
        publication.response = f"Response with {control} in it"
        db.session.commit()
        _assert_readable_xml(client, "Summary with")


def _assert_readable_xml(client, expected: str) -> None:
    for path in ("/published/feed.atom", "/open311/v2/requests.xml"):
        response = client.get(path)
        assert response.status_code == 200, path
        root = ElementTree.fromstring(response.get_data())  # raises on a character XML cannot carry
        assert expected in "".join(root.itertext()), path
        assert not any(ord(ch) < 0x20 and ch not in "\t\n\r" for ch in response.get_data(as_text=True)), path
