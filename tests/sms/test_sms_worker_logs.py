"""What the inbox worker logs when the database refuses a text's case: which text failed and why, never what the
complainant wrote nor anything that finds their number. The refusal is real: a trigger in the database rejects
every new case, as a constraint would."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text as sql

from civicwatch.extensions import db
from civicwatch.phones import phone_hash
from civicwatch.sms.inbox import process_inbox
from tests.conftest import on_postgres
from tests.sms.conftest import PHONE, acknowledged

REPORT = "Soldiers at the Makeni checkpoint took the motorbike of my cousin Fatmata Koroma and beat her."


def refuse_new_cases() -> None:
    if on_postgres():
        db.session.execute(sql("CREATE FUNCTION refuse_case() RETURNS trigger AS $$ BEGIN "
                               "RAISE EXCEPTION 'cases refused' USING ERRCODE = '23514'; END $$ LANGUAGE plpgsql"))
        db.session.execute(sql("CREATE TRIGGER refuse_cases BEFORE INSERT ON cases "
                               "FOR EACH ROW EXECUTE FUNCTION refuse_case()"))
    else:
        db.session.execute(sql("CREATE TRIGGER refuse_cases BEFORE INSERT ON cases "
                               "BEGIN SELECT RAISE(ABORT, 'cases refused'); END"))
    db.session.commit()


def refuse_new_cases_by_constraint() -> None:
    """A check constraint every new case fails. PostgreSQL's answer to it quotes the whole refused row (DETAIL:
    Failing row contains (...)), the complaint's words among the values; SQLite names the constraint only."""
    if on_postgres():
        db.session.execute(sql("ALTER TABLE cases ADD CONSTRAINT ck_cases_refused CHECK (id < 0) NOT VALID"))
    else:
        db.session.execute(sql("CREATE TRIGGER refuse_cases BEFORE INSERT ON cases "
                               "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_cases_refused'); END"))
    db.session.commit()


@pytest.mark.parametrize("refuse, named", [(refuse_new_cases, "cases refused"),
                                           (refuse_new_cases_by_constraint, "ck_cases_refused")])
def test_a_refused_case_is_logged_without_the_text_or_the_number(send_text, caplog, refuse, named):
    """By a trigger's message, or by a constraint, whose refusal PostgreSQL answers with the whole row."""
    refuse()
    acknowledged(send_text(REPORT))
    with caplog.at_level(logging.DEBUG):
        report = process_inbox()
    assert report.answered == 0 and report.failed >= 1
    assert "could not be answered" in caplog.text and named in caplog.text
    for personal in ("Fatmata", "Makeni", PHONE, PHONE[1:], phone_hash(PHONE)):
        assert personal not in caplog.text
