"""Sending a case on to another body moves its deadlines (by the new body's rules, from receipt or afresh): the
audit log has them before and after, in the same transaction, whatever the case's status."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.cases.conftest import fresh, post_case_form


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.mark.parametrize("status", [CaseStatus.TRIAGED, CaseStatus.INVESTIGATING])
def test_the_deadlines_a_move_to_another_body_changes_are_audited_before_and_after(make_case, make_user, signed_in,
                                                                                   clock, status):
    case = make_case(status, body="police_oversight", created_at=clock.now - dt.timedelta(days=3))
    before = (case.acknowledge_due_at, case.respond_due_at)
    new_body = db.session.scalar(select(Body).where(Body.code == "anti_corruption_commission"))
    new_body.respond_days = 30  # the new body answers sooner than the old one
    db.session.commit()
    triage = signed_in(make_user(Role.TRIAGE))
    assert post_case_form(triage, case.id, "route", "route", body=str(new_body.id),
                          reason="The complaint is about a bribe.").status_code == 302
    case = fresh(case)
    after = (case.acknowledge_due_at, case.respond_due_at)
    assert after[1] != before[1]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == str(case.id))).all()
    recorded = [(e.before or {}, e.after or {}) for e in entries]
    assert any(str(b.get("respond_due_at")) in (_iso(before[1]), str(before[1]))
               and str(a.get("respond_due_at")) in (_iso(after[1]), str(after[1])) for b, a in recorded), recorded
