"""An erased case's words are gone from the database file itself, not only from its rows: SQLite keeps the bytes of
deleted and overwritten rows in free pages and in the write-ahead log until they are written over, where anyone
holding a copy of the file reads them; the search index keeps the terms of deleted rows until its segments merge."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from tests.conftest import on_postgres
from tests.retention.conftest import NOTE, TEXT_IN, personal_case, run_cli, schedule


@pytest.mark.skipif(on_postgres(), reason="the SQLite database file")
def test_the_erased_words_are_not_left_in_the_sqlite_file(app, clock, staff):
    case = personal_case(staff)
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "apply")
    assert code == 0 and "1 case" in output, output
    assert db.session.get(Case, case.id).erased
    db.session.remove()
    path = Path(db.engine.url.database or "")
    stored = b"".join(file.read_bytes() for file in (path, path.with_name(path.name + "-wal")) if file.is_file())
    for words in ("Quartermaine", NOTE, "Wilberforce Street station"):
        assert words.encode() not in stored, words
    for term in ("zebulon", "quartermain"):  # the search index's terms (lower case, stemmed)
        assert term.encode() not in stored, term
    assert TEXT_IN.encode() not in stored  # encrypted at rest: never readable here
