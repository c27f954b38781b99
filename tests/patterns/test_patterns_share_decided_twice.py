"""Two staff of the holding body decide one share request at the same moment (one approves, the other refuses), or
revoke one grant twice: the first decision stands, the second is refused as decided already (409), and the audit
log holds one decision, not two contradicting ones."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseShare, ShareStatus
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.disclosure.conftest import add_user
from tests.factories import staff_client
from tests.patterns.test_case_shares import REASON, ask, decide, setting, the_share  # noqa: F401  (a fixture)
from tests.threads import before_the_first_write_of_this_thread


def signed_in_colleague(app):
    """A second investigator of the holding body, signed in."""
    user = add_user("owner2", Role.INVESTIGATOR, "human_rights_commission")
    db.session.commit()
    return staff_client(app, user)


FIRST = {"approve": "refuse", "refuse": "approve"}


@pytest.mark.parametrize("second", ["approve", "refuse"])
def test_a_request_decided_by_a_colleague_meanwhile_is_not_decided_again(setting, app, second):
    s = setting
    assert ask(s).status_code == 302
    share_id = the_share(s).id
    colleague = signed_in_colleague(app)
    token = csrf_token(colleague, "/staff/patterns/shares")
    answers = []

    def colleague_decides() -> None:
        answers.append(colleague.post(f"/staff/patterns/shares/{share_id}/{FIRST[second]}",
                                      data={"csrf_token": token, "days": "7", "reason": REASON}).status_code)

    s.browsers["owner"]  # signed in before the race
    with before_the_first_write_of_this_thread(app, colleague_decides, db.engine) as started:
        response = decide(s, second, days=7, reason=REASON)

    assert started and answers == [302]
    assert response.status_code == 409
    db.session.expire_all()
    decided = ShareStatus.APPROVED if FIRST[second] == "approve" else ShareStatus.REFUSED
    assert db.session.get_one(CaseShare, share_id).status is decided
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(("case_share.approve", "case_share.refuse")))) == 1


def test_a_grant_revoked_by_a_colleague_meanwhile_is_not_revoked_again(setting, app):
    s = setting
    assert ask(s).status_code == 302
    assert decide(s, "approve", days=7, reason=REASON).status_code == 302
    share_id = the_share(s).id
    colleague = signed_in_colleague(app)
    token = csrf_token(colleague, "/staff/patterns/shares")
    answers = []

    def colleague_revokes() -> None:
        answers.append(colleague.post(f"/staff/patterns/shares/{share_id}/revoke", data={
            "csrf_token": token, "confirmed": "yes", "reason": "Our investigation is closed to others now."}).status_code)

    with before_the_first_write_of_this_thread(app, colleague_revokes, db.engine) as started:
        response = decide(s, "revoke", reason="We revoke it for a second reason.")

    assert started and answers == [302]
    assert response.status_code == 409
    db.session.expire_all()
    share = db.session.get_one(CaseShare, share_id)
    assert share.status is ShareStatus.REVOKED and share.reason == "Our investigation is closed to others now."
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "case_share.revoke")) == 1
