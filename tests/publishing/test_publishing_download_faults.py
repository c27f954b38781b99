"""The open data files (published answers, statistics, early warning) against a database that breaks while they
are read and against a client that reads them slowly: every file is read whole from the database before a byte
is sent, so a break gives a 503 to try again (never a cut file under a 200 that a newsroom's script would take
for the whole), and a slow reader holds no database connection (nor, on SQLite, a read transaction)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from civicwatch.errors import RETRY_AFTER_SECONDS
from civicwatch.extensions import db
from tests.served import broken_after, serve

ANSWERS_QUERY = "FROM publications JOIN cases"
FILES = ("/published/answers.csv", "/published/answers.json", "/transparency/statistics.csv?period=all",
         "/transparency/statistics.json?period=all", "/transparency/early-warning.csv",
         "/transparency/early-warning.json")


@pytest.mark.parametrize("path", ["/published/answers.csv", "/published/answers.json"])
def test_a_database_that_breaks_while_the_answers_are_read_gives_a_503_not_a_cut_file(app, two_published, path):
    with broken_after(db.engine, ANSWERS_QUERY) as broken:
        served = serve(app, path)
        body = served.read()
    assert broken, "the answers' query was not run"
    response = served.response
    assert (response.status_code, response.headers.get("Retry-After")) == (503, str(RETRY_AFTER_SECONDS)), body[:200]
    assert b"reference" not in body  # no part of the file
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    if path.endswith(".json"):  # a script asking for JSON is answered in JSON
        assert json.loads(body)["error"]["status"] == 503
    else:
        assert "try again in a few minutes" in body.decode()


@pytest.mark.parametrize("path", FILES)
def test_a_slow_reader_holds_no_database_connection(app, two_published, path):
    served = serve(app, path)
    assert served.response.status_code == 200
    # Two parts of the body are read (a streamed file's first line and first answer), the rest not yet: the
    # connection is back in the pool already.
    served.read_start(len(served.read_start(1)) + 1)
    assert db.engine.pool.checkedout() == 0
    body = served.read().decode()
    if path.startswith("/published/answers.csv"):
        assert [row["reference"] for row in csv.DictReader(io.StringIO(body))] == two_published
    elif path.startswith("/published/answers.json"):
        assert [answer["reference"] for answer in json.loads(body)["answers"]] == two_published
    elif ".json" in path:
        assert json.loads(body)["licence"]
    else:
        assert len(list(csv.reader(io.StringIO(body)))) > 1
    assert db.engine.pool.checkedout() == 0
