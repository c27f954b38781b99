"""A check-in texted while the case was open, answered after the case closed: the closed case is not marked urgent
nor put in the "Retaliation reported" queue; as a "yes" to a check-in after closure, the answer opens one new
urgent case linked to the closed one, routed to the same body, and the texts that follow join it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, CaseStatus, Channel
from civicwatch.cases.retaliation import retaliation_reported_while_open, unseen_retaliation_report
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.sms.models import ConversationState
from civicwatch.sms.replies import Reply, render_reply
from tests.factories import create_case
from tests.sms.conftest import PHONE
from tests.sms.test_sms_retaliation import case_count
from tests.sms.test_sms_retaliation_open import ACCOUNT, ask, check_in, conversation


@pytest.fixture
def closed_after_asking(app, clock) -> Case:
    case = create_case(CaseStatus.INVESTIGATING, phone=PHONE, channel=Channel.SMS, fears_retaliation=True)
    ask(case, clock)
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    db.session.commit()
    clock.advance(hours=2)
    return case


@pytest.mark.parametrize("answer", ["YES", ACCOUNT, "dem don threat mi"])
def test_a_yes_after_closure_opens_a_linked_urgent_case_not_an_urgent_closed_one(text, closed_after_asking, answer):
    reply = text(answer)
    closed = db.session.get(Case, closed_after_asking.id, populate_existing=True)
    assert closed.urgent is False and closed.status is CaseStatus.CLOSED
    assert db.session.scalar(select(Case.id).where(Case.id == closed.id, unseen_retaliation_report())) is None
    assert retaliation_reported_while_open(closed) == []
    assert check_in().retaliation_reported is True and check_in().reported_case_id is not None
    linked = db.session.get(Case, check_in().reported_case_id)
    assert linked.urgent is True and linked.fears_retaliation is True and linked.body_id == closed.body_id
    assert closed.reference in linked.text and (answer in linked.text) == (answer != "YES")
    assert reply == render_reply(Reply.RETALIATION_REPORTED, reference=linked.reference)
    assert case_count() == 2
    assert conversation().state is ConversationState.FOLLOWING_UP and conversation().case_id == linked.id
