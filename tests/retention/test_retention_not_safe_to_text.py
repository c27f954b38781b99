"""Erasing a case keeps its number not safe to text (forgetting it would let texts start again), but no longer
tied to the case: a row keyed by the number's hash and the case would link the number to the erased case."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.messaging.models import NotSafeToText
from civicwatch.messaging.operations import set_safe_to_text
from civicwatch.messaging.queries import is_safe_to_text
from civicwatch.phones import phone_hash
from tests.retention.conftest import PHONE, personal_case
from tests.retention.test_retention_after_erasure import erase


def test_erasing_a_case_keeps_its_number_not_safe_but_tied_to_it_no_more(app, clock, staff):
    case = personal_case(staff)
    set_safe_to_text(PHONE, False, "follow_up", case.id)
    db.session.commit()
    erase(app, clock, case)
    assert db.session.scalars(select(NotSafeToText.case_id)).all() == [None, None]  # its SMS and WhatsApp hashes
    assert not is_safe_to_text(phone_hash(PHONE))
