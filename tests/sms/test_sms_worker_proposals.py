"""A busy `deliver` worker makes the related-case proposals of the cases its rounds open ten cases a transaction,
not a few before every round, and none waits once the worker has nothing more to answer: `deliver --once` leaves
no new case queued."""
from __future__ import annotations

import math

from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.patterns.models import PendingRelationProposal
from civicwatch.patterns.sweep import PROPOSE_BATCH
from tests.sms.conftest import acknowledged, statements_during

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
PHONES = [f"+2327640{n:04d}" for n in range(45)]  # three rounds of the inbox (20, 20, 5)


def test_a_busy_worker_proposes_every_new_case_ten_a_claim_and_leaves_none_queued(app, send_text, twilio_http,
                                                                                  clock):
    for phone in PHONES:
        acknowledged(send_text(REPORT, phone))

    def deliver_once() -> None:
        result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    statements, _ = statements_during(deliver_once)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Case.id))) == len(PHONES)
    assert db.session.scalar(select(func.count()).select_from(PendingRelationProposal)) == 0
    claims = [s for s in statements if "DELETE FROM pending_relation_proposals" in s]
    # The worker's first look, when nothing was queued yet, then the 45 cases ten at a time.
    assert len(claims) == 1 + math.ceil(len(PHONES) / PROPOSE_BATCH), claims
