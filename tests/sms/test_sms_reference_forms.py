"""STATUS and follow-ups by reference, for the references dealt now and those made from row ids before: as
texted, spaced, without dashes or leading zeros, inside a sentence."""
from __future__ import annotations

import re

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.sms.dialogue import Event, classify
from civicwatch.sms.replies import Reply, render_reply

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
OPENED = re.compile(r"report (CW-\d{4}-\d{6,}) received\.")


def _open(text) -> Case:
    match = OPENED.search(text(REPORT) or "")
    assert match
    return db.session.query(Case).filter_by(reference=match.group(1)).one()


def _forms(reference: str) -> list[str]:
    _prefix, year, number = reference.split("-")
    return [reference, reference.lower(), f"CW {year} {number}", f"cw {year} {int(number)}"]


def test_status_and_follow_ups_by_either_kind_of_reference(text, clock):
    new = _open(text)
    clock.advance(hours=1)
    given_before = _open(text)
    given_before.reference = f"CW-2026-{given_before.id:06d}"  # as references were made before
    db.session.commit()
    clock.advance(hours=1)

    for case in (new, given_before):
        for typed in _forms(case.reference):
            assert case.reference in text(f"STATUS {typed}"), typed
            assert case.reference in text(f"Status of my report {typed} please tell me"), typed
        clock.advance(hours=1)
        assert text(f"{case.reference} the soldiers came back to the checkpoint today") == \
            render_reply(Reply.ADDED_TO_CASE, reference=case.reference)


def test_a_longer_reference_in_a_status_sentence_is_a_status_query():
    # Past 900,000 cases the numbers have seven digits.
    assert classify("Status of my report CW-2026-4813435 please tell me") == \
        (Event.STATUS, "of my report CW-2026-4813435 please tell me")
