"""A filter of the published answers given twice (?body=a&body=b) is refused, on the page and in both
downloads: read as its first value alone, it handed a data user the answers of one body under a link that names
two, with nothing to say the other was dropped. The statistics refuse it the same way."""
from __future__ import annotations

import csv
import io

import pytest

from civicwatch.cases.models import CaseStatus

REPEATED = ["body=police_oversight&body=anti_corruption_commission", "theme=corruption&theme=misconduct",
            "outcome=substantiated&outcome=unfounded", "year=2026&year=2025", "q=ferry&q=market"]


@pytest.fixture
def two_answers(new_case, publish):
    police = new_case(CaseStatus.CLOSED, theme="corruption", findings="Officers at the ferry terminal took fees.")
    publish(police)
    commission = new_case(CaseStatus.CLOSED, body="anti_corruption_commission", theme="misconduct",
                          findings="Soldiers beat a trader at the market.")
    publish(commission, body="anti_corruption_commission")
    return police, commission


@pytest.mark.parametrize("query", REPEATED)
def test_a_filter_given_twice_is_refused_with_the_reason(client, two_answers, query):
    name = query.split("=")[0]
    for path in ("/published/answers.csv", "/published/answers.json"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.get_json()["error"]["fields"][name] == ["Choose only one."]
    page = client.get(f"/published?{query}")
    assert page.status_code == 400 and "Choose only one." in page.get_data(as_text=True)


def test_one_value_of_each_filter_still_works(client, two_answers):
    police, _ = two_answers
    response = client.get("/published/answers.csv?body=police_oversight&theme=corruption&q=ferry")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["reference"] for r in rows] == [police.reference]
    assert client.get("/published?page=2&body=police_oversight").status_code == 200
