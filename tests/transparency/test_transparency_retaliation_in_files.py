"""The retaliation watch is on the statistics page and in its downloads. The page said that everything on it can
be downloaded, but the two figures of the retaliation watch were in neither statistics.csv nor statistics.json."""
from __future__ import annotations

import csv
import io

import pytest

from tests.transparency.test_transparency_retaliation_watch import add_check_ins, published


@pytest.mark.parametrize("query", ["", "period=all", "body=police_oversight"])
def test_the_retaliation_watch_is_in_the_csv_and_the_json(client, app, clock, query):
    add_check_ins(cases=5, reported=2)
    assert published(client) == ("10", "fewer than 5")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/transparency/statistics.csv?{query}").get_data(
        as_text=True))))
    watch = {r["measure"]: (r["value"], r["note"]) for r in rows if r["section"] == "retaliation_watch"}
    assert watch == {"check_ins": ("10", ""), "answers_reporting_retaliation": ("", "fewer than 5")}
    data = client.get(f"/transparency/statistics.json?{query}").get_json()
    assert data["retaliation_watch"] == {"counts": {"check_ins": 10, "answers_reporting_retaliation": None},
                                         "not_shown": {"answers_reporting_retaliation": "fewer than 5"}}


def test_the_data_dictionary_explains_the_retaliation_watch(client):
    html = client.get("/transparency/data").get_data(as_text=True)
    assert "<code>retaliation_watch</code>" in html and "<code>answers_reporting_retaliation</code>" in html
