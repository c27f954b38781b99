"""Open data of the statistics: the CSV and JSON exports, the data dictionary, and how long public pages may be
cached."""
from __future__ import annotations

import csv
import io
from xml.etree import ElementTree

from sqlalchemy import select

from civicwatch.cases.models import CaseStatus, Outcome
from civicwatch.extensions import db
from civicwatch.publishing import exports as answer_exports
from civicwatch.publishing.models import Publication
from civicwatch.transparency import exports


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
    assert small["value"] == "" and small["note"] == "fewer than 5"  # none: read like a small count
    targets = [r for r in rows if r["measure"] == "target_days_to_close"]
    assert targets and all(r["value"] == "90" for r in targets)
    data = client.get("/transparency/statistics.json?period=all").get_json()
    assert data["overall"]["counts"]["received"] == 6 and data["period"]["label"] == "all time"
    assert data["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"


def test_the_data_dictionary_explains_every_column(client):
    html = client.get("/transparency/data").get_data(as_text=True)
    for column in answer_exports.ANSWER_COLUMNS + exports.STATISTICS_COLUMNS:
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
