"""A request to share an erased case, or a grant running when it was erased, is still decided or ended by the body
that holds it, but the reason staff give (their words about the case, which may name people) is not kept on the
share: the erasure removed the earlier ones, and no run erases a case twice. The audit entry keeps a fingerprint of
it, as it does of every reason. The same when the erasure commits while the decision is being made."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseShare, CaseStatus, ShareStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import staff_client
from tests.retention.conftest import WORDS, due_for_erasure, erased_meanwhile, personal_case, run_cli, schedule

REASON = f"{WORDS} asked us on the phone not to share his case with anyone."


def share_of(staff, case: Case, status: ShareStatus) -> CaseShare:
    """A share of `case` asked for by the other body, pending or granted for thirty days."""
    asking = db.session.scalar(select(Case).where(Case.id != case.id, Case.body_id != case.body_id))
    share = CaseShare(case_id=case.id, owner_body_id=case.body_id, from_case_id=asking.id, body_id=asking.body_id,
                      requested_by_id=staff.other_investigator.id, status=status)
    if status is ShareStatus.APPROVED:
        share.decided_by_id, share.decided_at = staff.admin.id, utcnow()
        share.expires_at, share.reason = utcnow() + dt.timedelta(days=400), "The same checkpoint, both bodies."
    db.session.add(share)
    db.session.commit()
    return share


def decide(app, staff, share_id: int, decision: str):
    owner = staff_client(app, staff.investigator)
    data = {"csrf_token": csrf_token(owner, "/staff/patterns/shares"), "reason": REASON, "days": "30"}
    if decision == "revoke":
        data["confirmed"] = "yes"
    return owner.post(f"/staff/patterns/shares/{share_id}/{decision}", data=data)


def kept_reasons(case_id: int) -> list[str]:
    db.session.expire_all()
    reasons = db.session.scalars(select(CaseShare.reason).where(CaseShare.case_id == case_id)).all()
    audited = [str(e.after) for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("case_share.%")))]
    return [text for text in [*reasons, *audited] if text and "Zebulon" in text]


@pytest.mark.parametrize(("decision", "status", "after"), [
    ("approve", ShareStatus.PENDING, ShareStatus.APPROVED),
    ("refuse", ShareStatus.PENDING, ShareStatus.REFUSED),
    ("revoke", ShareStatus.APPROVED, ShareStatus.REVOKED),
])
def test_a_share_of_an_erased_case_is_decided_without_keeping_the_reason(app, clock, staff, decision, status, after):
    case = personal_case(staff)
    share_id = share_of(staff, case, status).id
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert run_cli(app, "retention", "apply")[0] == 0
    assert db.session.get_one(Case, case.id).erased

    response = decide(app, staff, share_id, decision)

    assert response.status_code == 302
    assert db.session.get_one(CaseShare, share_id).status is after
    assert kept_reasons(case.id) == []


def test_a_share_decided_while_the_case_is_erased_keeps_no_reason(app, clock, staff):
    case = due_for_erasure(staff, clock)
    share_id = share_of(staff, case, ShareStatus.PENDING).id
    owner = staff_client(app, staff.investigator)
    token = csrf_token(owner, "/staff/patterns/shares")
    with erased_meanwhile(app):
        response = owner.post(f"/staff/patterns/shares/{share_id}/refuse", data={"csrf_token": token, "reason": REASON})

    assert response.status_code == 302
    assert db.session.get_one(CaseShare, share_id).status is ShareStatus.REFUSED
    assert kept_reasons(case.id) == []
